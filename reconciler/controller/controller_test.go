package controller

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/state"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/journal"
	"github.com/quorate/quorate/state/status"
)

// TestRun_RepairsANodeMadeStaleWhileRunning is issue #4's first "done when":
// three simulated clusters, one node made stale while the controller runs;
// it is repaired by the next reconcile with no human step, and metrics,
// status and audit show it. The other clusters are left alone.
func TestRun_RepairsANodeMadeStaleWhileRunning(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east", "west", "north")
	cfg := testConfig(t, dir, "mgmt-1")
	s := startController(t, cfg, nil)
	waitFor(t, "all three clusters Ready", 20*time.Second, func() bool {
		return s.ready("east") && s.ready("west") && s.ready("north")
	})
	before := reconcilesOf(s.logs.String(), "east")

	mark := time.Now()
	if err := cls[0].m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "east repaired", 30*time.Second, func() bool {
		out, _, code := cls[0].m.Exec("pve3", "corosync-cmapctl -g totem.config_version", nil)
		return code == 0 && strings.Contains(string(out), "= 4") && s.readySince("east", mark) &&
			reconcilesOf(s.logs.String(), "east") > before // status is booked just before the log line
	})
	// Level-based: the first reconcile that saw the stale node repaired it
	// (a reconcile already running when the node went stale may not have
	// seen it, hence at most two).
	if n := reconcilesOf(s.logs.String(), "east") - before; n < 1 || n > 2 {
		t.Errorf("%d reconciles of east between staleness and Ready, want 1 or 2\n%s", n, s.logs.String())
	}

	// Audit: every step journaled, intent then outcome, with the versions.
	j := &journal.Journal{Dir: cfg.Spec.StateDir}
	entries, err := j.Audit("east")
	if err != nil {
		t.Fatal(err)
	}
	var intents, outcomes int
	var done *journal.Entry
	for i, e := range entries {
		switch e.Event {
		case journal.EventIntent:
			intents++
		case journal.EventOutcome:
			outcomes++
			if e.Outcome != "ok" {
				t.Errorf("step %d outcome %q: %s", e.Step, e.Outcome, e.Error)
			}
		case journal.EventActionDone:
			done = &entries[i]
		}
	}
	if intents != 6 || outcomes != 6 || done == nil {
		t.Fatalf("audit: %d intents, %d outcomes, action-done %v; want 6, 6, one", intents, outcomes, done != nil)
	}
	if done.Kind != reconciler.ResyncCorosyncConf.String() || done.Target != "pve3" || done.VersionsBefore["pve3"] != 3 || done.VersionsAfter["pve3"] != 4 || done.Generation == "" {
		t.Errorf("action-done entry = %+v", *done)
	}
	if p, err := j.Get("east"); err != nil || p != nil {
		t.Errorf("pending journal after the action: %+v, %v; want none", p, err)
	}
	for _, other := range []string{"west", "north"} {
		es, _ := j.Audit(other)
		for _, e := range es {
			if e.Event == journal.EventIntent {
				t.Errorf("%s: a step was run on a healthy cluster: %+v", other, e)
			}
		}
	}

	// Metrics.
	if v := testutil.ToFloat64(s.c.metrics.ActionsTotal().WithLabelValues("east", "ResyncCorosyncConf", "done")); v != 1 {
		t.Errorf("quorate actions done on east = %v, want 1", v)
	}
	if n, err := testutil.GatherAndCount(s.c.opts.Gatherer, "controller_runtime_reconcile_total"); err != nil || n == 0 {
		t.Errorf("controller_runtime_reconcile_total: %d series, %v", n, err)
	}

	// Status, in memory and on disk.
	st := s.statusOf("east")
	if st.Generation == "" || status.Find(st.Conditions, status.Stalled).Status != "False" {
		t.Errorf("status = %+v", st)
	}
	disk, err := (&status.Store{Dir: cfg.Spec.StateDir}).ReadAll()
	if err != nil || len(disk) != 3 {
		t.Fatalf("status files: %d, %v; want 3", len(disk), err)
	}
	// Backups: the replaced v3 file is kept.
	backups, _ := filepath.Glob(filepath.Join(cfg.Spec.StateDir, "backups", "east", "pve3", "*"))
	if len(backups) != 1 {
		t.Errorf("controller backups of pve3: %v, want one", backups)
	}
	for _, f := range []string{"token.secret", "root.password"} {
		if strings.Contains(s.logs.String(), readSecret(t, cls[0], f)) {
			t.Errorf("the log contains the secret of %s", f)
		}
	}
}

// reconcilesOf counts finished reconciles of a cluster in JSON logs.
func reconcilesOf(logs, cluster string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		var rec struct {
			Msg     string `json:"msg"`
			Cluster string `json:"cluster"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Cluster != cluster {
			continue
		}
		if strings.HasPrefix(rec.Msg, "reconcile") {
			n++
		}
	}
	return n
}

func readSecret(t *testing.T, c *simCluster, name string) string {
	b, err := os.ReadFile(filepath.Join(c.srv.Dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestRun_DeadClusterBacksOffAndDoesNotSlowTheOthers: a cluster that stops
// answering is not Ready (ClusterUnreachable), its retries back off, and a
// node made stale elsewhere is still repaired, with one worker only.
func TestRun_DeadClusterBacksOffAndDoesNotSlowTheOthers(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east", "west")
	cfg := testConfig(t, dir, "mgmt-1")
	cfg.Spec.Concurrency = 1
	s := startController(t, cfg, nil)
	waitFor(t, "both Ready", 20*time.Second, func() bool { return s.ready("east") && s.ready("west") })

	for _, n := range cls[0].m.Nodes() { // east stops answering: every node off
		if err := cls[0].m.PowerOff(n); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "east marked unreachable with several failures", 20*time.Second, func() bool {
		st := s.statusOf("east")
		r := status.Find(st.Conditions, status.Ready)
		return r.Status == "False" && r.Reason == status.ReasonClusterUnreachable && st.ConsecutiveFailures >= 3
	})
	st := s.statusOf("east")
	if gap := st.NextReconcile.Sub(st.LastReconcile); gap < 600*time.Millisecond {
		t.Errorf("after %d failures the next try is %s after the last; want the backoff (>= 800ms)", st.ConsecutiveFailures, gap)
	}
	if err := cls[1].m.MakeStale("pve2"); err != nil {
		t.Fatal(err)
	}
	mark := time.Now()
	waitFor(t, "west repaired while east is dead", 30*time.Second, func() bool {
		out, _, code := cls[1].m.Exec("pve2", "corosync-cmapctl -g totem.config_version", nil)
		return code == 0 && strings.Contains(string(out), "= 4") && s.readySince("west", mark)
	})
	if s.ready("east") {
		t.Error("east Ready while dead")
	}
	// Power comes back: the controller reconnects through the same
	// declaration and east is Ready again, its failures reset.
	back := time.Now()
	for _, n := range cls[0].m.Nodes() {
		if err := cls[0].m.PowerOn(n); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "east Ready after power returns", 30*time.Second, func() bool { return s.readySince("east", back) })
	if st := s.statusOf("east"); st.ConsecutiveFailures != 0 {
		t.Errorf("failures %d after recovery, want 0", st.ConsecutiveFailures)
	}
}

// TestRun_InvalidFileWaitsForAChange: a broken declaration is Stalled
// (InvalidSpec), nothing is retried until the file changes, and the fixed
// file is reconciled at once.
func TestRun_InvalidFileWaitsForAChange(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east")
	good, err := os.ReadFile(cls[0].file)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cls[0].file, strings.Replace(string(good), "kind: Cluster", "kind: Clutser", 1))
	cfg := testConfig(t, dir, "mgmt-1")
	s := startController(t, cfg, nil)
	waitFor(t, "east Stalled", 10*time.Second, func() bool {
		st := s.statusOf("east")
		if st == nil {
			return false
		}
		c := status.Find(st.Conditions, status.Stalled)
		return c != nil && c.Status == "True" && c.Reason == status.ReasonInvalidSpec &&
			reconcilesOf(s.logs.String(), "east") > 0 // status is booked just before the log line
	})
	n := reconcilesOf(s.logs.String(), "east")
	time.Sleep(5 * cfg.Spec.Interval.D()) // several intervals: nothing may happen
	if m := reconcilesOf(s.logs.String(), "east"); m != n {
		t.Errorf("an invalid file was reconciled %d more times; it should wait for a change", m-n)
	}
	if !strings.Contains(status.Find(s.statusOf("east").Conditions, status.Ready).Message, "kind") {
		t.Errorf("Ready message does not name the field: %+v", s.statusOf("east").Conditions)
	}
	writeFile(t, cls[0].file, string(good))
	waitFor(t, "east Ready after the fix", 10*time.Second, func() bool { return s.ready("east") })
}

// TestRun_PlanModeChangesNothing: in plan mode a stale node is reported as a
// pending change and left as it is.
func TestRun_PlanModeChangesNothing(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east")
	if err := cls[0].m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dir, "mgmt-1")
	cfg.Spec.Mode = "plan"
	s := startController(t, cfg, nil)
	waitFor(t, "changes pending", 10*time.Second, func() bool {
		st := s.statusOf("east")
		if st == nil {
			return false
		}
		c := status.Find(st.Conditions, status.Ready)
		return c != nil && c.Reason == status.ReasonChangesPending && st.PendingActions == 1
	})
	if _, _, code := cls[0].m.Exec("pve3", "corosync-quorumtool -s", nil); code != 1 {
		t.Errorf("pve3's corosync runs: plan mode changed the cluster")
	}
}

// TestRun_ShutdownParksBetweenActions: a controller told to stop while an
// action runs lets it finish and starts no other.
func TestRun_ShutdownParksBetweenActions(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east")
	cfg := testConfig(t, dir, "mgmt-1")
	holding := make(chan struct{})
	release := make(chan struct{})
	var s *started
	s = startController(t, cfg, func(ctx context.Context, p HoldPoint) {
		if p.Kind == reconciler.ResyncCorosyncConf && p.Step == 3 && p.When == "before" {
			close(holding)
			<-release
		}
	})
	waitFor(t, "Ready", 20*time.Second, func() bool { return s.ready("east") })
	if err := cls[0].m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	<-holding
	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()
	waitFor(t, "not ready while stopping", 5*time.Second, func() bool { return !s.c.Ready() })
	close(release)
	<-stopped
	out, _, code := cls[0].m.Exec("pve3", "corosync-cmapctl -g totem.config_version", nil)
	if code != 0 || !strings.Contains(string(out), "= 4") {
		t.Errorf("the action in progress did not finish before shutdown: %s", out)
	}
	if p, _ := (&journal.Journal{Dir: cfg.Spec.StateDir}).Get("east"); p != nil {
		t.Errorf("journal still holds %+v after a finished action", p)
	}
}

// TestRun_InquorateOverrideWithoutTheLock: with no member quorate, pmxcfs
// (and the lock in it) is read-only; the declared temporary expected-votes
// override is set anyway, and nothing else runs without the lock.
func TestRun_InquorateOverrideWithoutTheLock(t *testing.T) {
	dir := t.TempDir()
	m, err := sim.Scenario("two-node-degraded")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simnet.Start(m, simnet.Options{Dir: filepath.Join(dir, "sims", "duo")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m.SetFingerprints(srv.Fingerprints())
	if err := srv.WriteConfig(filepath.Join(dir, "clusters", "duo.yaml"), m.Declaration()); err != nil {
		t.Fatal(err)
	}
	s := startController(t, testConfig(t, dir, "mgmt-1"), nil)
	waitFor(t, "pve1 quorate through the override", 20*time.Second, func() bool {
		out, _, code := m.Exec("pve1", "corosync-quorumtool -s", nil)
		return code == 0 && strings.Contains(string(out), "Expected votes:   1")
	})
	if !strings.Contains(s.logs.String(), "without the cluster lock") {
		t.Error("the log does not say the override ran without the lock")
	}
}

// TestRun_APanicFailsOnlyThatCluster: a reconcile that panics is recovered,
// counted and reported as a failure; the other clusters carry on.
func TestRun_APanicFailsOnlyThatCluster(t *testing.T) {
	dir := t.TempDir()
	startClusters(t, dir, "east", "west")
	cfg := testConfig(t, dir, "mgmt-1")
	logs := &syncBuffer{}
	pins := &state.PinStore{Dir: cfg.Spec.StateDir}
	c, err := New(Options{Config: cfg, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Connect: func(decl *api.Cluster) (Conn, error) {
			if decl.Metadata.Name == "east" {
				panic("boom")
			}
			return clusters.Connect(decl, clusters.ConnectOptions{Pins: pins})
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	s := &started{c: c, logs: logs}
	waitFor(t, "west Ready and east failed twice", 20*time.Second, func() bool {
		st := s.statusOf("east")
		return s.ready("west") && st != nil && st.ConsecutiveFailures >= 2 && strings.Contains(st.LastError, "panic: boom")
	})
	if v := counterValue(t, c, "controller_runtime_reconcile_panics_total"); v < 2 {
		t.Errorf("panics counted: %v, want at least 2", v)
	}
}

// counterValue reads a single-series counter from the controller's registry.
func counterValue(t *testing.T, c *Controller, name string) float64 {
	t.Helper()
	fams, err := c.opts.Gatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no single-series counter %s", name)
	return 0
}
