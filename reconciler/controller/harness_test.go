package controller

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/status"
)

// simCluster is one simulated cluster served over real HTTPS and SSH on
// loopback, its declaration in the shared clusters directory.
type simCluster struct {
	name string
	m    *sim.Model
	srv  *simnet.Server
	file string
}

// startClusters starts one healthy 3-node simulated cluster per name and
// writes their declarations into dir/clusters.
func startClusters(t testing.TB, dir string, names ...string) []*simCluster {
	t.Helper()
	var out []*simCluster
	for _, name := range names {
		m, err := sim.Healthy(name, 3)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := simnet.Start(m, simnet.Options{Dir: filepath.Join(dir, "sims", name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		m.SetFingerprints(srv.Fingerprints())
		file := filepath.Join(dir, "clusters", name+".yaml")
		if err := srv.WriteConfig(file, m.Declaration()); err != nil {
			t.Fatal(err)
		}
		out = append(out, &simCluster{name: name, m: m, srv: srv, file: file})
	}
	return out
}

// testConfig is a controller configuration for tests: fast intervals.
func testConfig(t testing.TB, dir, replica string) *api.Controller {
	keep := 5
	return &api.Controller{APIVersion: api.APIVersion, Kind: api.KindController, Spec: api.ControllerSpec{
		Clusters:        api.ClusterSource{Dir: filepath.Join(dir, "clusters"), WatchInterval: api.Duration(50 * time.Millisecond)},
		Mode:            api.ModeApply,
		Interval:        api.Duration(300 * time.Millisecond),
		Concurrency:     4,
		Backoff:         api.Backoff{Initial: api.Duration(200 * time.Millisecond), Max: api.Duration(2 * time.Second)},
		Listen:          "off",
		StateDir:        filepath.Join(dir, "state-"+replica),
		Replica:         replica,
		Settle:          api.Duration(10 * time.Second),
		ObserveTimeout:  api.Duration(5 * time.Second),
		ShutdownTimeout: api.Duration(10 * time.Second),
		Lock:            api.LockSpec{Timeout: api.Duration(120 * time.Second)},
		Backups:         api.Backups{Keep: &keep},
		Log:             api.LogSpec{Format: "json", Level: "debug"},
	}}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// debugLogs is the last controller's log, printed on a timeout when
// QUORATE_TEST_DEBUG is set.
var debugLogs *syncBuffer

// started is a running controller and what the test watches.
type started struct {
	c    *Controller
	logs *syncBuffer
	stop func()
}

// startController runs a controller until the test ends (or stop).
func startController(t *testing.T, cfg *api.Controller, hold func(context.Context, HoldPoint)) *started {
	t.Helper()
	logs := &syncBuffer{}
	debugLogs = logs
	pins := &state.PinStore{Dir: cfg.Spec.StateDir}
	c, err := New(Options{
		Config: cfg,
		Connect: func(decl *api.Cluster) (Conn, error) {
			return clusters.Connect(decl, clusters.ConnectOptions{Pins: pins})
		},
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Hold:   hold,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return &started{c: c, logs: logs, stop: stop}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			if os.Getenv("QUORATE_TEST_DEBUG") != "" && debugLogs != nil {
				t.Log(debugLogs.String())
			}
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statusOf returns a cluster's status from the controller, or nil.
func (s *started) statusOf(name string) *status.ClusterStatus {
	for _, st := range s.c.Statuses() {
		if st.Cluster == name {
			return &st
		}
	}
	return nil
}

func (s *started) ready(name string) bool {
	st := s.statusOf(name)
	if st == nil {
		return false
	}
	c := status.Find(st.Conditions, status.Ready)
	return c != nil && c.Status == "True"
}

// readySince: Ready, as concluded by a reconcile that started after t.
func (s *started) readySince(name string, t time.Time) bool {
	st := s.statusOf(name)
	return st != nil && st.LastReconcile.After(t) && s.ready(name)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
