package metrics

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestControllerRuntimeNames: a fresh controller exports controller-runtime's
// names, help texts and labels, with the four results, both error counters
// and the worker gauges initialised as controller-runtime does
// (pkg/internal/controller/controller.go initMetrics).
func TestControllerRuntimeNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.SetMaxConcurrent(4)
	want := `
# HELP controller_runtime_active_workers Number of currently used workers per controller
# TYPE controller_runtime_active_workers gauge
controller_runtime_active_workers{controller="cluster"} 0
# HELP controller_runtime_max_concurrent_reconciles Maximum number of concurrent reconciles per controller
# TYPE controller_runtime_max_concurrent_reconciles gauge
controller_runtime_max_concurrent_reconciles{controller="cluster"} 4
# HELP controller_runtime_reconcile_errors_total Total number of reconciliation errors per controller
# TYPE controller_runtime_reconcile_errors_total counter
controller_runtime_reconcile_errors_total{controller="cluster"} 0
# HELP controller_runtime_reconcile_panics_total Total number of reconciliation panics per controller
# TYPE controller_runtime_reconcile_panics_total counter
controller_runtime_reconcile_panics_total{controller="cluster"} 0
# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="cluster",result="error"} 0
controller_runtime_reconcile_total{controller="cluster",result="requeue"} 0
controller_runtime_reconcile_total{controller="cluster",result="requeue_after"} 0
controller_runtime_reconcile_total{controller="cluster",result="success"} 0
# HELP controller_runtime_terminal_reconcile_errors_total Total number of terminal reconciliation errors per controller
# TYPE controller_runtime_terminal_reconcile_errors_total counter
controller_runtime_terminal_reconcile_errors_total{controller="cluster"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestReconcileCounting(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ReconcileDone(ResultSuccess, 1500*time.Millisecond)
	m.ReconcileDone(ResultRequeueAfter, 20*time.Millisecond)
	m.ReconcileDone(ResultError, 30*time.Millisecond)
	m.ReconcileError(false)
	m.ReconcileDone(ResultError, 0)
	m.ReconcileError(true)
	m.WorkerStarted()
	m.WorkerStarted()
	m.WorkerDone()

	tests := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"success", m.reconcileTotal.WithLabelValues("cluster", ResultSuccess), 1},
		{"requeue_after", m.reconcileTotal.WithLabelValues("cluster", ResultRequeueAfter), 1},
		{"requeue", m.reconcileTotal.WithLabelValues("cluster", ResultRequeue), 0},
		{"error", m.reconcileTotal.WithLabelValues("cluster", ResultError), 2},
		{"errors_total counts terminal ones too", m.reconcileErrors, 2},
		{"terminal", m.terminalErrors, 1},
		{"active workers", m.activeWorkers, 1},
	}
	for _, tc := range tests {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%s = %g, want %g", tc.name, got, tc.want)
		}
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_time_seconds" {
			continue
		}
		found = true
		if help := mf.GetHelp(); help != "Length of time per reconciliation per controller" {
			t.Errorf("help = %q", help)
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 4 || math.Abs(h.GetSampleSum()-1.55) > 1e-9 {
			t.Errorf("histogram count %d sum %g, want 4 and 1.55", h.GetSampleCount(), h.GetSampleSum())
		}
		var bounds []float64
		for _, b := range h.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		// controller-runtime's buckets, written out again so a change to
		// reconcileBuckets is caught.
		want := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
			1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60}
		if !reflect.DeepEqual(bounds, want) {
			t.Errorf("buckets = %v\nwant %v", bounds, want)
		}
		if label(mf.GetMetric()[0], "controller") != "cluster" {
			t.Errorf("histogram labels = %v", mf.GetMetric()[0].GetLabel())
		}
	}
	if !found {
		t.Error("controller_runtime_reconcile_time_seconds not gathered")
	}
}

// TestSharedRegistry: two controllers on one registry share the vectors, as
// controller-runtime's controllers do, instead of panicking.
func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := New(reg, "a")
	b := New(reg, "b")
	a.ReconcileDone(ResultSuccess, time.Second)
	b.Action("lab", "Delnode", "done")
	if n := testutil.CollectAndCount(a.reconcileTotal); n != 8 {
		t.Errorf("reconcile_total has %d series, want 4 per controller", n)
	}
	if got := testutil.ToFloat64(a.reconcileTotal.WithLabelValues("a", ResultSuccess)); got != 1 {
		t.Errorf("a success = %g", got)
	}
	if got := testutil.ToFloat64(a.actions.WithLabelValues("lab", "Delnode", "done")); got != 1 {
		t.Errorf("shared actions counter = %g", got)
	}
}

// TestLint runs client_golang's linter (Prometheus naming conventions) on
// every metric, with a series of each present.
func TestLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ReconcileDone(ResultSuccess, time.Second)
	m.ObserveCluster(labDecl(), labObservation(), now)
	m.Action("lab", "Delnode", "done")
	m.SetClusterReady("lab", true, 0)
	m.SetLockHeld("lab", false)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
