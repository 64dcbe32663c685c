package lab

import (
	"strings"
	"testing"
)

// TestLabLinksAndQNetdTeardown: a lab with two links and a qnetd host
// creates one namespace per node plus the qnetd's, two bridges, two veths
// per node plus the qnetd's, runs corosync-qnetd (recorded), refuses the
// corosync methods and links that do not exist, and Close leaves nothing
// of it behind.
func TestLabLinksAndQNetdTeardown(t *testing.T) {
	l := startLab(t, Options{Nodes: 2, Links: 2, QNetd: true})
	if !l.QNetdRunning() {
		t.Fatalf("corosync-qnetd does not run after Start; output:\n%s", lastLines(l.QNetdOutput(), 10))
	}
	if r := realTool(l, QNetdHost, "corosync-qnetd-tool", "-s"); r.Code != 0 {
		t.Errorf("corosync-qnetd-tool -s on the qnetd host: %s", r)
	}
	// Every address lives in its namespace and routes through its bridge.
	for _, tc := range []struct{ node, addr, dev string }{
		{"pve2", l.AddrOn("pve2", 0), "eth0"},
		{"pve2", l.AddrOn("pve2", 1), "eth1"},
		{QNetdHost, l.QNetdAddr(), "eth0"},
	} {
		if r := realTool(l, tc.node, "ip", "-o", "-4", "addr", "show", "dev", tc.dev); r.Code != 0 || !strings.Contains(r.Stdout, " "+tc.addr+"/24 ") {
			t.Errorf("%s: %s has no %s/24: %s", tc.node, tc.dev, tc.addr, r)
		}
		if err := l.CheckRoute(tc.addr); err != nil {
			t.Error(err)
		}
	}
	// pve1 reaches qnetd's port on link 0 and pve2 on link 1 (a refused
	// connection proves the path: no ping on this kernel's image).
	if r := tcpProbe(l, "pve1", l.QNetdAddr(), "5403"); r.Code != 0 {
		t.Errorf("pve1 cannot connect to corosync-qnetd at %s:5403: %s", l.QNetdAddr(), r)
	}
	if r := tcpProbe(l, "pve1", l.AddrOn("pve2", 1), "9"); !strings.Contains(r.Stderr, "Connection refused") {
		t.Errorf("pve1 does not reach pve2 on link 1 (%s): %s; want Connection refused", l.AddrOn("pve2", 1), r)
	}
	// CutLink takes link 1 away and RestoreLink gives it back.
	if err := l.CutLink("pve2", 1); err != nil {
		t.Fatal(err)
	}
	if r := realTool(l, "pve2", "ip", "-o", "link", "show", "dev", "eth1"); !strings.Contains(r.Stdout, "NO-CARRIER") {
		t.Errorf("pve2's eth1 after CutLink(pve2, 1): %s; want NO-CARRIER", r)
	}
	if r := tcpProbe(l, "pve1", l.AddrOn("pve2", 1), "9"); r.Code != 124 {
		t.Errorf("pve1 still reaches pve2 on the cut link 1: %s; want the probe to time out (rc 124)", r)
	}
	if r := tcpProbe(l, "pve1", l.QNetdAddr(), "5403"); r.Code != 0 {
		t.Errorf("cutting pve2's link 1 cut pve1 off link 0: %s", r)
	}
	if err := l.RestoreLink("pve2", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pve1 reaches pve2 on link 1 after RestoreLink", func() (bool, string) {
		r := tcpProbe(l, "pve1", l.AddrOn("pve2", 1), "9")
		return strings.Contains(r.Stderr, "Connection refused"), r.String()
	})

	for _, tc := range []struct {
		name string
		err  error
		sub  string
	}{
		{"no link 2", l.CutLink("pve1", 2), "has no link 2"},
		{"qnetd has no link 1", l.CutLink(QNetdHost, 1), "has no link 1"},
		{"no corosync on the qnetd host", l.StartCorosync(QNetdHost), "is the qnetd host"},
		{"no conf on the qnetd host", l.WriteConf(QNetdHost, nil), "is the qnetd host"},
		{"qdevice needs corosync", l.StartQDevice("pve1"), "needs corosync running"},
		{"a second qnetd", l.StartQNetd(), "already runs"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.sub) {
			t.Errorf("%s: %v; want an error with %q", tc.name, tc.err, tc.sub)
		}
	}

	procs := l.Procs()
	if len(procs) != 4 { // three holders, one qnetd
		t.Fatalf("recorded %d processes, want 4: %+v", len(procs), procs)
	}
	// 3 namespaces, 2 bridges, 5 host-side veths, state file, directory.
	if got := labObjects(t, l.ID, l.Dir); len(got) < 3+2+5+2 {
		t.Fatalf("before Close only %d lab objects exist: %v", len(got), got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := labObjects(t, l.ID, l.Dir); len(got) > 0 {
		t.Errorf("after Close these remain: %v", got)
	}
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("process %d (%s) still runs after Close", p.PID, p.What)
		}
	}
}

// TestLabOptionsRefused: Options the lab cannot build are refused before
// anything is created.
func TestLabOptionsRefused(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	for _, links := range []int{-1, 3} {
		if l, err := Start(Options{Links: links}); err == nil || !strings.Contains(err.Error(), "Options.Links") {
			if l != nil {
				l.Close()
			}
			t.Errorf("Start(Links: %d) = %v; want an error naming Options.Links", links, err)
		}
	}
	l := startLab(t, Options{Nodes: 1})
	if _, err := l.SetupQDevice(); err == nil || !strings.Contains(err.Error(), "Options.QNetd") {
		t.Errorf("SetupQDevice without a qnetd host: %v; want an error naming Options.QNetd", err)
	}
	if err := l.KillQNetd(); err == nil {
		t.Error("KillQNetd without a qnetd host succeeded")
	}
}

// tcpProbe opens a TCP connection from node to addr:port with bash's
// /dev/tcp, bounded by timeout(1): rc 0 when something listens, rc 1 with
// "Connection refused" when the host answers without a listener, rc 124
// when nothing answers.
func tcpProbe(l *Lab, node, addr, port string) toolResult {
	return realTool(l, node, "timeout", "2", "bash", "-c", "</dev/tcp/"+addr+"/"+port)
}
