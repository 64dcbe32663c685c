package lab

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// The conformance suite: the same stories, with the same assertions on what
// quorate observes, plans and applies, against the simulator alone and
// against the simulator's Proxmox layer on real corosync (the lab, when it
// can run). Where they disagree, the simulator is wrong (issue #5).

// world is one backend of the suite: a model served over real HTTPS and SSH,
// with or without the lab's real corosync underneath.
type world struct {
	name   string
	m      *sim.Model
	l      *Lab // nil: the simulator alone
	decl   *api.Cluster
	remote *clusters.Remote
}

// worldSpec describes the cluster a story starts from.
type worldSpec struct {
	nodes, links int // links the lab provides (networks)
	confLinks    int // links the initial corosync.conf uses
	version      uint64
	// joiners are the last nodes of the lab left out of the cluster:
	// freshly installed machines, powered on, not in any cluster.
	joiners int
	// declare edits the declaration quorate reads (the story's intent).
	declare func(d *api.Cluster, specs []sim.NodeSpec)
}

// simSpecs are lab-shaped node specs for the simulator alone.
func simSpecs(nodes, links int) []sim.NodeSpec {
	var out []sim.NodeSpec
	for i := 1; i <= nodes; i++ {
		addrs := map[int]string{}
		for link := 0; link < links; link++ {
			addrs[link] = fmt.Sprintf("10.99.%d.%d", 250+link, i)
		}
		out = append(out, sim.NodeSpec{Name: fmt.Sprintf("pve%d", i), NodeID: i, Votes: 1, Addrs: addrs, HostIP: addrs[0]})
	}
	return out
}

// newWorld builds the backend; onLab needs a runnable lab (else skip).
func newWorld(t *testing.T, onLab bool, ws worldSpec) *world {
	t.Helper()
	w := &world{name: "sim"}
	var specs []sim.NodeSpec
	var ifaces []corosync.Interface
	name := "lab"
	if onLab {
		w.name = "lab"
		w.l = startLab(t, Options{Nodes: ws.nodes, Links: ws.links})
		specs, ifaces, name = w.l.Specs(), w.l.Interfaces(), w.l.ClusterName()
	} else {
		specs = simSpecs(ws.nodes, ws.links)
		for link := 0; link < ws.links; link++ {
			ifaces = append(ifaces, corosync.Interface{Number: link})
		}
	}
	// The machines have every network; the initial file uses confLinks.
	confSpecs := make([]sim.NodeSpec, len(specs))
	for i, s := range specs {
		var all []string
		addrs := map[int]string{}
		for link := 0; link < ws.links; link++ {
			all = append(all, s.Addrs[link])
			if link < ws.confLinks {
				addrs[link] = s.Addrs[link]
			}
		}
		s.Interfaces, s.Addrs = all, addrs
		confSpecs[i] = s
	}
	members := len(confSpecs) - ws.joiners
	w.m = sim.NewCluster(name, ifaces[:ws.confLinks], confSpecs[:members], ws.version)
	for _, s := range confSpecs[members:] {
		w.m.AddNode(sim.NodeSpec{Name: s.Name, HostIP: s.HostIP, Interfaces: s.Interfaces})
	}
	if onLab {
		if err := w.m.SetEngine(w.l.Engine()); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range w.m.Nodes() {
		if err := w.m.PowerOn(n); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	srv, err := simnet.Start(w.m, simnet.Options{Dir: filepath.Join(dir, "sim")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w.m.SetFingerprints(srv.Fingerprints())
	decl := w.m.Declaration()
	if ws.declare != nil {
		ws.declare(&decl, specs)
	}
	cfg := filepath.Join(dir, "cluster.yaml")
	if err := srv.WriteConfig(cfg, decl); err != nil {
		t.Fatal(err)
	}
	if w.decl, err = api.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if w.remote, err = clusters.Connect(w.decl, clusters.ConnectOptions{Pins: &state.PinStore{Dir: t.TempDir()}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.remote.Close() })
	return w
}

// until observes until cond holds; on the simulator the first observation
// must already show it (the model is instant), on the lab real corosync gets
// pollLimit.
func (w *world) until(t *testing.T, what string, cond func(*state.Cluster) (bool, string)) *state.Cluster {
	t.Helper()
	deadline := time.Now().Add(pollLimit)
	for {
		obs, err := w.remote.Observe(context.Background())
		if err != nil {
			t.Fatalf("%s: observe: %v", w.name, err)
		}
		ok, seen := cond(obs)
		if ok {
			return obs
		}
		if w.l == nil || time.Now().After(deadline) {
			t.Fatalf("%s: %s: not observed; last seen: %s", w.name, what, seen)
		}
		time.Sleep(pollEvery)
	}
}

// plan observes and plans.
func (w *world) plan(t *testing.T) *reconciler.Changeset {
	t.Helper()
	obs, err := w.remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs := reconciler.Plan(w.decl, obs, time.Now())
	return &cs
}

// apply carries out cs; the settle bound covers real corosync's timings.
func (w *world) apply(t *testing.T, cs *reconciler.Changeset) {
	t.Helper()
	if _, err := reconciler.Apply(context.Background(), w.remote, cs, reconciler.ApplyOptions{Settle: pollLimit, Poll: 100 * time.Millisecond}); err != nil {
		t.Fatalf("%s: apply: %v", w.name, err)
	}
}

// applyOrWait carries out cs; a precondition that does not hold yet (real
// corosync still bringing a link up) is waited for by the caller's next
// round, as quorate's own rounds do. It reports whether cs ran.
func (w *world) applyOrWait(t *testing.T, cs *reconciler.Changeset) bool {
	t.Helper()
	_, err := reconciler.Apply(context.Background(), w.remote, cs, reconciler.ApplyOptions{Settle: pollLimit, Poll: 100 * time.Millisecond})
	switch {
	case err == nil:
		return true
	case errors.Is(err, reconciler.ErrPrecondition) && w.l != nil:
		t.Logf("%s: waiting: %v", w.name, firstLine(err))
		time.Sleep(pollEvery)
		return false
	}
	t.Fatalf("%s: apply: %v", w.name, err)
	return false
}

func firstLine(err error) string { return strings.SplitN(err.Error(), "\n", 2)[0] }

// converge applies rounds until the plan is empty.
func (w *world) converge(t *testing.T) {
	t.Helper()
	for round := 0; round < 20; round++ {
		cs := w.plan(t)
		if cs.Converged() {
			return
		}
		if len(cs.Actions) == 0 {
			t.Fatalf("%s: blocked:\n%s", w.name, cs.Text())
		}
		w.applyOrWait(t, cs)
	}
	t.Fatalf("%s: did not converge:\n%s", w.name, w.plan(t).Text())
}

func (w *world) exec(t *testing.T, node, cmd string) {
	t.Helper()
	if _, serr, code := w.m.Exec(node, cmd, nil); code != 0 {
		t.Fatalf("%s: %s on %s: exit %d: %s", w.name, cmd, node, code, serr)
	}
}

// membership says whether every node sees want members, quorate.
func membership(want int) func(*state.Cluster) (bool, string) {
	return func(obs *state.Cluster) (bool, string) {
		seen := ""
		ok := true
		for _, n := range obs.Nodes {
			if n.Quorum == nil {
				seen += fmt.Sprintf("%s: no quorum view; ", n.Name)
				ok = false
				continue
			}
			seen += fmt.Sprintf("%s: nodes %d quorate %v; ", n.Name, n.Quorum.Nodes, n.Quorum.Quorate)
			ok = ok && n.Quorum.Nodes == want && n.Quorate()
		}
		return ok, seen
	}
}

// forBoth runs a story on the simulator and, when it can run, on the lab.
func forBoth(t *testing.T, story func(t *testing.T, onLab bool)) {
	t.Run("sim", func(t *testing.T) { story(t, false) })
	t.Run("lab", func(t *testing.T) { story(t, true) })
}

// TestConformance_Healthy: three members, each quorate with all three, the
// runtime config_version that of the file, and nothing to do.
func TestConformance_Healthy(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 1, confLinks: 1, version: 5})
		obs := w.until(t, "three quorate members", membership(3))
		for _, n := range obs.Nodes {
			if n.RuntimeVersion == nil || *n.RuntimeVersion != 5 || n.Quorum.ExpectedVotes != 3 || n.Quorum.Quorum != 2 {
				t.Errorf("%s: %s runtime %v, quorum %+v", w.name, n.Name, n.RuntimeVersion, n.Quorum)
			}
		}
		if cs := w.plan(t); !cs.Converged() {
			t.Errorf("%s: healthy cluster has a plan:\n%s", w.name, cs.Text())
		}
	})
}

// TestConformance_StaleNodeRepaired: the CMAP refusal observed with the same
// numbers, one resync planned, the node counted back in.
func TestConformance_StaleNodeRepaired(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 1, confLinks: 1, version: 3})
		w.until(t, "three quorate members", membership(3))
		if err := w.m.MakeStale("pve3"); err != nil {
			t.Fatal(err)
		}
		w.until(t, "pve3's CMAP refusal", func(obs *state.Cluster) (bool, string) {
			n := obs.Node("pve3")
			r := n.CMAPRejection
			return r != nil && r.Received == 4 && r.Mine == 3 && n.Corosync != state.Active && n.Quorum == nil,
				fmt.Sprintf("corosync %s, rejection %+v", n.Corosync, r)
		})
		cs := w.plan(t)
		if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ResyncCorosyncConf || cs.Actions[0].Target != "pve3" {
			t.Fatalf("%s: plan:\n%s", w.name, cs.Text())
		}
		if !strings.Contains(cs.Actions[0].Reason, "[CMAP  ] Received config version (4) is different than my config version (3)! Exiting") {
			t.Errorf("%s: the plan does not quote the CMAP line: %s", w.name, cs.Actions[0].Reason)
		}
		start := time.Now()
		w.apply(t, cs)
		t.Logf("%s: apply until pve3 verified in the membership: %s", w.name, time.Since(start).Round(time.Millisecond))
		w.until(t, "pve3 back in", membership(3))
		if cs := w.plan(t); !cs.Converged() {
			t.Errorf("%s: not converged:\n%s", w.name, cs.Text())
		}
	})
}

// TestConformance_QuorumLostAndRegained: two of three stopped, the last one
// is inquorate and quorate plans nothing; one back, quorate again.
func TestConformance_QuorumLostAndRegained(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 1, confLinks: 1, version: 3})
		w.until(t, "three quorate members", membership(3))
		w.exec(t, "pve2", "systemctl stop corosync")
		w.exec(t, "pve3", "systemctl stop corosync")
		w.until(t, "pve1 alone and inquorate", func(obs *state.Cluster) (bool, string) {
			q := obs.Node("pve1").Quorum
			return q != nil && q.Nodes == 1 && !q.Quorate && q.ExpectedVotes == 3 && q.TotalVotes == 1, fmt.Sprintf("%+v", q)
		})
		if cs := w.plan(t); len(cs.Actions) != 0 {
			t.Errorf("%s: acting without quorum:\n%s", w.name, cs.Text())
		}
		w.exec(t, "pve2", "systemctl start corosync")
		w.until(t, "pve1 and pve2 quorate", func(obs *state.Cluster) (bool, string) {
			q := obs.Node("pve1").Quorum
			return q != nil && q.Nodes == 2 && q.Quorate, fmt.Sprintf("%+v", q)
		})
		w.exec(t, "pve3", "systemctl start corosync")
		w.until(t, "all three back", membership(3))
	})
}

// TestConformance_LinkAdded: a declared second link is added live by a
// corosync.conf edit and reload; every node sees every peer connected on it.
func TestConformance_LinkAdded(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 2, confLinks: 1, version: 3,
			declare: func(d *api.Cluster, specs []sim.NodeSpec) {
				d.Spec.Links = append(d.Spec.Links, api.Link{Number: 1})
				for i := range d.Spec.Members {
					d.Spec.Members[i].Addresses = append(d.Spec.Members[i].Addresses, api.LinkAddress{Link: 1, Address: specs[i].Addrs[1]})
				}
			}})
		w.until(t, "three quorate members", membership(3))
		cs := w.plan(t)
		if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.AddLink {
			t.Fatalf("%s: plan:\n%s", w.name, cs.Text())
		}
		w.apply(t, cs)
		w.until(t, "link 1 connected everywhere", func(obs *state.Cluster) (bool, string) {
			seen := ""
			for _, n := range obs.Nodes {
				up := 0
				for _, l := range n.Links {
					if l.Number != 1 {
						continue
					}
					for _, p := range l.Peers {
						if p.Status == "connected" {
							up++
						}
					}
				}
				seen += fmt.Sprintf("%s: %d peers up on link 1; ", n.Name, up)
				if up != 2 {
					return false, seen
				}
			}
			return true, seen
		})
		if cs := w.plan(t); !cs.Converged() {
			t.Errorf("%s: not converged:\n%s", w.name, cs.Text())
		}
	})
}

// addr is node's address on link in this world.
func (w *world) addr(node string, link int) string {
	if w.l != nil {
		return w.l.AddrOn(node, link)
	}
	var i int
	fmt.Sscanf(node, "pve%d", &i)
	return fmt.Sprintf("10.99.%d.%d", 250+link, i)
}

// editClusterConf changes /etc/pve/corosync.conf on pve1 by hand, the way
// pvecm.adoc documents it (.new, then rename): what an operator does.
func (w *world) editClusterConf(t *testing.T, edit func(string) string) {
	t.Helper()
	out, serr, code := w.m.Exec("pve1", "cat /etc/pve/corosync.conf", nil)
	if code != 0 {
		t.Fatalf("cat: %s", serr)
	}
	if _, serr, code := w.m.Exec("pve1", "cat > /etc/pve/corosync.conf.new", []byte(edit(string(out)))); code != 0 {
		t.Fatalf("write: %s", serr)
	}
	w.exec(t, "pve1", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf")
}

// TestConformance_InPlaceAddressChangeRejected: an operator changes pve3's
// ring0_addr in place; pmxcfs copies the file everywhere and reloads, and
// corosync rejects the reload on every node: the files say v4, the runtime
// stays at v3, the membership is untouched (corosync-lab fact 1a).
func TestConformance_InPlaceAddressChangeRejected(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 2, confLinks: 1, version: 3})
		w.until(t, "three quorate members", membership(3))
		w.editClusterConf(t, func(s string) string {
			s = strings.Replace(s, "ring0_addr: "+w.addr("pve3", 0)+"\n", "ring0_addr: "+w.addr("pve3", 1)+"\n", 1)
			return strings.Replace(s, "config_version: 3\n", "config_version: 4\n", 1)
		})
		w.until(t, "files at v4, runtime still v3 everywhere", func(obs *state.Cluster) (bool, string) {
			seen := ""
			ok := true
			for _, n := range obs.Nodes {
				rt := uint64(0)
				if n.RuntimeVersion != nil {
					rt = *n.RuntimeVersion
				}
				seen += fmt.Sprintf("%s: file v%d local v%d runtime v%d; ", n.Name, n.ClusterConf.Version, n.LocalConf.Version, rt)
				ok = ok && n.ClusterConf.Version == 4 && n.LocalConf.Version == 4 && rt == 3
			}
			return ok, seen
		})
		out, _, _ := w.m.Exec("pve2", "corosync-cmapctl -g config.reload_status", nil)
		if !strings.Contains(string(out), "= 7") {
			t.Errorf("%s: pve2 reload_status: %s, want 7 (CS_ERR_INVALID_PARAM)", w.name, out)
		}
		w.until(t, "membership untouched", membership(3))
	})
}

// TestConformance_MemberRemoved: pve4 is powered off for good and declared
// away; quorate removes it with pvecm delnode and cleans up, and expected
// votes drop to 3 at once (corosync-lab fact 1c).
func TestConformance_MemberRemoved(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 4, links: 1, confLinks: 1, version: 5,
			declare: func(d *api.Cluster, _ []sim.NodeSpec) {
				d.Spec.Members = d.Spec.Members[:3]
				d.Spec.Policy.RemoveAbsentMembers = true
			}})
		w.until(t, "four quorate members", membership(4))
		if err := w.m.PowerOff("pve4"); err != nil {
			t.Fatal(err)
		}
		w.until(t, "pve4 gone from the membership", func(obs *state.Cluster) (bool, string) {
			q := obs.Node("pve1").Quorum
			return q != nil && q.Nodes == 3 && q.ExpectedVotes == 4, fmt.Sprintf("%+v", q)
		})
		w.converge(t)
		w.until(t, "expected votes 3 after delnode", func(obs *state.Cluster) (bool, string) {
			q := obs.Node("pve1").Quorum
			return q != nil && q.Nodes == 3 && q.ExpectedVotes == 3 && q.Quorum == 2 && q.Quorate, fmt.Sprintf("%+v", q)
		})
	})
}

// linkPeersUp counts, per node, the peers it sees connected on link.
func linkPeersUp(obs *state.Cluster, link int) (map[string]int, string) {
	up := map[string]int{}
	seen := ""
	for _, n := range obs.Nodes {
		for _, l := range n.Links {
			if l.Number != link {
				continue
			}
			for _, p := range l.Peers {
				if p.Status == "connected" {
					up[n.Name]++
				}
			}
		}
		seen += fmt.Sprintf("%s: %d up on link %d; ", n.Name, up[n.Name], link)
	}
	return up, seen
}

// TestConformance_LinkRemoved: a second link no longer declared is removed
// live while link 0 carries the cluster.
func TestConformance_LinkRemoved(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 2, confLinks: 2, version: 3,
			declare: func(d *api.Cluster, _ []sim.NodeSpec) {
				d.Spec.Links = d.Spec.Links[:1]
				for i := range d.Spec.Members {
					d.Spec.Members[i].Addresses = d.Spec.Members[i].Addresses[:1]
				}
			}})
		w.until(t, "three members, both links up", func(obs *state.Cluster) (bool, string) {
			up, seen := linkPeersUp(obs, 1)
			ok, s := membership(3)(obs)
			return ok && up["pve1"] == 2 && up["pve2"] == 2 && up["pve3"] == 2, s + seen
		})
		cs := w.plan(t)
		if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.RemoveLink {
			t.Fatalf("%s: plan:\n%s", w.name, cs.Text())
		}
		w.apply(t, cs)
		w.until(t, "link 1 gone everywhere, membership intact", func(obs *state.Cluster) (bool, string) {
			up, seen := linkPeersUp(obs, 1)
			ok, s := membership(3)(obs)
			return ok && len(up) == 0 && func() bool {
				for _, n := range obs.Nodes {
					for _, l := range n.Links {
						if l.Number == 1 {
							return false
						}
					}
				}
				return true
			}(), s + seen
		})
		if cs := w.plan(t); !cs.Converged() {
			t.Errorf("%s: not converged:\n%s", w.name, cs.Text())
		}
	})
}

// TestConformance_AddressMove: ring0 moves to another network live, through
// a temporary link, never changing an address in place (corosync-lab fact
// 1a); every node stays quorate with all three members after every action.
func TestConformance_AddressMove(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 3, links: 2, confLinks: 1, version: 7,
			declare: func(d *api.Cluster, specs []sim.NodeSpec) {
				for i := range d.Spec.Members {
					d.Spec.Members[i].Addresses = []api.LinkAddress{{Link: 0, Address: specs[i].Addrs[1]}}
				}
			}})
		w.until(t, "three quorate members", membership(3))
		for round := 0; round < 20; round++ {
			cs := w.plan(t)
			if cs.Converged() {
				break
			}
			if len(cs.Actions) == 0 {
				t.Fatalf("%s: blocked:\n%s", w.name, cs.Text())
			}
			for i := range cs.Actions {
				one := *cs
				one.Actions = cs.Actions[i : i+1]
				if i > 0 {
					break // later actions were planned on predictions; plan again
				}
				t.Logf("%s: round %d: %s", w.name, round+1, cs.Actions[i].Summary())
				if !w.applyOrWait(t, &one) {
					break
				}
				w.until(t, "quorate with all three after "+cs.Actions[i].Summary(), membership(3))
			}
		}
		obs := w.until(t, "link 0 on the new network everywhere", func(obs *state.Cluster) (bool, string) {
			seen := ""
			for _, n := range obs.Nodes {
				addr := ""
				for _, l := range n.Links {
					if l.Number == 0 {
						addr = l.Addr
					}
				}
				seen += fmt.Sprintf("%s link0 %s; ", n.Name, addr)
				if addr != w.addr(n.Name, 1) {
					return false, seen
				}
			}
			return true, seen
		})
		if cs := reconciler.Plan(w.decl, obs, time.Now()); !cs.Converged() {
			t.Errorf("%s: not converged:\n%s", w.name, cs.Text())
		}
	})
}

// TestConformance_MemberJoined: pve4, a fresh machine, is declared; quorate
// joins it with pvecm add (Proxmox's join check first), learns its new
// certificate, and real corosync counts four members.
func TestConformance_MemberJoined(t *testing.T) {
	forBoth(t, func(t *testing.T, onLab bool) {
		w := newWorld(t, onLab, worldSpec{nodes: 4, links: 1, confLinks: 1, version: 4, joiners: 1,
			declare: func(d *api.Cluster, specs []sim.NodeSpec) {
				d.Spec.Members = append(d.Spec.Members, api.Member{Name: "pve4", NodeID: 4, Votes: 1,
					Addresses: []api.LinkAddress{{Link: 0, Address: specs[3].Addrs[0]}}})
			}})
		w.until(t, "pve1..pve3 quorate", func(obs *state.Cluster) (bool, string) {
			q := obs.Node("pve1").Quorum
			return q != nil && q.Nodes == 3 && q.Quorate, fmt.Sprintf("%+v", q)
		})
		cs := w.plan(t)
		if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.JoinMember || cs.Actions[0].Target != "pve4" {
			t.Fatalf("%s: plan:\n%s", w.name, cs.Text())
		}
		w.apply(t, cs)
		w.until(t, "four quorate members", membership(4))
	})
}
