package clusters_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// Tests for the issue #3 steps on the simulator model (exec_cluster.go).
// Lock, node-directory and archive tests rely on the simulator tracking
// directories under /etc/pve (cluster locks, /etc/pve/nodes, reference §6.3,
// §6.6).

var execNow = time.Date(2026, 11, 22, 4, 30, 0, 0, time.UTC)

// healthyRemote returns the "healthy" model (pve1..pve3, v3) and a Remote
// whose declaration leaves out the names in drop (nodes being removed).
func healthyRemote(t *testing.T, drop ...string) (*sim.Model, *clusters.Remote, *memRunner) {
	t.Helper()
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	decl, _, runner := inMemory(t, m)
	decl.Spec.Members = slices.DeleteFunc(decl.Spec.Members, func(x api.Member) bool { return slices.Contains(drop, x.Name) })
	apis := map[string]clusters.NodeAPI{}
	for i := range decl.Spec.Members {
		apis[decl.Spec.Members[i].Name] = memAPI{m: m, node: decl.Spec.Members[i].Name}
	}
	remote := clusters.NewRemote(decl, runner, apis)
	remote.Now = func() time.Time { return execNow }
	return m, remote, runner
}

// editConfStep returns an EditClusterConf step on pve1 that replaces the
// current /etc/pve/corosync.conf with a copy at version v (plus a comment
// so that equal versions still differ in content).
func editConfStep(t *testing.T, m *sim.Model, v uint64) (reconciler.Step, []byte) {
	t.Helper()
	cur, ok := m.ReadFile("pve1", clusters.ClusterConfPath)
	if !ok {
		t.Fatal("no /etc/pve/corosync.conf on pve1")
	}
	c, err := corosync.Parse(cur)
	if err != nil {
		t.Fatal(err)
	}
	c.Main.Section("totem").Set("config_version", itoa(v))
	c.Main.Section("logging").Set("debug", "on")
	next := c.Bytes()
	return reconciler.Step{Kind: reconciler.StepEditClusterConf, Node: "pve1", BaseDigest: sha(cur),
		Content: string(next), Digest: sha(next), Version: v}, cur
}

// lockHeld reports whether file-corosync_conf is taken, by trying to take it
// with the model's own shell (and releasing it again when that succeeds).
func lockHeld(t *testing.T, m *sim.Model) bool {
	t.Helper()
	_, _, code := m.Exec("pve2", clusters.CmdLockConf, nil)
	if code == 0 {
		m.Exec("pve2", clusters.CmdUnlockConf, nil)
		return false
	}
	return true
}

func countPrefix(log []string, prefix string) int {
	n := 0
	for _, l := range log {
		if strings.HasPrefix(l[strings.Index(l, ": ")+2:], prefix) {
			n++
		}
	}
	return n
}

// TestEditClusterConfHappyPath follows reference §4.3: lock, .bak and a
// node-local backup, .new then rename; pmxcfs replicates the file.
func TestEditClusterConfHappyPath(t *testing.T) {
	m, remote, runner := healthyRemote(t)
	step, before := editConfStep(t, m, 4)
	mark := runner.mark()
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		if got, _ := m.ReadFile(n, clusters.ClusterConfPath); string(got) != step.Content {
			t.Errorf("%s: /etc/pve/corosync.conf is not the new file:\n%s", n, got)
		}
	}
	if got, _ := m.ReadFile("pve1", clusters.ClusterConfPath+".bak"); !bytes.Equal(got, before) {
		t.Errorf("corosync.conf.bak does not hold the previous file")
	}
	backup := fmt.Sprintf("%s/corosync.conf.v3.%d", clusters.BackupDir, execNow.UnixNano())
	if got, _ := m.ReadFile("pve1", backup); !bytes.Equal(got, before) {
		t.Errorf("no node-local backup at %s", backup)
	}
	if _, ok := m.ReadFile("pve1", clusters.ClusterConfPath+".new"); ok {
		t.Errorf("corosync.conf.new left behind")
	}
	log := runner.since(mark)
	if countPrefix(log, clusters.CmdLockConf) != 1 || countPrefix(log, clusters.CmdUnlockConf) != 1 {
		t.Errorf("lock taken/released %d/%d times, want 1/1:\n%s", countPrefix(log, clusters.CmdLockConf),
			countPrefix(log, clusters.CmdUnlockConf), strings.Join(log, "\n"))
	}
	if lockHeld(t, m) {
		t.Errorf("the cluster lock is still held after the edit")
	}
}

// TestEditClusterConfBackupPathFromStep: a planned BackupPath is used as is.
func TestEditClusterConfBackupPathFromStep(t *testing.T) {
	m, remote, _ := healthyRemote(t)
	step, before := editConfStep(t, m, 4)
	step.BackupPath = clusters.BackupDir + "/corosync.conf.v3.planned"
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.ReadFile("pve1", step.BackupPath); !bytes.Equal(got, before) {
		t.Errorf("no backup at the planned path %s", step.BackupPath)
	}
}

// TestEditClusterConfIdempotent: when the target content is in place the
// step succeeds with one read: no lock, no write.
func TestEditClusterConfIdempotent(t *testing.T) {
	m, remote, runner := healthyRemote(t)
	step, _ := editConfStep(t, m, 4)
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	mark := runner.mark()
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if log := runner.since(mark); len(log) != 1 || countPrefix(log, "cat ") != 1 {
		t.Errorf("second run ran %q, want only the read", log)
	}
}

// TestEditClusterConfLockHeld: someone else's lock refuses the step with a
// clear message, changes nothing, and is not released by us (reference §6.6).
func TestEditClusterConfLockHeld(t *testing.T) {
	m, remote, runner := healthyRemote(t)
	if _, errb, code := m.Exec("pve3", clusters.CmdLockConf, nil); code != 0 {
		t.Fatalf("taking the lock on pve3: %s", errb)
	}
	step, before := editConfStep(t, m, 4)
	mark := runner.mark()
	err := remote.Exec(context.Background(), step)
	var se *clusters.StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "the cluster lock file-corosync_conf is held") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v, want the lock-held refusal", err)
	}
	if got, _ := m.ReadFile("pve1", clusters.ClusterConfPath); !bytes.Equal(got, before) {
		t.Errorf("corosync.conf changed despite the refusal")
	}
	if n := countPrefix(runner.since(mark), clusters.CmdUnlockConf); n != 0 {
		t.Errorf("released someone else's lock (%d rmdir)", n)
	}
	if !lockHeld(t, m) {
		t.Errorf("pve3's lock is gone")
	}
}

// TestEditClusterConfRefusals: a changed file (CAS) and a version that is not
// higher are refused under the lock, nothing is written, and our lock is
// released.
func TestEditClusterConfRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint64
		base    func(string) string
		want    string
	}{
		{"file changed since the plan", 4, func(string) string { return sha([]byte("other")) }, "changed since the plan"},
		{"equal version", 3, func(b string) string { return b }, "never installs a corosync.conf without a higher version"},
		{"lower version", 2, func(b string) string { return b }, "never installs a corosync.conf without a higher version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, remote, runner := healthyRemote(t)
			step, before := editConfStep(t, m, tc.version)
			step.BaseDigest = tc.base(step.BaseDigest)
			mark := runner.mark()
			err := remote.Exec(context.Background(), step)
			var se *clusters.StepError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if got, _ := m.ReadFile("pve1", clusters.ClusterConfPath); !bytes.Equal(got, before) {
				t.Errorf("corosync.conf changed despite the refusal")
			}
			log := runner.since(mark)
			if countPrefix(log, "cat > ") != 0 || countPrefix(log, "mv ") != 0 {
				t.Errorf("wrote despite the refusal:\n%s", strings.Join(log, "\n"))
			}
			if countPrefix(log, clusters.CmdUnlockConf) != 1 || lockHeld(t, m) {
				t.Errorf("our lock was not released:\n%s", strings.Join(log, "\n"))
			}
		})
	}
}

// TestEditClusterConfReleasesLockAfterFailure: a failure after the lock was
// taken (the connection drops while writing .new) still releases it.
func TestEditClusterConfReleasesLockAfterFailure(t *testing.T) {
	m, remote, runner := healthyRemote(t)
	step, before := editConfStep(t, m, 4)
	runner.failOn = func(node, cmd string) error {
		if cmd == clusters.CmdWriteStdin(clusters.ClusterConfPath+".new") {
			return errors.New("connection reset by peer")
		}
		return nil
	}
	mark := runner.mark()
	if err := remote.Exec(context.Background(), step); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the write failure", err)
	}
	if got, _ := m.ReadFile("pve1", clusters.ClusterConfPath); !bytes.Equal(got, before) {
		t.Errorf("corosync.conf changed")
	}
	if countPrefix(runner.since(mark), clusters.CmdUnlockConf) != 1 || lockHeld(t, m) {
		t.Errorf("lock not released after our own failure:\n%s", strings.Join(runner.since(mark), "\n"))
	}
}

// TestEditClusterConfReleasesLockWhenCancelled: the release runs with a fresh
// context when the step's context is cancelled mid-edit.
func TestEditClusterConfReleasesLockWhenCancelled(t *testing.T) {
	m, remote, runner := healthyRemote(t)
	step, _ := editConfStep(t, m, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runner.failOn = func(node, cmd string) error {
		if cmd == clusters.CmdCopy(clusters.ClusterConfPath, clusters.ClusterConfPath+".bak") {
			cancel()
			return context.Canceled
		}
		return nil
	}
	if err := remote.Exec(ctx, step); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if lockHeld(t, m) {
		t.Errorf("lock not released after cancellation")
	}
}

// TestDelnode removes a powered-off node that is no longer declared; the
// CS_ERR_NOT_EXIST lines are normal (reference §2.7, §3.4).
func TestDelnode(t *testing.T) {
	m, remote, _ := healthyRemote(t, "pve3")
	if err := m.PowerOff("pve3"); err != nil {
		t.Fatal(err)
	}
	before, _ := m.ReadFile("pve1", clusters.ClusterConfPath)
	v0, _ := corosync.VersionOf(before)
	step := reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1", Target: "pve3"}
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	after, _ := m.ReadFile("pve1", clusters.ClusterConfPath)
	if v, _ := corosync.VersionOf(after); v != v0+1 || bytes.Contains(after, []byte("pve3")) {
		t.Errorf("corosync.conf after delnode (v%d → v%d):\n%s", v0, v, after)
	}
	// Run again: pvecm says the node is unknown, which is a failure with
	// its stderr (the action's Post check, not the step, decides "done").
	err := remote.Exec(context.Background(), step)
	var se *clusters.StepError
	if !errors.As(err, &se) || !strings.Contains(se.Stderr, "not a known host") {
		t.Errorf("second delnode: err = %v, want a StepError with pvecm's stderr", err)
	}
}

// TestEditClusterFile replaces authorized_keys by CAS, .new and rename, is
// idempotent, and refuses a file changed since the plan (reference §9).
func TestEditClusterFile(t *testing.T) {
	m, remote, runner := healthyRemote(t, "pve3")
	keys := []byte("ssh-rsa AAAA1 root@pve1\nssh-rsa AAAA3 root@pve3\nssh-rsa AAAA2 root@pve2\n")
	if _, errb, code := m.Exec("pve1", clusters.CmdWriteStdin(clusters.AuthorizedKeysPath), keys); code != 0 {
		t.Fatalf("seeding authorized_keys: %s", errb)
	}
	want := []byte("ssh-rsa AAAA1 root@pve1\nssh-rsa AAAA2 root@pve2\n")
	step := reconciler.Step{Kind: reconciler.StepEditClusterFile, Node: "pve1", Path: clusters.AuthorizedKeysPath,
		BaseDigest: sha(keys), Content: string(want), Digest: sha(want)}
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pve1", "pve2"} {
		if got, _ := m.ReadFile(n, clusters.AuthorizedKeysPath); !bytes.Equal(got, want) {
			t.Errorf("%s: authorized_keys = %q", n, got)
		}
	}
	if _, ok := m.ReadFile("pve1", clusters.AuthorizedKeysPath+".new"); ok {
		t.Errorf("authorized_keys.new left behind")
	}
	mark := runner.mark()
	if err := remote.Exec(context.Background(), step); err != nil || len(runner.since(mark)) != 1 {
		t.Errorf("second run: err %v, commands %q; want success after one read", err, runner.since(mark))
	}

	other := []byte("ssh-rsa AAAA9 root@elsewhere\n")
	m.Exec("pve2", clusters.CmdWriteStdin(clusters.AuthorizedKeysPath), other)
	step.Content, step.Digest = "x\n", sha([]byte("x\n"))
	step.BaseDigest = sha(want)
	err := remote.Exec(context.Background(), step)
	var se *clusters.StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "changed since the plan") {
		t.Fatalf("changed file: err = %v", err)
	}
	if got, _ := m.ReadFile("pve1", clusters.AuthorizedKeysPath); !bytes.Equal(got, other) {
		t.Errorf("authorized_keys was overwritten despite the CAS refusal: %q", got)
	}
}

// TestNodeDirArchiveAndRemove archives /etc/pve/nodes/pve3 to the node-local
// archive, removes it cluster-wide, and repeats both without error.
func TestNodeDirArchiveAndRemove(t *testing.T) {
	m, remote, runner := healthyRemote(t, "pve3")
	cfg := clusters.NodesDir + "/pve3/qemu-server/100.conf"
	if _, errb, code := m.Exec("pve1", "mkdir -p "+clusters.NodesDir+"/pve3/qemu-server", nil); code != 0 {
		t.Fatalf("mkdir: %s", errb)
	}
	if _, errb, code := m.Exec("pve1", clusters.CmdWriteStdin(cfg), []byte("memory: 512\n")); code != 0 {
		t.Fatalf("seeding %s: %s", cfg, errb)
	}
	archive := clusters.ArchiveDir + "/pve3.20261122T043000Z"
	arch := reconciler.Step{Kind: reconciler.StepArchiveNodeDir, Node: "pve1", Target: "pve3", BackupPath: archive}
	if err := remote.Exec(context.Background(), arch); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.ReadFile("pve1", archive+"/qemu-server/100.conf"); string(got) != "memory: 512\n" {
		t.Errorf("archive does not hold the guest config: %q", got)
	}
	mark := runner.mark()
	if err := remote.Exec(context.Background(), arch); err != nil {
		t.Fatalf("archiving again: %v", err)
	}
	if n := countPrefix(runner.since(mark), "mkdir -p "+clusters.Quote(clusters.ArchiveDir)); n != 0 {
		t.Errorf("archived again although %s exists", archive)
	}

	rm := reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1", Target: "pve3"}
	for i := range 2 {
		if err := remote.Exec(context.Background(), rm); err != nil {
			t.Fatalf("remove #%d: %v", i+1, err)
		}
	}
	for _, n := range []string{"pve1", "pve2"} {
		if _, ok := m.ReadFile(n, cfg); ok {
			t.Errorf("%s: %s still exists", n, cfg)
		}
	}
	if _, ok := m.ReadFile("pve1", archive+"/qemu-server/100.conf"); !ok {
		t.Errorf("removing the node dir touched the archive")
	}
}

// TestClusterStepsRefuseBadTargets: names and paths outside the allow-lists,
// declared members and damaged content never reach the node.
func TestClusterStepsRefuseBadTargets(t *testing.T) {
	m, remote, runner := healthyRemote(t, "pve3")
	good, _ := editConfStep(t, m, 4)
	tampered := good
	tampered.Content += "# tampered\n"
	wrongVersion := good
	wrongVersion.Version = 5
	badBackup := good
	badBackup.BackupPath = "/etc/pve/corosync.conf.v3"
	dotBackup := good
	dotBackup.BackupPath = clusters.BackupDir + "/../archive/x"
	fileStep := func(p string) reconciler.Step {
		return reconciler.Step{Kind: reconciler.StepEditClusterFile, Node: "pve1", Path: p, Content: "x", Digest: sha([]byte("x"))}
	}
	tamperedFile := fileStep(clusters.AuthorizedKeysPath)
	tamperedFile.Digest = sha([]byte("y"))
	for _, tc := range []struct {
		name string
		step reconciler.Step
	}{
		{"edit conf: tampered content", tampered},
		{"edit conf: version not the content's", wrongVersion},
		{"edit conf: backup outside the backup dir", badBackup},
		{"edit conf: backup path with ..", dotBackup},
		{"edit conf: undeclared node", func() reconciler.Step { s := good; s.Node = "pve3"; return s }()},
		{"delnode: empty target", reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1"}},
		{"delnode: path target", reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1", Target: "../pve3"}},
		{"delnode: option-like target", reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1", Target: "-f"}},
		{"delnode: itself", reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1", Target: "pve1"}},
		{"delnode: declared member", reconciler.Step{Kind: reconciler.StepDelnode, Node: "pve1", Target: "pve2"}},
		{"remove dir: empty target", reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1"}},
		{"remove dir: ..", reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1", Target: ".."}},
		{"remove dir: nested path", reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1", Target: "pve3/../../priv"}},
		{"remove dir: shell", reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1", Target: "pve3' '/"}},
		{"remove dir: declared member", reconciler.Step{Kind: reconciler.StepRemoveNodeDir, Node: "pve1", Target: "pve2"}},
		{"archive: backup outside the archive", reconciler.Step{Kind: reconciler.StepArchiveNodeDir, Node: "pve1", Target: "pve3", BackupPath: "/root/pve3"}},
		{"archive: backup is the archive dir's parent", reconciler.Step{Kind: reconciler.StepArchiveNodeDir, Node: "pve1", Target: "pve3", BackupPath: clusters.ArchiveDir + "/.."}},
		{"archive: empty backup path", reconciler.Step{Kind: reconciler.StepArchiveNodeDir, Node: "pve1", Target: "pve3"}},
		{"archive: bad target", reconciler.Step{Kind: reconciler.StepArchiveNodeDir, Node: "pve1", Target: "..", BackupPath: clusters.ArchiveDir + "/x"}},
		{"edit file: corosync.conf", fileStep(clusters.ClusterConfPath)},
		{"edit file: root's own authorized_keys", fileStep("/root/.ssh/authorized_keys")},
		{"edit file: tampered content", tamperedFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := runner.mark()
			if err := remote.Exec(context.Background(), tc.step); err == nil {
				t.Errorf("%v: accepted", tc.step)
			}
			if log := runner.since(mark); len(log) != 0 {
				t.Errorf("commands reached the node: %q", log)
			}
		})
	}
}

// TestEditClusterConfTakesOverAnExpiredLock: a file-corosync_conf lock left
// by a holder that died is deleted by the unlock request once it is older
// than pmxcfs's 120 s, and the edit goes ahead; a live lock still refuses.
func TestEditClusterConfTakesOverAnExpiredLock(t *testing.T) {
	m, remote, _ := healthyRemote(t)
	now := time.Unix(1_800_000_000, 0)
	m.Clock = func() time.Time { return now }
	if _, serr, code := m.Exec("pve2", clusters.CmdLockConf, nil); code != 0 {
		t.Fatalf("taking the lock by hand: %s", serr)
	}
	step, _ := editConfStep(t, m, 4)
	if err := remote.Exec(context.Background(), step); err == nil || !strings.Contains(err.Error(), "is held") {
		t.Fatalf("edit under a live lock: err = %v, want a refusal", err)
	}
	now = now.Add(121 * time.Second) // the holder died; pmxcfs's expiry passes
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatalf("edit after the lock expired: %v", err)
	}
	if lockHeld(t, m) {
		t.Error("the lock is still held after the edit")
	}
}
