package sim

import (
	"strings"
	"testing"
	"time"
)

// The layout NewCluster seeds (reference §6.3, §9), as ls and cat show it.
func TestLayout_Ref6_3(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	cases := []struct{ cmd, want string }{
		{"ls -1 /etc/pve/nodes", "pve1\npve2\npve3\n"},
		{"ls -1 /etc/pve/nodes/pve2", "lxc\npriv\npve-ssl.pem\nqemu-server\nssh_known_hosts\n"},
		{"ls -1 /etc/pve/priv", "authorized_keys\nknown_hosts\nlock\n"},
		{"ls -1 /etc/pve/priv/lock", ""},
		{"cat /etc/pve/nodes/pve2/ssh_known_hosts", "pve2 " + SSHHostKey("pve2") + "\n"},
		{"cat /etc/pve/priv/authorized_keys", RootSSHKey("pve1") + " root@pve1\n" + RootSSHKey("pve2") + " root@pve2\n" + RootSSHKey("pve3") + " root@pve3\n"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			if got := mustRun(t, m, "pve3", tc.cmd); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	known := mustRun(t, m, "pve1", "cat /etc/pve/priv/known_hosts")
	for _, want := range []string{"pve1 " + SSHHostKey("pve1") + "\n", "192.0.2.3 " + SSHHostKey("pve3") + "\n"} {
		if !strings.Contains(known, want) {
			t.Errorf("known_hosts lacks %q:\n%s", want, known)
		}
	}
	if k := SSHHostKey("pve1"); !strings.HasPrefix(k, "ssh-rsa AAAAB3NzaC1yc2E") || k == SSHHostKey("pve2") || k == RootSSHKey("pve1") {
		t.Errorf("fake keys not distinct RSA-looking keys: %q", k)
	}
	if pem := mustRun(t, m, "pve1", "cat /etc/pve/nodes/pve1/pve-ssl.pem"); !strings.HasPrefix(pem, "-----BEGIN CERTIFICATE-----\n") {
		t.Errorf("pve-ssl.pem = %q", pem)
	}
}

// GNU coreutils wording and exit codes, quorate cluster (writes replicate).
func TestDirCommands_Coreutils(t *testing.T) {
	cases := []struct {
		name   string
		cmd    string
		code   int
		stdout string
		stderr string
	}{
		{"ls missing", "ls -1 /etc/pve/nodes/pve9", 2, "", "ls: cannot access '/etc/pve/nodes/pve9': No such file or directory\n"},
		{"ls file", "ls -1 /etc/pve/corosync.conf", 0, "/etc/pve/corosync.conf\n", ""},
		{"ls local", "ls -1 /etc/corosync", 0, "authkey\ncorosync.conf\n", ""},
		{"mkdir exists", "mkdir /etc/pve/nodes/pve1", 1, "", "mkdir: cannot create directory '/etc/pve/nodes/pve1': File exists\n"},
		{"mkdir no parent", "mkdir /etc/pve/a/b", 1, "", "mkdir: cannot create directory '/etc/pve/a/b': No such file or directory\n"},
		{"mkdir -p exists", "mkdir -p /etc/pve/nodes/pve1", 0, "", ""},
		{"mkdir local no parent", "mkdir /var/lib/quorate/archive", 1, "", "mkdir: cannot create directory '/var/lib/quorate/archive': No such file or directory\n"},
		{"rmdir non-empty", "rmdir /etc/pve/nodes/pve1", 1, "", "rmdir: failed to remove '/etc/pve/nodes/pve1': Directory not empty\n"},
		{"rmdir missing", "rmdir /etc/pve/nope", 1, "", "rmdir: failed to remove '/etc/pve/nope': No such file or directory\n"},
		{"rmdir file", "rmdir /etc/pve/corosync.conf", 1, "", "rmdir: failed to remove '/etc/pve/corosync.conf': Not a directory\n"},
		{"rm dir without -r", "rm /etc/pve/nodes/pve3", 1, "", "rm: cannot remove '/etc/pve/nodes/pve3': Is a directory\n"},
		{"rm missing", "rm /etc/pve/nope", 1, "", "rm: cannot remove '/etc/pve/nope': No such file or directory\n"},
		{"rm -rf missing", "rm -rf /etc/pve/nope", 0, "", ""},
		{"cp dir without -r", "cp /etc/pve/nodes/pve3 /tmp/x", 1, "", "cp: -r not specified; omitting directory '/etc/pve/nodes/pve3'\n"},
		{"cp -a missing", "cp -a /etc/pve/nodes/pve9 /tmp/x", 1, "", "cp: cannot stat '/etc/pve/nodes/pve9': No such file or directory\n"},
		{"cp -a no parent", "cp -a /etc/pve/nodes/pve3 /var/nope/x", 1, "", "cp: cannot create directory '/var/nope/x': No such file or directory\n"},
		{"cat a directory", "cat /etc/pve/nodes", 1, "", "cat: /etc/pve/nodes: Is a directory\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, 1, 2, 3)
			o, e, code := run(t, m, "pve1", tc.cmd)
			if code != tc.code || o != tc.stdout || e != tc.stderr {
				t.Errorf("rc %d stdout %q stderr %q, want %d %q %q", code, o, e, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// Directory changes replicate: mkdir -p, rmdir and rm -rf on pve1 show on
// pve3 at once, each a DB write.
func TestDirCommands_Replicate_Ref6_3(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	mustRun(t, m, "pve1", "mkdir -p /etc/pve/a/b/c")
	if got := mustRun(t, m, "pve3", "ls -1 /etc/pve/a/b"); got != "c\n" {
		t.Errorf("pve3 ls after mkdir -p = %q", got)
	}
	mustRun(t, m, "pve1", "rmdir /etc/pve/a/b/c")
	if got := mustRun(t, m, "pve3", "ls -1 /etc/pve/a/b"); got != "" {
		t.Errorf("pve3 ls after rmdir = %q", got)
	}
	mustRun(t, m, "pve2", "rm -rf /etc/pve/nodes/pve3")
	if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/nodes"); got != "pve1\npve2\n" {
		t.Errorf("pve1 ls after rm -rf = %q", got)
	}
	if _, ok := m.ReadFile("pve3", "/etc/pve/nodes/pve3/ssh_known_hosts"); ok {
		t.Errorf("rm -rf left files of the tree")
	}
}

// quorate's archive step (clusters.CmdArchiveDir): copy a node directory
// out of /etc/pve to the local disk, then remove it from /etc/pve; files
// copy both ways with cp -p.
func TestCp_ArchiveTreeAndFiles(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	mustRun(t, m, "pve1", "mkdir -p /var/lib/quorate/archive && cp -a '/etc/pve/nodes/pve3' '/var/lib/quorate/archive/pve3-1'")
	if got := mustRun(t, m, "pve1", "ls -1 /var/lib/quorate/archive/pve3-1"); got != "lxc\npriv\npve-ssl.pem\nqemu-server\nssh_known_hosts\n" {
		t.Errorf("archived tree = %q", got)
	}
	want, _ := m.ReadFile("pve1", "/etc/pve/nodes/pve3/ssh_known_hosts")
	if got := mustRun(t, m, "pve1", "cat /var/lib/quorate/archive/pve3-1/ssh_known_hosts"); got != string(want) {
		t.Errorf("archived file = %q, want %q", got, want)
	}
	// Into an existing directory: DST/basename(SRC).
	mustRun(t, m, "pve1", "cp -a /etc/pve/nodes/pve2 /var/lib/quorate/archive")
	if got := mustRun(t, m, "pve1", "ls -1 /var/lib/quorate/archive"); got != "pve2\npve3-1\n" {
		t.Errorf("archive dir = %q", got)
	}
	mustRun(t, m, "pve1", "rm -rf /etc/pve/nodes/pve3")
	if _, _, code := run(t, m, "pve2", "ls -1 /etc/pve/nodes/pve3"); code != 2 {
		t.Errorf("pve3 dir still listed on pve2")
	}
	mustRun(t, m, "pve1", "cp -p /etc/pve/priv/authorized_keys /tmp/ak && cp -p /tmp/ak /etc/pve/priv/authorized_keys.new")
	if got := mustRun(t, m, "pve2", "cat /etc/pve/priv/authorized_keys.new"); !strings.Contains(got, "root@pve3") {
		t.Errorf("authorized_keys.new on pve2 = %q", got)
	}
}

// quorate's key cleanup: write authorized_keys.new with cat > and mv it
// over (reference §9); pve2 sees the result.
func TestAuthorizedKeys_WriteAndRename_Ref9(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	keep := RootSSHKey("pve1") + " root@pve1\n" + RootSSHKey("pve2") + " root@pve2\n"
	mustRun(t, m, "pve1", "cat > '/etc/pve/priv/authorized_keys.new'", keep)
	mustRun(t, m, "pve1", "mv '/etc/pve/priv/authorized_keys.new' '/etc/pve/priv/authorized_keys'")
	if got := mustRun(t, m, "pve2", "cat /etc/pve/priv/authorized_keys"); got != keep {
		t.Errorf("pve2 authorized_keys = %q", got)
	}
	if got := mustRun(t, m, "pve2", "ls -1 /etc/pve/priv"); got != "authorized_keys\nknown_hosts\nlock\n" {
		t.Errorf("pve2 priv = %q", got)
	}
}

// While inquorate every directory change is EACCES; an existing directory
// still answers EEXIST first (the VFS lookup), and reads work (§6.1).
func TestDirCommands_Inquorate_Ref6_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	cases := []struct{ cmd, stderr string }{
		{"mkdir /etc/pve/x", "mkdir: cannot create directory '/etc/pve/x': Permission denied\n"},
		{"mkdir -p /etc/pve/x/y", "mkdir: cannot create directory '/etc/pve/x': Permission denied\n"},
		{"mkdir /etc/pve/nodes", "mkdir: cannot create directory '/etc/pve/nodes': File exists\n"},
		{"rmdir /etc/pve/priv/lock", "rmdir: failed to remove '/etc/pve/priv/lock': Permission denied\n"},
		{"rm -rf /etc/pve/nodes/pve3/qemu-server", "rm: cannot remove '/etc/pve/nodes/pve3/qemu-server': Permission denied\n"},
		{"rm -rf /etc/pve/nodes/pve3", strings.Join([]string{
			"rm: cannot remove '/etc/pve/nodes/pve3/lxc': Permission denied",
			"rm: cannot remove '/etc/pve/nodes/pve3/priv': Permission denied",
			"rm: cannot remove '/etc/pve/nodes/pve3/pve-ssl.pem': Permission denied",
			"rm: cannot remove '/etc/pve/nodes/pve3/qemu-server': Permission denied",
			"rm: cannot remove '/etc/pve/nodes/pve3/ssh_known_hosts': Permission denied", ""}, "\n")},
		{"cp -a /var/lib /etc/pve/x", "cp: cannot create directory '/etc/pve/x': Permission denied\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve1", tc.cmd); rc != 1 || e != tc.stderr {
			t.Errorf("%s: rc %d stderr %q, want 1 %q", tc.cmd, rc, e, tc.stderr)
		}
	}
	if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/nodes"); got != "pve1\npve2\npve3\n" {
		t.Errorf("ls while inquorate = %q", got)
	}
}

// With pve-cluster stopped /etc/pve is the empty mount point (§5.3).
func TestLs_NotMounted_Ref5_3(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	mustRun(t, m, "pve1", "systemctl stop pve-cluster")
	if _, e, rc := run(t, m, "pve1", "ls -1 /etc/pve/nodes"); rc != 2 || e != "ls: cannot access '/etc/pve/nodes': No such file or directory\n" {
		t.Errorf("ls: rc %d %q", rc, e)
	}
	if got := mustRun(t, m, "pve1", "ls -1 /etc/pve"); got != "" {
		t.Errorf("bare mount point lists %q", got)
	}
}

// The cluster lock (reference §6.6): mkdir acquires, a second mkdir fails
// with EEXIST on any node, expired or not, rmdir releases; none can be
// taken while inquorate. Expiry and unlock requests: pmxcfs_lock_test.go.
func TestConfLock_Ref6_6(t *testing.T) {
	now := fixedClock()
	m := cluster(t, 3, 1, 2, 3)
	m.Clock = func() time.Time { return now }
	const lock = "mkdir /etc/pve/priv/lock/file-corosync_conf"
	const unlock = "rmdir /etc/pve/priv/lock/file-corosync_conf"
	mustRun(t, m, "pve1", lock)
	if _, e, rc := run(t, m, "pve2", lock); rc != 1 || e != "mkdir: cannot create directory '/etc/pve/priv/lock/file-corosync_conf': File exists\n" {
		t.Errorf("second acquire: rc %d %q", rc, e)
	}
	now = now.Add(time.Hour)
	if _, e, rc := run(t, m, "pve2", lock); rc != 1 || !strings.HasSuffix(e, ": File exists\n") {
		t.Errorf("mkdir of an expired lock: rc %d %q; want File exists (only an unlock request removes it)", rc, e)
	}
	mustRun(t, m, "pve2", unlock)
	mustRun(t, m, "pve3", lock)
	mustRun(t, m, "pve3", unlock)
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	if _, e, rc := run(t, m, "pve1", lock); rc != 1 || !strings.HasSuffix(e, ": Permission denied\n") {
		t.Errorf("inquorate acquire: rc %d %q", rc, e)
	}
}
