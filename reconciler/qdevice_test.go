package reconciler

import (
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// withDevice adds a quorum device of the given algorithm to every node's
// corosync.conf copies, and the casting qdevice row to every quorum view.
func withDevice(obs *state.Cluster, algorithm string) {
	for i := range obs.Nodes {
		n := &obs.Nodes[i]
		if !n.ClusterConf.Present {
			continue
		}
		c, _ := n.ClusterConf.Parsed()
		addDevice(c, "10.99.1.200", algorithm, "")
		cc := state.NewConfCopy(c.Bytes())
		n.ClusterConf, n.LocalConf = cc, cc
		dv := deviceVotes(c)
		if q := n.Quorum; q != nil {
			q.Members = append(q.Members, state.Member{NodeID: 0, Votes: dv, Name: "Qdevice"})
			q.ExpectedVotes += dv
			q.HighestExpected += dv
			q.TotalVotes += dv
			q.Quorum = q.ExpectedVotes/2 + 1
			q.Flags = append(q.Flags, "Qdevice")
		}
	}
}

func withQDeviceFacts(obs *state.Cluster, installed bool) {
	yes := true
	for i := range obs.Nodes {
		if obs.Nodes[i].SSH.OK {
			obs.Nodes[i].QDevice = &state.QDeviceFacts{Installed: installed, Service: "inactive", QNetdReachable: &yes}
		}
	}
}

func qdeclare(d *api.Cluster, algorithm string) *api.Cluster {
	d.Spec.QDevice = &api.QDevice{Host: "10.99.1.200", Algorithm: algorithm, TieBreaker: "lowest"}
	return d
}

func TestPlanQDevice(t *testing.T) {
	five := append(append([]fixNode{}, four...), fixNode{"pve5", 5})
	tests := []struct {
		name    string
		obs     func() *state.Cluster
		decl    func() *api.Cluster
		want    []string
		blocked string
		votes   string // "before → after" of the first action
	}{
		{name: "a two-node cluster gets a qdevice",
			obs: func() *state.Cluster {
				o := topo{nodes: four[:2], links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.observe()
				withQDeviceFacts(o, true)
				return o
			},
			decl:  func() *api.Cluster { return qdeclare(decl(four[:2], map[int]int{0: 0}, defaultAddr), "ffsplit") },
			want:  []string{"SetupQDevice qdevice"},
			votes: "2 of 2 votes present, quorum 2 (quorate) → 3 of 3 votes present, quorum 2 (quorate)"},
		{name: "not installed everywhere: refused",
			obs: func() *state.Cluster {
				o := topo{nodes: four[:2], links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.observe()
				withQDeviceFacts(o, false)
				return o
			},
			decl:    func() *api.Cluster { return qdeclare(decl(four[:2], map[int]int{0: 0}, defaultAddr), "ffsplit") },
			blocked: "corosync-qdevice is not installed"},
		{name: "an undeclared qdevice is removed",
			obs: func() *state.Cluster {
				o := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.observe()
				withDevice(o, "ffsplit")
				return o
			},
			decl:  func() *api.Cluster { return decl(four, map[int]int{0: 0}, defaultAddr) },
			want:  []string{"RemoveQDevice qdevice"},
			votes: "5 of 5 votes present, quorum 3 (quorate) → 4 of 4 votes present, quorum 3 (quorate)"},
		{name: "growing 4 to 5: the qdevice is removed first, the join waits",
			obs: func() *state.Cluster {
				o := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.observe()
				withDevice(o, "ffsplit")
				withJoiner(o, "pve5", 5)
				return o
			},
			decl: func() *api.Cluster {
				d := qdeclare(joinDecl(five), "lms")
				return d
			},
			want:    []string{"RemoveQDevice qdevice"},
			blocked: "once the actions above are done"},
		{name: "after the join, lms is set up with its risk stated",
			obs: func() *state.Cluster {
				o := topo{nodes: five, links: map[int]int{0: 0}, addr: defaultAddr, version: 5}.observe()
				withQDeviceFacts(o, true)
				return o
			},
			decl:  func() *api.Cluster { return qdeclare(joinDecl(five), "lms") },
			want:  []string{"SetupQDevice qdevice"},
			votes: "5 of 5 votes present, quorum 3 (quorate) → 9 of 9 votes present, quorum 5 (quorate)"},
		{name: "a member down: pvecm cannot remove the qdevice",
			obs: func() *state.Cluster {
				o := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 3, down: map[string]bool{"pve4": true}}.observe()
				withDevice(o, "ffsplit")
				return o
			},
			decl:    func() *api.Cluster { return decl(four, map[int]int{0: 0}, defaultAddr) },
			blocked: "needs every member online and pve4 is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := tc.obs()
			cs := Plan(tc.decl(), obs, testNow)
			if got := kindsOf(cs); !slices.Equal(got, tc.want) {
				t.Fatalf("actions %q, want %q\n%s", got, tc.want, cs.Text())
			}
			if tc.blocked != "" && !strings.Contains(cs.Text(), tc.blocked) {
				t.Errorf("plan does not say %q:\n%s", tc.blocked, cs.Text())
			}
			if tc.votes != "" {
				v := cs.Actions[0].Votes
				if got := v.Before.String() + " → " + v.After.String(); got != tc.votes {
					t.Errorf("votes %s, want %s", got, tc.votes)
				}
			}
		})
	}
}

// TestDeviceVotes mirrors reference §7.1/§7.4: ffsplit writes votes 1; lms
// leaves it out and corosync gives the device N−1.
func TestDeviceVotes(t *testing.T) {
	for _, tc := range []struct {
		nodes     int
		algorithm string
		want      int
	}{{2, "ffsplit", 1}, {4, "ffsplit", 1}, {3, "lms", 2}, {5, "lms", 4}} {
		c, _ := corosync.Parse([]byte(topo{nodes: append(append([]fixNode{}, four...), fixNode{"pve5", 5})[:tc.nodes], links: map[int]int{0: 0}, addr: defaultAddr, version: 1}.conf()))
		addDevice(c, "10.99.1.200", tc.algorithm, "")
		if got := deviceVotes(c); got != tc.want {
			t.Errorf("%d nodes %s: %d votes, want %d", tc.nodes, tc.algorithm, got, tc.want)
		}
	}
}
