package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestClusterReadyAndLock(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ObserveCluster(labDecl(), labObservation(), now)
	m.SetClusterReady("lab", false, 2)
	m.SetLockHeld("lab", true)
	m.Action("lab", "ResyncCorosyncConf", "done")
	m.Action("lab", "ResyncCorosyncConf", "done")
	m.Action("lab", "Delnode", "failed")
	want := `
# HELP quorate_actions_total Actions applied, by kind and result.
# TYPE quorate_actions_total counter
quorate_actions_total{cluster="lab",kind="Delnode",result="failed"} 1
quorate_actions_total{cluster="lab",kind="ResyncCorosyncConf",result="done"} 2
# HELP quorate_cluster_lock_held Whether this replica holds the cluster's lock (1/0).
# TYPE quorate_cluster_lock_held gauge
quorate_cluster_lock_held{cluster="lab"} 1
# HELP quorate_cluster_pending_actions Actions in the last plan.
# TYPE quorate_cluster_pending_actions gauge
quorate_cluster_pending_actions{cluster="lab"} 2
# HELP quorate_cluster_ready Whether the cluster's Ready condition is True after the last reconcile (1/0).
# TYPE quorate_cluster_ready gauge
quorate_cluster_ready{cluster="lab"} 0
`
	names := []string{"quorate_actions_total", "quorate_cluster_lock_held", "quorate_cluster_pending_actions",
		"quorate_cluster_ready", "quorate_cluster_last_success_timestamp_seconds"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	// Ready: the last success is the observation that showed it.
	later := now.Add(10 * time.Minute)
	m.ObserveCluster(labDecl(), labObservation(), later)
	m.SetClusterReady("lab", true, 0)
	m.SetLockHeld("lab", false)
	if got := testutil.ToFloat64(m.lastSuccess.WithLabelValues("lab")); got != float64(later.Unix()) {
		t.Errorf("last success = %g, want %d", got, later.Unix())
	}
	if got := testutil.ToFloat64(m.ready.WithLabelValues("lab")); got != 1 {
		t.Errorf("ready = %g", got)
	}
	// Not ready again: the last success stays.
	m.SetClusterReady("lab", false, 1)
	if got := testutil.ToFloat64(m.lastSuccess.WithLabelValues("lab")); got != float64(later.Unix()) {
		t.Errorf("last success moved to %g", got)
	}
}

// TestForget removes every series of a cluster no longer declared, counters
// included, and leaves the other clusters and the controller's own alone.
func TestForget(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	for _, c := range []string{"lab", "prod"} {
		obs := labObservation()
		obs.Name = c
		d := labDecl()
		d.Metadata.Name = c
		m.ObserveCluster(d, obs, now)
		m.Action(c, "Delnode", "done")
		m.SetClusterReady(c, true, 0)
		m.SetLockHeld(c, false)
	}
	// 34 series from the observation (6 reachable, 5 votequorum, 9
	// versions, 1 skew, 12 links, 1 override) and 5 set by the reconcile.
	before := len(series(t, reg, "prod"))
	m.Forget("lab")
	if left := series(t, reg, "lab"); len(left) != 0 {
		t.Errorf("series left after Forget:\n%s", strings.Join(left, "\n"))
	}
	if after := len(series(t, reg, "prod")); after != before || after != 39 {
		t.Errorf("prod has %d series after forgetting lab, had %d", after, before)
	}
	if got := testutil.ToFloat64(m.maxConcurrent); got != 0 || testutil.CollectAndCount(m.reconcileTotal) != 4 {
		t.Error("Forget touched the controller's metrics")
	}
	// A cluster declared again starts from nothing, not from the old
	// observation's bookkeeping.
	m.ObserveCluster(labDecl(), labObservation(), now)
	if n := len(series(t, reg, "lab")); n != before-5 {
		t.Errorf("lab has %d series after returning, want %d (observation only)", n, before-5)
	}
}

// TestNoSecretsInLabels: nothing of spec.access reaches a label.
func TestNoSecretsInLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	d := labDecl()
	m.ObserveCluster(d, labObservation(), now)
	m.Action("lab", "Delnode", "done")
	m.SetClusterReady("lab", true, 0)
	m.SetLockHeld("lab", true)
	secrets := []string{d.Spec.Access.API.Token.ID, d.Spec.Access.API.Token.SecretFile, d.Spec.Access.SSH.PrivateKeyFile,
		d.Spec.Access.SSH.KnownHostsFile, d.Spec.Access.RootPassword.Env, "secret", "192.0.2."}
	all := series(t, reg, "")
	if len(all) < 39 {
		t.Fatalf("only %d series gathered", len(all))
	}
	for _, s := range all {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("series %s holds %q", s, secret)
			}
		}
	}
}

// TestConcurrentClusters: clusters are observed, booked and forgotten from
// several workers at once (run with -race).
func TestConcurrentClusters(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	names := []string{"a", "b", "c", "d"}
	done := make(chan struct{})
	for _, c := range names {
		go func() {
			defer func() { done <- struct{}{} }()
			d := labDecl()
			d.Metadata.Name = c
			for i := range 20 {
				m.WorkerStarted()
				m.ObserveCluster(d, labObservation(), now.Add(time.Duration(i)*time.Second))
				m.SetClusterReady(c, i%2 == 0, i)
				m.ReconcileDone(ResultSuccess, time.Millisecond)
				m.WorkerDone()
			}
			if c == "a" {
				m.Forget(c)
			}
		}()
	}
	for range names {
		<-done
	}
	if n := len(series(t, reg, "a")); n != 0 {
		t.Errorf("forgotten cluster has %d series", n)
	}
	if got := testutil.ToFloat64(m.activeWorkers); got != 0 {
		t.Errorf("active workers = %g after all finished", got)
	}
	if got := testutil.ToFloat64(m.reconcileTotal.WithLabelValues("cluster", ResultSuccess)); got != 80 {
		t.Errorf("successes = %g, want 80", got)
	}
}

func TestActionsTotalAccessor(t *testing.T) {
	m := New(prometheus.NewRegistry(), "cluster")
	m.Action("east", "ResyncCorosyncConf", "done")
	if got := testutil.ToFloat64(m.ActionsTotal().WithLabelValues("east", "ResyncCorosyncConf", "done")); got != 1 {
		t.Errorf("ActionsTotal = %g, want 1", got)
	}
}
