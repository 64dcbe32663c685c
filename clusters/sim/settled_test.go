package sim

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestMain turns on the settled-model check for every test of the package:
// each read-only line that skips settling is verified to have skipped
// nothing (see verifySettled).
func TestMain(m *testing.M) {
	settleCheck = verifySettled
	os.Exit(m.Run())
}

// verifySettled runs a read-only line the way the model would without the
// shortcut and panics (failing the test binary with a stack) when the
// shortcut would have changed behaviour: the cached partitions must be the
// current ones, settling before the line must change nothing, the line must
// change nothing, and settling after it must change nothing.
func verifySettled(m *Model, run func()) {
	if got, want := partsString(m.parts), partsString(m.partitions()); got != want {
		panic(fmt.Sprintf("sim: settled model has stale partitions %s, want %s", got, want))
	}
	before := fingerprint(m)
	m.settle()
	if after := fingerprint(m); after != before {
		panic("sim: settle changed a model marked settled:\n" + firstDiff(before, after))
	}
	run()
	ran := fingerprint(m)
	if ran != before {
		panic("sim: a command classified read-only changed the model:\n" + firstDiff(before, ran))
	}
	m.settle()
	if after := fingerprint(m); after != ran {
		panic("sim: settle after a read-only command changed the model:\n" + firstDiff(ran, after))
	}
}

func partsString(parts [][]*node) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("[")
		for _, n := range p {
			b.WriteString(n.spec.Name + " ")
		}
		b.WriteString("]")
	}
	return b.String()
}

// fingerprint renders everything settle and the commands can change, one
// item per line (fmt prints maps sorted by key, nested pointers as
// addresses, so a replaced runtime config shows).
func fingerprint(m *Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ringSeq %d pidSeq %d certGen %v certChanged %v fingerprints %v\n", m.ringSeq, m.pidSeq, m.certGen, m.certChanged, m.Fingerprints)
	for _, ip := range sortedKeys(m.qnetd) {
		fmt.Fprintf(&b, "qnetd %+v\n", *m.qnetd[ip])
	}
	for _, n := range m.sortedNodes() {
		fmt.Fprintf(&b, "%s powered %v cut %v units %v\n", n.spec.Name, n.powered, n.cut, n.units)
		fmt.Fprintf(&b, "%s qdevice installed %v enabled %v running %v\n", n.spec.Name, n.qdInstalled, n.qdEnabled, n.qd != nil)
		if n.qd != nil {
			fmt.Fprintf(&b, "%s qdevice %+v\n", n.spec.Name, *n.qd)
		}
		fmt.Fprintf(&b, "%s files %q dirs %v ifaces %v %v\n", n.spec.Name, n.files, n.dirs, n.ifaces, n.ifList)
		if n.db != nil {
			fmt.Fprintf(&b, "%s db v%d %v %q dirs %v\n", n.spec.Name, n.db.version, n.db.mtime, n.db.files, n.db.dirs)
		}
		if n.cs != nil {
			fmt.Fprintf(&b, "%s cs %+v\n", n.spec.Name, *n.cs)
		}
		if n.cfs != nil {
			fmt.Fprintf(&b, "%s cfs %+v\n", n.spec.Name, *n.cfs)
		}
		for _, l := range n.journal {
			fmt.Fprintf(&b, "%s journal %s\n", n.spec.Name, l.text)
		}
	}
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(no difference)"
}

// Read-only lines on a settled model skip settling; anything that may change
// the model (or a model not yet settled) settles as always.
func TestRunLine_ReadOnlySkipsSettle(t *testing.T) {
	cases := []struct {
		name  string
		cmd   string
		quick bool
	}{
		{"systemctl is-active", "systemctl is-active corosync pve-cluster", true},
		{"cat /etc/pve", "cat '/etc/pve/corosync.conf'", true},
		{"cat local", "cat /etc/corosync/corosync.conf", true},
		{"quorumtool -s", "corosync-quorumtool -s", true},
		{"quorumtool -l", "corosync-quorumtool -l", true},
		{"cmapctl -g", "corosync-cmapctl -g totem.config_version", true},
		{"cfgtool -s", "corosync-cfgtool -s", true},
		{"cfgtool -n", "corosync-cfgtool -n", true},
		{"journalctl", "journalctl -b -u corosync --no-pager -o short -n 400", true},
		{"pvecm status", "pvecm status", true},
		{"chain of reads", "hostname && sha256sum /etc/corosync/authkey", true},
		{"quorumtool -e", "corosync-quorumtool -e 3", false},
		{"cfgtool -R", "corosync-cfgtool -R", false},
		{"cfgtool -k", "corosync-cfgtool -k 9", false},
		{"systemctl restart", "systemctl restart corosync", false},
		{"cat > file", "cat > /tmp/x", false},
		{"cp", "cp /etc/corosync/corosync.conf /tmp/x", false},
		{"read then write", "cat /tmp/x && rm -f /tmp/x", false},
		{"pvecm expected", "pvecm expected 3", false},
		{"unknown command", "frobnicate", false},
		{"ls node dirs", "ls -1 /etc/pve/nodes", true},
		{"ls missing", "ls -1 /nope", true},
		{"mkdir lock", "mkdir /etc/pve/priv/lock/file-corosync_conf", false},
		{"mkdir existing", "mkdir /etc/pve/nodes", false},
		{"rmdir", "rmdir /etc/pve/priv/lock", false},
		{"rm -rf", "rm -rf /etc/pve/nodes/pve3", false},
		{"cp -a", "cp -a /etc/pve/nodes/pve3 /tmp/pve3", false},
		{"pvecm delnode", "pvecm delnode pve3", false},
		{"ip -o addr show", "ip -o addr show", true},
		{"ip unsupported form", "ip addr add 10.0.0.1/24 dev eth0", true},
		{"pvecm add", "pvecm add pve2 --link0 10.10.10.1", false},
		{"pvecm add bad args", "pvecm add", false},
		{"pvecm addnode", "pvecm addnode pve9 --link0 10.10.10.9", false},
		{"command -v qdevice", "command -v corosync-qdevice", true},
		{"qnetd probe", "timeout 3 bash -c '</dev/tcp/10.99.1.200/5403'", true},
		{"qdevice-tool -s", "corosync-qdevice-tool -s", true},
		{"qdevice is-active", "systemctl is-active corosync-qdevice", true},
		{"qdevice start", "systemctl start corosync-qdevice", false},
		{"qdevice enable", "systemctl enable corosync-qdevice", false},
		{"pvecm qdevice setup", "pvecm qdevice setup 10.99.1.200 --force", false},
		{"pvecm qdevice remove", "pvecm qdevice remove", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, 1, 2, 3)
			m.AddQNetd("10.99.1.200")
			mustRun(t, m, "pve1", "true") // settle after AddQNetd
			quick := false
			prev := settleCheck
			settleCheck = func(m *Model, run func()) { quick = true; verifySettled(m, run) }
			defer func() { settleCheck = prev }()
			m.Exec("pve1", tc.cmd, nil)
			if quick != tc.quick {
				t.Errorf("%q ran without settling: %v, want %v", tc.cmd, quick, tc.quick)
			}
			if !m.settled {
				t.Errorf("model not marked settled after %q", tc.cmd)
			}
		})
	}
}

// A change made outside Exec (here a scenario-building WriteFile) makes the
// next read-only line settle first, as it always did.
func TestRunLine_ReadAfterWriteFileSettles(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	m.WriteFile("pve1", "/tmp/x", []byte("y"))
	quick := false
	prev := settleCheck
	settleCheck = func(m *Model, run func()) { quick = true; verifySettled(m, run) }
	defer func() { settleCheck = prev }()
	if got := mustRun(t, m, "pve1", "cat /tmp/x"); got != "y" || quick {
		t.Errorf("cat after WriteFile: %q, skipped settle %v", got, quick)
	}
	mustRun(t, m, "pve1", "cat /tmp/x")
	if !quick {
		t.Errorf("second cat settled again")
	}
}

// Cached partitions follow every change: a cut cable splits the ring, seen
// through the read-only cmap runtime.members keys.
func TestRunLine_CachedPartitionsFollowChanges(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	members := func() string {
		out := mustRun(t, m, "pve1", "corosync-cmapctl -b runtime.members")
		var ids []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, ".status ") {
				ids = append(ids, strings.Split(l, ".")[2])
			}
		}
		return strings.Join(ids, " ")
	}
	if got := members(); got != "1 2 3" {
		t.Fatalf("members %q, want 1 2 3", got)
	}
	m.Cut("pve3", true)
	if got := members(); got != "1 2" {
		t.Errorf("after cutting pve3: members %q, want 1 2", got)
	}
	m.Cut("pve3", false)
	mustRun(t, m, "pve2", "systemctl stop corosync")
	if got := members(); got != "1 3" {
		t.Errorf("after stopping pve2's corosync: members %q, want 1 3", got)
	}
}

// The nodelist indexes point at the right entries after parseRuntime sorts
// the nodelist by nodeid; unknown keys give nil.
func TestRtConf_Index(t *testing.T) {
	raw := []byte(`totem {
  cluster_name: lab
  config_version: 1
  interface {
    linknumber: 0
  }
}
nodelist {
  node {
    name: b
    nodeid: 7
    ring0_addr: 10.0.0.7
  }
  node {
    name: a
    nodeid: 3
    ring0_addr: 10.0.0.3
  }
  node {
    name: c
    nodeid: 5
    ring0_addr: 10.0.0.5
  }
}
quorum {
  provider: corosync_votequorum
}
`)
	c, err := parseRuntime(raw)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		got    *rtNode
		wantID int // 0 = nil
	}{
		{"byName unique", c.byName("a"), 3},
		{"byName after sorting by nodeid", c.byName("b"), 7},
		{"byName", c.byName("c"), 5},
		{"byName unknown", c.byName("zz"), 0},
		{"byID", c.byID(7), 7},
		{"byID unknown", c.byID(4), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := 0
			if tc.got != nil {
				id = tc.got.id
			}
			if id != tc.wantID {
				t.Errorf("nodeid %d, want %d", id, tc.wantID)
			}
		})
	}
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](mp map[string]V) []string {
	out := make([]string, 0, len(mp))
	for k := range mp {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A settled model with a running qdevice stays settled through the qdevice
// reads, and every qdevice change (qnetd power, daemon stop) is seen by the
// next read (the quorum view follows).
func TestRunLine_QDeviceReadsStaySettled(t *testing.T) {
	m := duoWithQDevice(t)
	for _, cmd := range []string{"corosync-qdevice-tool -s", "corosync-quorumtool -s", "systemctl is-active corosync-qdevice"} {
		mustRun(t, m, "pve1", cmd)
	}
	if err := m.PowerOffQNetd(qnetdIP); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, m, "pve1", "corosync-qdevice-tool -s"); !strings.Contains(got, "State:\t\t\tConnect failed\n") {
		t.Errorf("after qnetd power-off: %s", got)
	}
	mustRun(t, m, "pve2", "systemctl stop corosync-qdevice")
	if got := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(got, "         2          1         NR pve2\n") {
		t.Errorf("after stopping pve2's daemon:\n%s", got)
	}
}
