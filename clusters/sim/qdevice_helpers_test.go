package sim

import (
	"strings"
	"testing"
)

// duoWithQDevice is cluster "duo" (pve1, pve2, version 3) with the qnetd
// host up at qnetdIP and `pvecm qdevice setup` run on pve1.
func duoWithQDevice(t *testing.T) *Model {
	t.Helper()
	m := NewCluster("duo", link0, labNodes("pve", 1, 2), 3)
	m.Clock = fixedClock
	if err := powerAll(m, "pve1", "pve2"); err != nil {
		t.Fatal(err)
	}
	m.AddQNetd(qnetdIP)
	mustRun(t, m, "pve1", "pvecm qdevice setup "+qnetdIP)
	return m
}

// textFrom returns the lines of out from the one starting with from up to
// (not including) the first empty line after it.
func textFrom(out, from string) string {
	i := strings.Index(out, from)
	if i < 0 {
		return ""
	}
	rest := out[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		return rest[:j+1]
	}
	return rest
}
