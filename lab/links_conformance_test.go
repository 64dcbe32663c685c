package lab

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// cfgtoolLinks runs corosync-cfgtool -s on a real node and parses it.
func cfgtoolLinks(l *Lab, node string) ([]state.Link, error) {
	r := realTool(l, node, "corosync-cfgtool", "-s")
	if r.Code != 0 {
		return nil, fmt.Errorf("real %s: corosync-cfgtool -s: %s", node, r)
	}
	return cmdout.ParseCfgtoolStatus([]byte(r.Stdout))
}

// simLinks runs corosync-cfgtool -s on a simulated node and parses it.
func simLinks(t *testing.T, m *sim.Model, node string) []state.Link {
	t.Helper()
	r := simTool(m, node, "corosync-cfgtool -s")
	if r.Code != 0 {
		t.Fatalf("sim %s: corosync-cfgtool -s: %s", node, r)
	}
	links, err := cmdout.ParseCfgtoolStatus([]byte(r.Stdout))
	if err != nil {
		t.Fatalf("sim %s: %v", node, err)
	}
	return links
}

// linkView renders links compactly for messages and comparisons:
// "0=10.99.7.1[1:localhost 2:connected] 1=...".
func linkView(links []state.Link) string {
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

// allConnected reports whether links are exactly want links, each with
// every peer "connected" (and the node itself "localhost").
func allConnected(links []state.Link, want int) bool {
	if len(links) != want {
		return false
	}
	for _, l := range links {
		for _, p := range l.Peers {
			if p.Status != "connected" && p.Status != "localhost" {
				return false
			}
		}
	}
	return true
}

// waitLinks polls corosync-cfgtool -s on a real node until cond holds and
// returns the last view.
func waitLinks(t *testing.T, l *Lab, node, what string, cond func([]state.Link) bool) []state.Link {
	t.Helper()
	var links []state.Link
	waitFor(t, node+": corosync-cfgtool -s: "+what, func() (bool, string) {
		var err error
		if links, err = cfgtoolLinks(l, node); err != nil {
			return false, err.Error()
		}
		return cond(links), linkView(links)
	})
	return links
}

// sameLinks fails the test unless the real and simulated cfgtool views of
// node agree.
func sameLinks(t *testing.T, node string, real, simL []state.Link) {
	t.Helper()
	if !reflect.DeepEqual(real, simL) {
		t.Errorf("%s: corosync-cfgtool -s differs between real corosync and the simulator\n real: %s\n  sim: %s", node, linkView(real), linkView(simL))
	}
}

// peerStatus returns the status of nodeid on link number in links, or "".
func peerStatus(links []state.Link, link, nodeid int) string {
	for _, l := range links {
		if l.Number != link {
			continue
		}
		for _, p := range l.Peers {
			if p.NodeID == nodeid {
				return p.Status
			}
		}
	}
	return ""
}

// TestConformanceSecondLink: reference §8.1, corosync-lab §1(d) and §2
// ("if only one of two links goes down ... membership is unaffected"). Three
// nodes with two links: corosync-cfgtool -s shows both links with every
// peer connected, as the simulator does. Cutting pve3's link 0 makes knet
// report link 0 down between pve3 and the others while the cluster keeps
// its members and quorum over link 1 — shown by a reload request crossing
// from pve1 to pve3 after the cut, and by logs without "Members left" or
// "non-primary component" lines since the cut (the ring id may change: see
// the comment at the check). The simulator cannot cut a single link
// (sim.Model.Cut pulls every link), so the cut itself is asserted on real
// corosync only.
func TestConformanceSecondLink(t *testing.T) {
	t.Parallel()
	l := startLab(t, Options{Nodes: 3, Links: 2})
	startAll(t, l)
	m := simTwin(t, l, 1)
	for _, nm := range l.Nodes() {
		real := waitLinks(t, l, nm, "both links connected to every peer", func(ls []state.Link) bool { return allConnected(ls, 2) })
		sameLinks(t, nm, real, simLinks(t, m, nm))
	}
	before, err := quorum(l, "pve1")
	if err != nil {
		t.Fatal(err)
	}

	marks := map[string]int{}
	for _, nm := range l.Nodes() {
		marks[nm] = len(l.Log(nm))
	}
	cut := time.Now()
	if err := l.CutLink("pve3", 0); err != nil {
		t.Fatal(err)
	}
	// corosync-lab §2 saw knet notice after 1.5 s; here it takes 2.8-4.7 s.
	pve1 := waitLinks(t, l, "pve1", "link 0 to node 3 down", func(ls []state.Link) bool {
		return peerStatus(ls, 0, 3) != "connected"
	})
	t.Logf("pve1 sees link 0 to node 3 down %v after the cut", time.Since(cut).Round(100*time.Millisecond))
	pve3 := waitLinks(t, l, "pve3", "link 0 to nodes 1 and 2 down", func(ls []state.Link) bool {
		return peerStatus(ls, 0, 1) != "connected" && peerStatus(ls, 0, 2) != "connected"
	})
	t.Logf("after cutting pve3's link 0:\n pve1: %s\n pve3: %s", linkView(pve1), linkView(pve3))
	for _, tc := range []struct {
		node         string
		links        []state.Link
		link, nodeid int
		want         string
	}{
		{"pve1", pve1, 0, 3, "disconnected"},
		{"pve1", pve1, 1, 3, "connected"},
		{"pve1", pve1, 0, 2, "connected"},
		{"pve3", pve3, 0, 1, "disconnected"},
		{"pve3", pve3, 1, 1, "connected"},
		{"pve3", pve3, 1, 2, "connected"},
	} {
		if got := peerStatus(tc.links, tc.link, tc.nodeid); got != tc.want {
			t.Errorf("real %s after the cut: link %d to node %d is %q, want %q (only pve3's link 0 is cut)", tc.node, tc.link, tc.nodeid, got, tc.want)
		}
	}

	// A message that must travel: pve1 asks every member to reload a file
	// at version 2; pve3 applies it only if the request reaches it through
	// totem, i.e. over link 1. The runtime version is the evidence (a tool
	// answer), not a line in pve3's log: one early run of this test waited
	// 30 s in vain for pve3's "Config reload requested" line, cause not
	// established.
	two := l.Conf(2)
	for _, nm := range l.Nodes() {
		if err := l.WriteConf(nm, two); err != nil {
			t.Fatal(err)
		}
	}
	if r := realTool(l, "pve1", "corosync-cfgtool", "-R"); r.Code != 0 {
		t.Fatalf("corosync-cfgtool -R on pve1 with pve3's link 0 cut: %s", r)
	}
	waitFor(t, "pve3 applies pve1's reload request (runtime config_version 2)", func() (bool, string) {
		v, seen := configVersion(l, "pve3")
		return v == 2, seen
	})
	for _, nm := range l.Nodes() {
		q, err := quorum(l, nm)
		if err != nil {
			t.Fatal(err)
		}
		if q.Nodes != 3 || !q.Quorate {
			t.Errorf("real %s with pve3's link 0 cut: Nodes %d, Quorate %v; want 3, quorate (corosync-lab §2)", nm, q.Nodes, q.Quorate)
		}
		if q.RingID != before.RingID {
			// Seen in this lab in 8 of 8 runs: with Proxmox's
			// token_coefficient 125 (token 3125 ms on 3 nodes) the token
			// times out before knet declares link 0 down (2.8-4.7 s) and
			// fails over, so totem forms a new ring with the same three
			// members. corosync-lab §2 saw no membership event at all.
			// Logged, not asserted: it is a race between two timers.
			t.Logf("real %s: the ring changed from %s to %s during the failover (same members)", nm, before.RingID, q.RingID)
		}
		// Nobody left and nobody lost quorum at any moment since the cut.
		since := string(l.Log(nm)[marks[nm]:])
		for _, bad := range []string{"Members left:", "non-primary component"} {
			if strings.Contains(since, bad) {
				t.Errorf("real %s: the log since the cut has %q although link 1 stayed up:\n%s", nm, bad, since)
			}
		}
		if strings.Contains(since, "A processor failed") {
			t.Logf("real %s: token lost once during the failover (same members kept):\n%s", nm, since)
		}
	}
	// The simulator has no single-link cut to compare with; the test logs
	// that so the gap stays visible.
	t.Logf("sim: no single-link cut (sim.Model.Cut cuts every link), so the cut view was not compared; real pve1 view: %s", linkView(pve1))

	if err := l.RestoreLink("pve3", 0); err != nil {
		t.Fatal(err)
	}
	for _, nm := range l.Nodes() {
		real := waitLinks(t, l, nm, "link 0 back", func(ls []state.Link) bool { return allConnected(ls, 2) })
		sameLinks(t, nm, real, simLinks(t, m, nm))
	}
}

// TestConformanceAddLinkLive: reference §8.1, corosync-lab §1(d). Three
// nodes run with link 0 only (the second network exists, the file does not
// use it); every node gets the file with link 1 added (ring1_addr and
// interface linknumber 1) at version 2 and pve1 runs corosync-cfgtool -R.
// Real 3.1.7 accepts it (rc 0) and brings link 1 up without a restart and
// without a membership change; the simulator's reload (AddLink in
// clusters/sim reload.go) must give the same -R result, runtime version and
// cfgtool view.
func TestConformanceAddLinkLive(t *testing.T) {
	t.Parallel()
	l := startLab(t, Options{Nodes: 3, Links: 2})
	one, err := l.ConfWith(1, ConfOptions{Links: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, nm := range l.Nodes() {
		if err := l.WriteConf(nm, one); err != nil {
			t.Fatal(err)
		}
	}
	startAll(t, l)
	m := simTwinLinks(t, l, 1)
	for _, nm := range l.Nodes() {
		real := waitLinks(t, l, nm, "link 0 connected to every peer", func(ls []state.Link) bool { return allConnected(ls, 1) })
		sameLinks(t, nm, real, simLinks(t, m, nm))
	}
	before, err := quorum(l, "pve1")
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, nm := range l.Nodes() {
		pids[nm] = l.PID(nm)
	}

	two := l.Conf(2)
	for _, nm := range l.Nodes() {
		if err := l.WriteConf(nm, two); err != nil {
			t.Fatal(err)
		}
		m.WriteFile(nm, "/etc/corosync/corosync.conf", two)
	}
	reload := time.Now()
	realR := realTool(l, "pve1", "corosync-cfgtool", "-R")
	simR := simTool(m, "pve1", "corosync-cfgtool -R")
	if realR.Code != 0 {
		t.Fatalf("real corosync-cfgtool -R adding link 1: %s; want rc 0 (corosync-lab §1(d))", realR)
	}
	if realR != simR {
		t.Errorf("corosync-cfgtool -R adding link 1 differs\n real: %s\n  sim: %s", realR, simR)
	}
	for _, nm := range l.Nodes() {
		// corosync-lab §1(d): link 1 up about 2.2 s after the reload.
		real := waitLinks(t, l, nm, "link 1 added and connected to every peer", func(ls []state.Link) bool { return allConnected(ls, 2) })
		t.Logf("real %s: link 1 connected to every peer %v after the reload", nm, time.Since(reload).Round(100*time.Millisecond))
		sameLinks(t, nm, real, simLinks(t, m, nm))
		v, seen := configVersion(l, nm)
		sv := simTool(m, nm, "corosync-cmapctl -g totem.config_version")
		if v != 2 || sv.Stdout != "totem.config_version (u64) = 2" {
			t.Errorf("%s: runtime config_version after the reload: real %q, sim %q; want 2 on both", nm, seen, sv.Stdout)
		}
		if pid := l.PID(nm); pid != pids[nm] {
			t.Errorf("real %s: corosync PID %d before the reload, %d after: it restarted", nm, pids[nm], pid)
		}
		q, err := quorum(l, nm)
		if err != nil {
			t.Fatal(err)
		}
		if q.Nodes != 3 || q.RingID != before.RingID {
			t.Errorf("real %s after adding link 1: Nodes %d, Ring ID %s; want 3 and the ring before (%s): the reload must not change the membership", nm, q.Nodes, q.RingID, before.RingID)
		}
		sameQuorum(t, nm, q, simQuorum(t, m, nm))
	}
}

// simTwinLinks is simTwin for a lab whose file uses only the first links
// links: the machines have the addresses of every lab link (so a link added
// later can bind), the nodelist only those of the first links.
func simTwinLinks(t *testing.T, l *Lab, links int) *sim.Model {
	t.Helper()
	specs := l.Specs()
	for i := range specs {
		for link := 0; link < l.LinkCount(); link++ {
			specs[i].Interfaces = append(specs[i].Interfaces, specs[i].Addrs[link])
		}
		for link := range specs[i].Addrs {
			if link >= links {
				delete(specs[i].Addrs, link)
			}
		}
	}
	m := sim.NewCluster(l.ClusterName(), l.Interfaces()[:links], specs, 1)
	for _, nm := range l.Nodes() {
		if err := m.PowerOn(nm); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
