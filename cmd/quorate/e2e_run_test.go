package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/journal"
	"github.com/quorate/quorate/state/status"
)

// These tests run `quorate run` as a process against simulators served in the
// test process (real HTTPS and SSH on 127.0.0.1), kill it with SIGKILL, and
// start it again (issue #4 "Done when").

// runLab is a directory with a controller configuration and one simulated
// cluster declared in it.
type runLab struct {
	dir, config, cluster string
	m                    *sim.Model
}

// newRunLab serves m and writes the controller configuration for replica.
func newRunLab(t *testing.T, m *sim.Model) *runLab {
	t.Helper()
	dir := t.TempDir()
	srv, err := simnet.Start(m, simnet.Options{Dir: filepath.Join(dir, "sim")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m.SetFingerprints(srv.Fingerprints())
	if err := srv.WriteConfig(filepath.Join(dir, "clusters", m.ClusterName()+".yaml"), m.Declaration()); err != nil {
		t.Fatal(err)
	}
	return &runLab{dir: dir, cluster: m.ClusterName(), m: m}
}

// configFor writes a controller configuration with its own state directory.
func (l *runLab) configFor(t *testing.T, replica string, lockTimeout time.Duration) string {
	t.Helper()
	path := filepath.Join(l.dir, replica+".yaml")
	writeText(t, path, fmt.Sprintf(`apiVersion: quorate.dev/v1alpha1
kind: Controller
spec:
  clusters: {dir: clusters, watchInterval: 100ms}
  interval: 500ms
  jitter: 0
  backoff: {initial: 200ms, max: 1s}
  listen: "off"
  stateDir: state-%s
  replica: %s
  settle: 20s
  shutdownTimeout: 20s
  lock: {timeout: %s}
  log: {format: json, level: debug}
`, replica, replica, lockTimeout))
	return path
}

func writeText(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// controllerProc is a running `quorate run`.
type controllerProc struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

// startRun starts `quorate run --config config` with extra environment.
func startRun(t *testing.T, config string, env ...string) *controllerProc {
	t.Helper()
	cmd := exec.Command(binPath, "run", "--config", config)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &controllerProc{cmd: cmd, logs: &logs, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL (only this PID, which the test started).
func (p *controllerProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends it with SIGTERM and returns its exit code.
func (p *controllerProc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second): // a safety bound
		t.Fatal("quorate run did not stop on SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitUntil polls cond; the bound is a safety net, not a timing assertion.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// readyIn reports whether the status file in stateDir says cluster is Ready
// and has nothing pending.
func readyIn(stateDir, cluster string) bool {
	sts, err := (&status.Store{Dir: stateDir}).ReadAll()
	if err != nil {
		return false
	}
	for _, st := range sts {
		if st.Cluster != cluster {
			continue
		}
		c := status.Find(st.Conditions, status.Ready)
		return c != nil && c.Status == "True" && st.PendingActions == 0
	}
	return false
}

// invariants checks what must hold at any moment: some member is quorate
// with the whole declared cluster's quorum, and every member has both
// corosync.conf copies.
func invariants(t *testing.T, m *sim.Model, when string) {
	t.Helper()
	quorate := false
	for _, n := range m.Nodes() {
		if !m.Powered(n) {
			continue
		}
		out, _, code := m.Exec(n, "corosync-quorumtool -s", nil)
		if code == 0 && strings.Contains(string(out), "Quorate:          Yes") {
			quorate = true
		}
		if _, _, code := m.Exec(n, "cat /etc/corosync/corosync.conf", nil); code != 0 {
			t.Errorf("%s: %s has no /etc/corosync/corosync.conf", when, n)
		}
	}
	if !quorate {
		t.Errorf("%s: no member is quorate", when)
	}
}

// boundaries lists every step boundary of the first plan of the cluster, as
// QUORATE_TEST_HOLD values with their skip counts.
func boundaries(t *testing.T, l *runLab) []struct {
	hold string
	skip int
} {
	t.Helper()
	r := quorate(t, "plan", "-o", "json", filepath.Join(l.dir, "clusters", l.cluster+".yaml"))
	if r.code != 0 {
		t.Fatalf("plan: %d %s", r.code, r.stderr)
	}
	var cs reconciler.Changeset
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		t.Fatal(err)
	}
	var out []struct {
		hold string
		skip int
	}
	seen := map[string]int{}
	for _, a := range cs.Actions {
		for i := range a.Steps {
			for _, when := range []string{"before", "after"} {
				h := fmt.Sprintf("%s:%d:%s", a.Kind, i+1, when)
				out = append(out, struct {
					hold string
					skip int
				}{h, seen[h]})
				seen[h]++
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the plan has no steps")
	}
	return out
}

// killAndResume is one case: run until the boundary, SIGKILL, check, restart,
// converge.
func killAndResume(t *testing.T, build func() (*sim.Model, error), hold string, skip int) {
	m, err := build()
	if err != nil {
		t.Fatal(err)
	}
	l := newRunLab(t, m)
	cfg := l.configFor(t, "mgmt-1", 120*time.Second)
	holdFile := filepath.Join(l.dir, "held")
	p := startRun(t, cfg, envHold+"="+hold, envHoldFile+"="+holdFile, fmt.Sprintf("%s=%d", envHoldSkip, skip))
	waitUntil(t, "the hold at "+hold, func() bool {
		_, err := os.Stat(holdFile)
		select {
		case <-p.done:
			t.Fatalf("quorate run exited before the hold:\n%s", p.logs.String())
		default:
		}
		return err == nil
	})
	p.kill()
	invariants(t, m, "after SIGKILL at "+hold)
	stateDir := filepath.Join(l.dir, "state-mgmt-1")
	if pend, err := (&journal.Journal{Dir: stateDir}).Get(l.cluster); err != nil || pend == nil {
		t.Fatalf("no journal record after SIGKILL at %s: %v", hold, err)
	}

	p2 := startRun(t, cfg)
	waitUntil(t, "convergence after restart", func() bool { return readyIn(stateDir, l.cluster) })
	if code := p2.stop(t); code != 0 {
		t.Errorf("quorate run exit %d after SIGTERM:\n%s", code, p2.logs.String())
	}
	invariants(t, m, "after the resume")
	entries, err := (&journal.Journal{Dir: stateDir}).Audit(l.cluster)
	if err != nil {
		t.Fatal(err)
	}
	var resumed, judged bool
	for _, e := range entries {
		resumed = resumed || e.Event == journal.EventResume
		judged = judged || e.Event == "resume-judged"
	}
	if !resumed || !judged {
		t.Errorf("audit lacks the resume (%v) or its judgement (%v)", resumed, judged)
	}
	if pend, _ := (&journal.Journal{Dir: stateDir}).Get(l.cluster); pend != nil {
		t.Errorf("journal record left after convergence: %+v", pend)
	}
	if r := quorate(t, "plan", "--detailed-exitcode", filepath.Join(l.dir, "clusters", l.cluster+".yaml")); r.code != 0 {
		t.Errorf("plan after the resume: exit %d\n%s", r.code, r.stdout)
	}
}

// TestE2ERun_ResyncResumesFromEveryStepBoundary: SIGKILL at each boundary
// of the resync action, restart, convergence, no corosync.conf lost, quorate
// throughout.
func TestE2ERun_ResyncResumesFromEveryStepBoundary(t *testing.T) {
	stale := func() (*sim.Model, error) {
		m, err := sim.Healthy("east", 3)
		if err != nil {
			return nil, err
		}
		return m, m.MakeStale("pve3")
	}
	m, err := stale()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boundaries(t, newRunLab(t, m)) {
		t.Run(strings.ReplaceAll(b.hold, ":", "_"), func(t *testing.T) {
			t.Parallel()
			killAndResume(t, stale, b.hold, b.skip)
		})
	}
}

// TestE2ERun_LinkMoveResumesFromEveryStepBoundary: the same for moving
// ring0 to another network (several actions through a temporary link).
func TestE2ERun_LinkMoveResumesFromEveryStepBoundary(t *testing.T) {
	build := func() (*sim.Model, error) { return sim.Scenario("move-ring0") }
	m, err := build()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boundaries(t, newRunLab(t, m)) {
		t.Run(fmt.Sprintf("%s_%d", strings.ReplaceAll(b.hold, ":", "_"), b.skip), func(t *testing.T) {
			t.Parallel()
			killAndResume(t, build, b.hold, b.skip)
		})
	}
}

// TestE2ERun_TwoReplicasOneActorThenTakeover: two replicas against one
// cluster. While the first holds the cluster's lock in pmxcfs (paused in the
// middle of a resync) the second does not act and says who holds it; when the
// first dies (SIGKILL), the second takes over once the lock expires and
// converges the cluster.
func TestE2ERun_TwoReplicasOneActorThenTakeover(t *testing.T) {
	const expiry = 3 * time.Second // the simulator's pmxcfs lock timeout (120 s on real clusters)
	m, err := sim.Healthy("east", 3)
	if err != nil {
		t.Fatal(err)
	}
	m.LockTimeout = expiry
	if err := m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	l := newRunLab(t, m)
	holdFile := filepath.Join(l.dir, "held")
	a := startRun(t, l.configFor(t, "mgmt-a", expiry), envHold+"=ResyncCorosyncConf:3:before", envHoldFile+"="+holdFile)
	waitUntil(t, "replica a at its hold", func() bool { _, err := os.Stat(holdFile); return err == nil })

	b := startRun(t, l.configFor(t, "mgmt-b", expiry))
	stateB := filepath.Join(l.dir, "state-mgmt-b")
	waitUntil(t, "replica b seeing the lock held by a", func() bool {
		sts, _ := (&status.Store{Dir: stateB}).ReadAll()
		for _, st := range sts {
			if c := status.Find(st.Conditions, status.Ready); c != nil && c.Reason == status.ReasonLockHeldElsewhere {
				return st.Lock != nil && st.Lock.Holder == "mgmt-a" && !st.Lock.Ours
			}
		}
		return false
	})
	// Several lock expiries pass while a is alive: a renews, b never acts.
	time.Sleep(2 * expiry)
	if intents(t, stateB, l.cluster) != 0 {
		t.Fatalf("replica b ran steps while a held the lock:\n%s", b.logs.String())
	}
	killedAt := time.Now()
	a.kill()
	waitUntil(t, "replica b converging after the takeover", func() bool { return readyIn(stateB, l.cluster) })
	entries, err := (&journal.Journal{Dir: stateB}).Audit(l.cluster)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Event == journal.EventIntent && e.Time.Before(killedAt) {
			t.Errorf("replica b acted at %s, before a died at %s", e.Time, killedAt)
		}
	}
	if intents(t, stateB, l.cluster) == 0 {
		t.Error("replica b converged without running a step")
	}
	invariants(t, m, "after the takeover")
	if code := b.stop(t); code != 0 {
		t.Errorf("replica b exit %d", code)
	}
	st := quorate(t, "status", "--config", filepath.Join(l.dir, "mgmt-b.yaml"))
	if st.code != 0 || !strings.Contains(st.stdout, "CLUSTER") || !strings.Contains(st.stdout, "east") || !strings.Contains(st.stdout, "True") {
		t.Errorf("quorate status: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
}

func intents(t *testing.T, stateDir, cluster string) int {
	t.Helper()
	entries, err := (&journal.Journal{Dir: stateDir}).Audit(cluster)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Event == journal.EventIntent {
			n++
		}
	}
	return n
}

// TestE2EApplyHonoursTheControllerLock: while another actor holds the
// cluster lock, apply changes nothing and says who holds it; plan notes it.
// Once released, apply takes the lock itself and leaves none behind.
func TestE2EApplyHonoursTheControllerLock(t *testing.T) {
	m, err := sim.Healthy("east", 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	l := newRunLab(t, m)
	cfg := filepath.Join(l.dir, "clusters", "east.yaml")
	owner := `{"holder":"mgmt-1","host":"mgmt-vm","pid":4242,"purpose":"quorate run","node":"pve2","token":"t0k3n","acquired":"2026-11-22T06:00:00Z","renewed":"2026-11-22T06:00:00Z"}`
	for _, c := range []struct {
		cmd   string
		stdin string
	}{{"mkdir /etc/pve/priv/lock/quorate", ""}, {"cat > /etc/pve/priv/quorate-lock.json", owner}} {
		if _, serr, code := m.Exec("pve2", c.cmd, []byte(c.stdin)); code != 0 {
			t.Fatalf("%s: %s", c.cmd, serr)
		}
	}
	plan := quorate(t, "plan", cfg)
	if !strings.Contains(plan.stderr, "mgmt-1") {
		t.Errorf("plan does not note the lock holder:\n%s", plan.stderr)
	}
	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "mgmt-1") || !strings.Contains(r.stderr, "nothing was changed") {
		t.Fatalf("apply under another's lock: exit %d\n%s", r.code, r.stderr)
	}
	if _, _, code := m.Exec("pve3", "corosync-quorumtool -s", nil); code != 1 {
		t.Fatal("pve3 was changed although the lock was held")
	}
	m.Exec("pve2", "rm -f /etc/pve/priv/quorate-lock.json && rmdir /etc/pve/priv/lock/quorate", nil)
	if r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg); r.code != 0 {
		t.Fatalf("apply after release: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, _, code := m.Exec("pve1", "test -d /etc/pve/priv/lock/quorate", nil); code == 0 {
		t.Error("apply left its lock behind")
	}
}

// TestE2EStatusShowsReadableFilesNextToADamagedOne: `quorate status` prints
// what it can read and names the damaged file.
func TestE2EStatusShowsReadableFilesNextToADamagedOne(t *testing.T) {
	dir := t.TempDir()
	writeText(t, filepath.Join(dir, "status", "east.json"), `{"cluster":"east","file":"/x/east.yaml","generation":"abc","conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"as declared","lastTransitionTime":"2026-11-22T06:00:00Z","observedGeneration":"abc"}],"consecutiveFailures":0,"pendingActions":0,"blocked":0}`)
	writeText(t, filepath.Join(dir, "status", "west.json"), `{"cluster":`)
	r := quorate(t, "status", "--state-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "east") || !strings.Contains(r.stderr, "west.json") {
		t.Errorf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
