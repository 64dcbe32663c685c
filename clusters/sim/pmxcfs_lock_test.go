package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Paths and command lines of the lock tests.
const (
	tLock    = "/etc/pve/priv/lock/quorate"
	tTake    = "mkdir " + tLock
	tRenew   = "touch -c -m " + tLock
	tUnlock  = "touch -c -m -d @0 " + tLock
	tRelease = "rmdir " + tLock
	tDenied  = "touch: setting times of '" + tLock + "': Permission denied\n"
	tExists  = "mkdir: cannot create directory '" + tLock + "': File exists\n"
)

// lockStep is one command at a time relative to the first step.
type lockStep struct {
	at     time.Duration // Clock offset when the command runs
	node   string
	cmd    string
	rc     int
	stderr string
}

// runLockSteps runs steps on m (whose Clock it sets) and reports each
// mismatch.
func runLockSteps(t *testing.T, m *Model, steps []lockStep) {
	t.Helper()
	base := fixedClock()
	now := base
	m.Clock = func() time.Time { return now }
	for i, s := range steps {
		now = base.Add(s.at)
		_, e, rc := run(t, m, s.node, s.cmd)
		if rc != s.rc || e != s.stderr {
			t.Errorf("step %d (+%s %s: %s): rc %d stderr %q; want %d %q", i, s.at, s.node, s.cmd, rc, e, s.rc, s.stderr)
		}
	}
}

// lockHeld reports whether tLock exists, as node's pmxcfs sees it.
func lockHeld(t *testing.T, m *Model, node string) bool {
	t.Helper()
	_, _, rc := run(t, m, node, "test -d "+tLock)
	return rc == 0
}

// The lock rules of pve-cluster's memdb (reference §6.6; src/README "File
// Locking", memdb.c memdb_mkdir/memdb_mtime/memdb_lock_expired,
// cfs-plug-memdb.c utimens), on a quorate three-node cluster whose lock
// was taken by pve1 at +0.
func TestClusterLock_Ref6_6(t *testing.T) {
	const timeout = 120 * time.Second
	cases := []struct {
		name  string
		steps []lockStep
		held  bool // tLock exists at the end
	}{
		{
			name:  "mkdir of a held lock fails on every node",
			steps: []lockStep{{10 * time.Second, "pve2", tTake, 1, tExists}, {20 * time.Second, "pve1", tTake, 1, tExists}},
			held:  true,
		},
		{
			name:  "mkdir of an expired lock still fails",
			steps: []lockStep{{time.Hour, "pve2", tTake, 1, tExists}},
			held:  true,
		},
		{
			name:  "unlock request before expiry: refused, kept",
			steps: []lockStep{{60 * time.Second, "pve2", tUnlock, 1, tDenied}, {61 * time.Second, "pve2", tTake, 1, tExists}},
			held:  true,
		},
		{
			name:  "unlock request at exactly the timeout: kept (expired only when older)",
			steps: []lockStep{{timeout, "pve2", tUnlock, 1, tDenied}},
			held:  true,
		},
		{
			name:  "unlock request after expiry: touch still refused, lock deleted, mkdir takes it",
			steps: []lockStep{{timeout + time.Second, "pve2", tUnlock, 1, tDenied}, {timeout + 2*time.Second, "pve2", tTake, 0, ""}},
			held:  true,
		},
		{
			name:  "unlock request after expiry, nobody takes it",
			steps: []lockStep{{timeout + time.Second, "pve3", tUnlock, 1, tDenied}},
		},
		{
			name: "renewal by the writer resets the timeout",
			steps: []lockStep{
				{100 * time.Second, "pve1", tRenew, 0, ""},
				{200 * time.Second, "pve2", tUnlock, 1, tDenied}, // 100 s since the renewal
				{221 * time.Second, "pve2", tUnlock, 1, tDenied}, // 121 s: deleted
				{222 * time.Second, "pve3", tTake, 0, ""},
			},
			held: true,
		},
		{
			name: "renewal from another node is refused and does not extend",
			steps: []lockStep{
				{100 * time.Second, "pve2", tRenew, 1, tDenied},
				{121 * time.Second, "pve3", tUnlock, 1, tDenied},
			},
		},
		{
			name: "a new holder's lock is renewed only by its node",
			steps: []lockStep{
				{timeout + time.Second, "pve2", tUnlock, 1, tDenied},
				{timeout + 2*time.Second, "pve2", tTake, 0, ""},
				{timeout + 3*time.Second, "pve1", tRenew, 1, tDenied},
				{timeout + 4*time.Second, "pve2", tRenew, 0, ""},
			},
			held: true,
		},
		{
			name: "an older explicit mtime is refused, a newer one renews",
			steps: []lockStep{
				{10 * time.Second, "pve1", "touch -c -m -d @1000 " + tLock, 1, tDenied},
				{20 * time.Second, "pve1", fmt.Sprintf("touch -c -m -d @%d %s", fixedClock().Add(time.Hour).Unix(), tLock), 0, ""},
				// The renewal was at +20 s: at +130 s it is 110 s old.
				{130 * time.Second, "pve2", tUnlock, 1, tDenied},
			},
			held: true,
		},
		{
			name: "rmdir releases from any node",
			steps: []lockStep{
				{5 * time.Second, "pve3", tRelease, 0, ""},
				{6 * time.Second, "pve3", tRenew, 0, ""}, // -c: nothing to renew, nothing created
			},
		},
		{
			name: "an expired lock that is not empty is not deleted",
			steps: []lockStep{
				{time.Second, "pve1", "cat > " + tLock + "/x", 0, ""},
				{timeout + 2*time.Second, "pve2", tUnlock, 1, tDenied},
			},
			held: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, 1, 2, 3)
			steps := append([]lockStep{{0, "pve1", tTake, 0, ""}}, tc.steps...)
			runLockSteps(t, m, steps)
			for _, nm := range []string{"pve1", "pve2", "pve3"} {
				if got := lockHeld(t, m, nm); got != tc.held {
					t.Errorf("%s sees the lock held = %t, want %t", nm, got, tc.held)
				}
			}
			if _, _, rc := run(t, m, "pve1", "test -e /etc/pve/priv/lock/quorate/x"); rc == 0 && !tc.held {
				t.Errorf("a file was left behind")
			}
		})
	}
}

// While inquorate pmxcfs is read-only (reference §6.1): take, renew, unlock
// request and release are all refused, and nothing expires away.
func TestClusterLock_Inquorate_Ref6_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	runLockSteps(t, m, []lockStep{{0, "pve1", tTake, 0, ""}})
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	runLockSteps(t, m, []lockStep{
		{time.Second, "pve1", "mkdir /etc/pve/priv/lock/other", 1, "mkdir: cannot create directory '/etc/pve/priv/lock/other': Permission denied\n"},
		{2 * time.Second, "pve1", tRenew, 1, tDenied},
		{time.Hour, "pve1", tUnlock, 1, tDenied},
		{time.Hour, "pve1", tRelease, 1, "rmdir: failed to remove '" + tLock + "': Permission denied\n"},
	})
	if !lockHeld(t, m, "pve1") {
		t.Errorf("the lock went away while inquorate")
	}
}

// In local mode (a standalone node, no dfsm) pmxcfs deletes an expired lock
// itself and the unlock request's touch succeeds (cfs_plug_memdb_utimens);
// before expiry it is refused like any older mtime.
func TestClusterLock_LocalMode_Ref6_6(t *testing.T) {
	m := cluster(t, 3, 1)
	m.AddNode(NodeSpec{Name: "solo", HostIP: "192.0.2.99"})
	if err := m.PowerOn("solo"); err != nil {
		t.Fatal(err)
	}
	runLockSteps(t, m, []lockStep{
		{0, "solo", tTake, 0, ""},
		{10 * time.Second, "solo", tRenew, 0, ""},
		{20 * time.Second, "solo", tUnlock, 1, tDenied},
		{131 * time.Second, "solo", tUnlock, 0, ""},
	})
	if lockHeld(t, m, "solo") {
		t.Errorf("expired lock not deleted in local mode")
	}
}

// Model.LockTimeout shortens expiry (the test knob).
func TestClusterLock_LockTimeoutKnob(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	m.LockTimeout = 5 * time.Second
	runLockSteps(t, m, []lockStep{
		{0, "pve1", tTake, 0, ""},
		{5 * time.Second, "pve2", tUnlock, 1, tDenied},
		{5 * time.Second, "pve2", tTake, 1, tExists},
		{6 * time.Second, "pve2", tUnlock, 1, tDenied},
		{6 * time.Second, "pve2", tTake, 0, ""},
	})
}

// pvecm's cfs_lock sends an unlock request while it waits, so an expired
// file-corosync_conf lock left by a dead holder does not block delnode; a
// live one does (reference §6.6).
func TestClusterLock_PvecmTakesExpiredLock_Ref6_6(t *testing.T) {
	for _, tc := range []struct {
		name string
		age  time.Duration
		rc   int
	}{
		{"live lock blocks", 30 * time.Second, 255},
		{"expired lock is taken over", 121 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := scenario(t, "remove-member")
			base := fixedClock()
			now := base
			m.Clock = func() time.Time { return now }
			mustRun(t, m, "pve2", "mkdir /etc/pve/priv/lock/file-corosync_conf")
			now = base.Add(tc.age)
			if _, e, rc := run(t, m, "pve1", "pvecm delnode pve4"); rc != tc.rc {
				t.Errorf("delnode: rc %d %q, want %d", rc, e, tc.rc)
			}
			want := "file-corosync_conf\n"
			if tc.rc == 0 {
				want = "" // taken over, then released by delnode
			}
			if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/priv/lock"); got != want {
				t.Errorf("locks after delnode: %q, want %q", got, want)
			}
		})
	}
}

// touch outside the lock rules and its usage errors, with GNU coreutils
// 9.1's wording.
func TestTouch(t *testing.T) {
	cases := []struct {
		name, cmd, stderr string
		rc                int
		then, thenOut     string // a command whose stdout must be thenOut
	}{
		{name: "creates a missing file", cmd: "touch /tmp/a", then: "test -f /tmp/a && hostname", thenOut: "pve1\n"},
		{name: "creates in /etc/pve", cmd: "touch /etc/pve/x", then: "ls -1 /etc/pve/priv /etc/pve/x", thenOut: "/etc/pve/x\n\n/etc/pve/priv:\nauthorized_keys\nknown_hosts\nlock\n"},
		{name: "-c creates nothing", cmd: "touch -c /etc/pve/priv/lock/nope", then: "ls -1 /etc/pve/priv/lock", thenOut: ""},
		{name: "-c on a missing parent is silent", cmd: "touch -c /nope/x"},
		{name: "missing parent", cmd: "touch /nope/x", rc: 1, stderr: "touch: cannot touch '/nope/x': No such file or directory\n"},
		{name: "existing file keeps its content", cmd: "touch -m /etc/pve/corosync.conf", then: "test -s /etc/pve/corosync.conf && hostname", thenOut: "pve1\n"},
		{name: "directory outside locks", cmd: "touch -c -m -d @0 /etc/pve/nodes"},
		{name: "no operand", cmd: "touch -c", rc: 1, stderr: "touch: missing file operand\nTry 'touch --help' for more information.\n"},
		{name: "-d without argument", cmd: "touch -d", rc: 1, stderr: "touch: option requires an argument -- 'd'\nTry 'touch --help' for more information.\n"},
		{name: "bad date", cmd: "touch -d bogus /tmp/a", rc: 1, stderr: "touch: invalid date format 'bogus'\n"},
		{name: "bad option", cmd: "touch -Z /tmp/a", rc: 1, stderr: "touch: invalid option -- 'Z'\nTry 'touch --help' for more information.\n"},
		{name: "bad long option", cmd: "touch --bogus /tmp/a", rc: 1, stderr: "touch: unrecognized option '--bogus'\nTry 'touch --help' for more information.\n"},
		{name: "long forms", cmd: "touch --no-create --date=@5 /tmp/none", then: "test ! -e /tmp/none && hostname", thenOut: "pve1\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, 1, 2)
			_, e, rc := run(t, m, "pve1", tc.cmd)
			if rc != tc.rc || e != tc.stderr {
				t.Fatalf("rc %d stderr %q; want %d %q", rc, e, tc.rc, tc.stderr)
			}
			if tc.then != "" {
				if o, e, _ := run(t, m, "pve1", tc.then); o != tc.thenOut {
					t.Errorf("%s: %q (stderr %q), want %q", tc.then, o, e, tc.thenOut)
				}
			}
		})
	}
}

// bash's test builtin for the file tests (true 0, false 1, usage 2).
func TestTestBuiltin(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	mustRun(t, m, "pve1", "mkdir "+tLock)
	cases := []struct {
		cmd    string
		rc     int
		stderr string
	}{
		{"test -d " + tLock, 0, ""},
		{"test -f " + tLock, 1, ""},
		{"test -e " + tLock, 0, ""},
		{"test ! -d " + tLock, 1, ""},
		{"test -d /etc/pve/priv/lock/none", 1, ""},
		{"test ! -e /etc/pve/priv/lock/none", 0, ""},
		{"test -f /etc/pve/corosync.conf", 0, ""},
		{"test -s /etc/pve/corosync.conf", 0, ""},
		{"test -d /etc/corosync", 0, ""},
		{"test", 1, ""},
		{"test -d", 0, ""},
		{"test -q x", 2, "bash: line 1: test: -q: unary operator expected\n"},
		{"test a b c", 2, "bash: line 1: test: b: binary operator expected\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve2", tc.cmd); rc != tc.rc || e != tc.stderr {
			t.Errorf("%s: rc %d %q; want %d %q", tc.cmd, rc, e, tc.rc, tc.stderr)
		}
	}
	if o, _, rc := run(t, m, "pve2", "test -d "+tLock+" && touch -c -m "+tLock+" && hostname"); rc != 1 || strings.Contains(o, "pve2") {
		t.Errorf("renew chain from a non-writer went on: rc %d %q", rc, o)
	}
}
