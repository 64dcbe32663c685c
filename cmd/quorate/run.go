package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/reconciler/controller"
	"github.com/quorate/quorate/state"
)

// Test hooks of `quorate run`: QUORATE_TEST_HOLD=KIND:STEP:WHEN (e.g.
// ResyncCorosyncConf:3:before) makes the controller stop at that step
// boundary, after journaling it, create the file QUORATE_TEST_HOLD_FILE and
// wait there until it is killed; QUORATE_TEST_HOLD_SKIP=N lets the first N
// matching boundaries pass (two actions of one kind in a changeset). The
// end-to-end tests kill it with SIGKILL to prove that a restart resumes.
const (
	envHold     = "QUORATE_TEST_HOLD"
	envHoldFile = "QUORATE_TEST_HOLD_FILE"
	envHoldSkip = "QUORATE_TEST_HOLD_SKIP"
)

// runRun is `quorate run --config FILE`: the long-running controller.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	config := fs.String("config", "", "the controller's configuration (see config.example.yaml)")
	dryRun := fs.Bool("dry-run", false, "only observe and plan, whatever spec.mode says")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *config == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "quorate run: usage: quorate run --config FILE [--dry-run]")
		return exitError
	}
	cfg, err := api.LoadController(*config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if *dryRun {
		cfg.Spec.Mode = api.ModePlan
	}
	logger, err := newLogger(cfg.Spec.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pins := &state.PinStore{Dir: cfg.Spec.StateDir}
	c, err := controller.New(controller.Options{
		Config: cfg,
		Connect: func(decl *api.Cluster) (controller.Conn, error) {
			return clusters.Connect(decl, clusters.ConnectOptions{Pins: pins})
		},
		Logger:   logger,
		Registry: reg,
		Gatherer: reg,
		Hold:     holdFromEnv(logger),
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	var srv *http.Server
	if cfg.Spec.Listen != "off" {
		ln, err := net.Listen("tcp", cfg.Spec.Listen)
		if err != nil {
			fmt.Fprintf(stderr, "spec.listen: %v; choose another address or \"off\"\n", err)
			return exitError
		}
		srv = &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
		logger.Info("serving /metrics /healthz /readyz /status", "addr", ln.Addr().String())
		go srv.Serve(ln)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			c.Reload()
		}
	}()
	err = c.Run(ctx)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(sctx)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	return exitOK
}

// newLogger builds the structured log on w.
func newLogger(spec api.LogSpec, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(spec.Level)); err != nil {
		return nil, fmt.Errorf("spec.log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if spec.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// holdFromEnv returns the test hold of QUORATE_TEST_HOLD, or nil.
func holdFromEnv(logger *slog.Logger) func(context.Context, controller.HoldPoint) {
	want, file := os.Getenv(envHold), os.Getenv(envHoldFile)
	if want == "" {
		return nil
	}
	skip, _ := strconv.Atoi(os.Getenv(envHoldSkip))
	var mu sync.Mutex
	return func(ctx context.Context, p controller.HoldPoint) {
		if !strings.EqualFold(p.String(), want) {
			return
		}
		mu.Lock()
		skip--
		pass := skip >= 0
		mu.Unlock()
		if pass {
			return
		}
		logger.Warn("test hold reached; waiting to be killed", "point", p.String())
		if file != "" {
			if err := os.WriteFile(file, []byte(p.String()+"\n"), 0o600); err != nil && !errors.Is(err, os.ErrExist) {
				logger.Error("test hold file", "err", err)
			}
		}
		<-ctx.Done()
	}
}
