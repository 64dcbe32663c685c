package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// setLinks rewrites the nodelist and totem interfaces: link l gets address
// nets[l].N for node pveN (by name), links missing from nets are dropped.
func setLinks(nets map[int]string, prio map[int]int) func(c *corosync.Config) {
	return func(c *corosync.Config) {
		for _, s := range c.Main.Section("nodelist").List("node") {
			name, _ := s.Value("name")
			num := strings.TrimPrefix(name, "pve")
			for l := 0; l < 8; l++ {
				key := fmt.Sprintf("ring%d_addr", l)
				if net, ok := nets[l]; ok {
					s.Set(key, net+"."+num)
				} else {
					s.Delete(key)
				}
			}
		}
		var ifs []*corosync.Section
		for l := 0; l < 8; l++ {
			if _, ok := nets[l]; !ok {
				continue
			}
			is := corosync.NewSection()
			if p := prio[l]; p != 0 {
				is.Set("knet_link_priority", fmt.Sprint(p))
			}
			is.Set("linknumber", fmt.Sprint(l))
			ifs = append(ifs, is)
		}
		c.Main.Section("totem").SetList("interface", ifs)
	}
}

// linksOf renders a node's corosync-cfgtool -s view compactly:
// "0=10.30.30.1[1:localhost 2:connected] 1=...".
func linksOf(links []state.Link) string {
	var parts []string
	for _, l := range links {
		var peers []string
		for _, p := range l.Peers {
			peers = append(peers, fmt.Sprintf("%d:%s", p.NodeID, p.Status))
		}
		parts = append(parts, fmt.Sprintf("%d=%s[%s]", l.Number, l.Addr, strings.Join(peers, " ")))
	}
	return strings.Join(parts, " ")
}

// The lab's live ring0 move (corosync-lab §1(a), reference §8.2): four
// reloads, each its own version, membership intact throughout (same ring,
// all four members), and corosync-cfgtool -s following each step.
func TestMoveRing0_FourReloads_Lab1a(t *testing.T) {
	m := scenario(t, "move-ring0")
	first := m.Snapshot()
	ring := first.Node("pve1").Quorum.RingID
	all := "1:localhost 2:connected 3:connected 4:connected"
	steps := []struct {
		name  string
		nets  map[int]string
		links string // pve1's -s view
	}{
		{"add link 1 on the new net", map[int]string{0: "10.10.10", 1: "10.30.30"},
			"0=10.10.10.1[" + all + "] 1=10.30.30.1[" + all + "]"},
		{"drop link 0", map[int]string{1: "10.30.30"}, "1=10.30.30.1[" + all + "]"},
		{"re-add link 0 on the new net", map[int]string{0: "10.30.30", 1: "10.30.30"},
			"0=10.30.30.1[" + all + "] 1=10.30.30.1[" + all + "]"},
		{"drop link 1", map[int]string{0: "10.30.30"}, "0=10.30.30.1[" + all + "]"},
	}
	for i, st := range steps {
		if err := editClusterConf(m, "pve1", setLinks(st.nets, nil)); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, st.name, err)
		}
		snap := m.Snapshot()
		want := uint64(8 + i)
		for _, n := range snap.Nodes {
			if n.RuntimeVersion == nil || *n.RuntimeVersion != want {
				t.Errorf("step %d (%s): %s runtime version %v, want %d", i+1, st.name, n.Name, n.RuntimeVersion, want)
			}
			if n.Quorum == nil || n.Quorum.RingID != ring || len(n.Quorum.Members) != 4 {
				t.Errorf("step %d (%s): %s membership changed: %+v", i+1, st.name, n.Name, n.Quorum)
			}
		}
		if got := linksOf(snap.Node("pve1").Links); got != st.links {
			t.Errorf("step %d (%s): pve1 links\n got %s\nwant %s", i+1, st.name, got, st.links)
		}
	}
	out := mustRun(t, m, "pve3", "corosync-cfgtool -s")
	if !strings.Contains(out, "LINK ID 0 udp\n\taddr\t= 10.30.30.3\n") || strings.Contains(out, "LINK ID 1") {
		t.Errorf("pve3 corosync-cfgtool -s after the move:\n%s", out)
	}
	// A later restart with the final file rejoins normally (lab §1(a)).
	mustRun(t, m, "pve3", "systemctl restart corosync")
	if got := memberIDs(t, m, "pve3"); got != "1 2 3 4" {
		t.Errorf("pve3 after restart: members %q", got)
	}
}

// Changing link 0's address in place is refused by every node (§8.2), so
// move-ring0 cannot be done with one reload.
func TestMoveRing0_InPlaceIsRejected_Ref8_2(t *testing.T) {
	m := scenario(t, "move-ring0")
	if err := editClusterConf(m, "pve1", setLinks(map[int]string{0: "10.30.30"}, nil)); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, m, "pve2", "corosync-cmapctl -g config.reload_status"); got != "config.reload_status (i32) = 7\n" {
		t.Errorf("reload status %q", got)
	}
	snap := m.Snapshot()
	if got := linksOf(snap.Node("pve2").Links); !strings.HasPrefix(got, "0=10.10.10.2[") {
		t.Errorf("pve2 links after rejected reload: %s", got)
	}
}

// A nodelist address the machine does not have cannot be bound: the link is
// down for that node (absent from its -s, "disconnected" at its peers) until
// a reload after the address is configured (NodeSpec.Interfaces).
func TestLinks_UnboundAddress(t *testing.T) {
	nodes := labNodes("pve", 1, 2, 3)
	for i := range nodes {
		nodes[i].Addrs[1] = fmt.Sprintf("10.20.20.%d", i+1)
	}
	nodes[2].Interfaces = []string{"10.10.10.3", "192.0.2.3"} // pve3 lacks 10.20.20.3
	m := NewCluster("lab", []corosync.Interface{{Number: 0}, {Number: 1}}, nodes, 3)
	m.Clock = fixedClock
	if err := powerAll(m, m.Nodes()...); err != nil {
		t.Fatal(err)
	}
	if log := journal(t, m, "pve3", "corosync"); !strings.Contains(log, "[TOTEM ] knet_link_set_config for link 1 (local addr 10.20.20.3) failed: cannot bind") {
		t.Errorf("pve3 journal lacks the bind failure:\n%s", log)
	}
	snap := m.Snapshot()
	if got := linksOf(snap.Node("pve3").Links); got != "0=10.10.10.3[1:connected 2:connected 3:localhost]" {
		t.Errorf("pve3 links: %s", got)
	}
	if got := linksOf(snap.Node("pve1").Links); got != "0=10.10.10.1[1:localhost 2:connected 3:connected] 1=10.20.20.1[1:localhost 2:connected 3:disconnected]" {
		t.Errorf("pve1 links: %s", got)
	}
	if got := memberIDs(t, m, "pve1"); got != "1 2 3" {
		t.Errorf("members with pve3 on link 0 only: %q", got)
	}
	m.AddInterface("pve3", "10.20.20.3")
	snap = m.Snapshot()
	if got := linksOf(snap.Node("pve1").Links); !strings.HasSuffix(got, "3:disconnected]") {
		t.Errorf("AddInterface alone rebound the link: %s", got)
	}
	mustRun(t, m, "pve1", "corosync-cfgtool -R")
	snap = m.Snapshot()
	if got := linksOf(snap.Node("pve1").Links); got != "0=10.10.10.1[1:localhost 2:connected 3:connected] 1=10.20.20.1[1:localhost 2:connected 3:connected]" {
		t.Errorf("pve1 links after AddInterface and reload: %s", got)
	}
}

// Adding link 1 on a net one node lacks keeps the membership on link 0.
func TestAddLink_NodeWithoutAddress(t *testing.T) {
	m := scenario(t, "healthy") // no 10.20.20.N interfaces
	if err := editClusterConf(m, "pve1", setLinks(map[int]string{0: "10.10.10", 1: "10.20.20"}, map[int]int{1: 10})); err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	for _, n := range snap.Nodes {
		if len(n.Links) != 1 || n.Quorum == nil || len(n.Quorum.Members) != 3 {
			t.Errorf("%s: links %s members %+v", n.Name, linksOf(n.Links), n.Quorum)
		}
	}
}
