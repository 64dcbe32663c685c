package controller

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/status"
)

// BenchmarkStaleNodeRepair measures, with three simulated clusters served
// over real SSH and HTTPS, the time from a node going stale (MakeStale) to
// its repair being verified, with a 1 s interval: the detection delay
// (up to one interval, plus jitter) plus the resync itself. Report as
// ms/op; the interval is the floor's main part.
//
//	go test ./reconciler/controller -run '^$' -bench StaleNodeRepair -benchtime 5x
func BenchmarkStaleNodeRepair(b *testing.B) {
	dir := b.TempDir()
	cls := startClusters(b, dir, "east", "west", "north")
	cfg := testConfig(b, dir, "bench")
	cfg.Spec.Interval = api.Duration(time.Second)
	pins := &state.PinStore{Dir: cfg.Spec.StateDir}
	c, err := New(Options{Config: cfg, Logger: benchLogger(),
		Connect: func(decl *api.Cluster) (Conn, error) {
			return clusters.Connect(decl, clusters.ConnectOptions{Pins: pins})
		}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// Repaired: pve3 runs the new version and a reconcile that started
	// after the node went stale concluded Ready (so the controller is done
	// verifying before the next iteration makes the node stale again).
	repaired := func(version string, since time.Time) bool {
		out, _, code := cls[0].m.Exec("pve3", "corosync-cmapctl -g totem.config_version", nil)
		if code != 0 || !strings.HasSuffix(strings.TrimSpace(string(out)), "= "+version) {
			return false
		}
		for _, st := range c.Statuses() {
			if r := status.Find(st.Conditions, status.Ready); st.Cluster == "east" && r != nil && r.Status == "True" && st.LastReconcile.After(since) {
				return true
			}
		}
		return false
	}
	time.Sleep(2 * time.Second) // let the first reconciles settle
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		want := strconv.Itoa(4 + i)
		mark := time.Now()
		if err := cls[0].m.MakeStale("pve3"); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for !repaired(want, mark) {
			if time.Now().After(deadline) {
				b.Fatalf("not repaired to v%s", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func benchLogger() *slog.Logger {
	if os.Getenv("QUORATE_BENCH_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}
