package lab

import (
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sim"
)

// quorumLines returns the "Quorum:" and "Flags:" lines of a quorumtool
// output as printed (trailing spaces included): the parser keeps only the
// number of "Quorum: 2 Activity blocked", and corosync-lab §3 documents
// both lines byte for byte.
func quorumLines(out string) (quorum, flags string) {
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Quorum:"):
			quorum = line
		case strings.HasPrefix(line, "Flags:"):
			flags = line
		}
	}
	return quorum, flags
}

// TestConformanceQuorumLostAndRegained: corosync-lab §3, reference §7.
// Three nodes; pve2 and pve3 stop (systemctl stop: SIGTERM), and the lone
// pve1 is inquorate — `Quorate: No`, `Quorum: 2 Activity blocked`, an empty
// Flags line and exit status 2 from corosync-quorumtool -s; pve2 starts
// again and both are quorate with 2 of 3 votes. Real and simulator must
// print the same at each step: exit status, the parsed view and the raw
// Quorum:/Flags: lines.
func TestConformanceQuorumLostAndRegained(t *testing.T) {
	t.Parallel()
	l := startLab(t, Options{Nodes: 3})
	startAll(t, l)
	m := simTwin(t, l, 1)

	stops := time.Now()
	for _, nm := range []string{"pve2", "pve3"} {
		if err := l.StopCorosync(nm); err != nil {
			t.Fatal(err)
		}
		if err := simOK(m, nm, "systemctl stop corosync"); err != nil {
			t.Fatal(err)
		}
	}
	real := waitMembers(t, l, "pve1", 1, false)
	t.Logf("pve1 alone and inquorate %v after the stops began", time.Since(stops).Round(10*time.Millisecond))
	if real.TotalVotes != 1 || real.ExpectedVotes != 3 || real.Quorum != 2 || len(real.Flags) != 0 {
		t.Errorf("real lone pve1: %+v; want Total votes 1, Expected votes 3, Quorum 2, no flags (corosync-lab §3)", *real)
	}
	sameQuorum(t, "pve1 (alone)", real, simQuorum(t, m, "pve1"))
	sameQuorumtoolText(t, l, m, "pve1", 2, "Quorum:           2 Activity blocked", "Flags:            ")

	start := time.Now()
	if err := l.StartCorosync("pve2"); err != nil {
		t.Fatal(err)
	}
	if err := simOK(m, "pve2", "systemctl start corosync"); err != nil {
		t.Fatal(err)
	}
	for _, nm := range []string{"pve1", "pve2"} {
		real := waitMembers(t, l, nm, 2, true)
		t.Logf("real %s quorate with 2 nodes %v after pve2's start", nm, time.Since(start).Round(100*time.Millisecond))
		if real.TotalVotes != 2 || real.ExpectedVotes != 3 || real.Quorum != 2 {
			t.Errorf("real %s with pve2 back: %+v; want Total votes 2, Expected votes 3, Quorum 2", nm, *real)
		}
		sameQuorum(t, nm+" (pve2 back)", real, simQuorum(t, m, nm))
		sameQuorumtoolText(t, l, m, nm, 0, "Quorum:           2  ", "Flags:            Quorate ")
	}
}

// sameQuorumtoolText runs corosync-quorumtool -s on node, real and sim, and
// checks the exit status and the raw Quorum:/Flags: lines against want and
// against each other.
func sameQuorumtoolText(t *testing.T, l *Lab, m *sim.Model, node string, code int, wantQuorum, wantFlags string) {
	t.Helper()
	realOut, _, realCode := l.Exec(node, "corosync-quorumtool", "-s")
	simOut, _, simCode := m.Exec(node, "corosync-quorumtool -s", nil)
	rq, rf := quorumLines(string(realOut))
	sq, sf := quorumLines(string(simOut))
	if realCode != code || rq != wantQuorum || rf != wantFlags {
		t.Errorf("real %s: corosync-quorumtool -s exit %d, %q, %q; want exit %d, %q, %q (corosync-lab §3)", node, realCode, rq, rf, code, wantQuorum, wantFlags)
	}
	if realCode != simCode || rq != sq || rf != sf {
		t.Errorf("%s: corosync-quorumtool -s differs\n real: exit %d, %q, %q\n  sim: exit %d, %q, %q", node, realCode, rq, rf, simCode, sq, sf)
	}
}
