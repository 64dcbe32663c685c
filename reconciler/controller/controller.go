package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/reconciler/controller/metrics"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/journal"
	"github.com/quorate/quorate/state/status"
)

// Conn is one connection to a cluster: what Apply needs, plus running a
// command on a member by name (the lock).
type Conn interface {
	reconciler.Cluster
	lock.Runner
	Close() error
}

// Connector opens a Conn for a declaration. It must not contact anything
// that a failed connection would leave half open.
type Connector func(decl *api.Cluster) (Conn, error)

// HoldPoint is a step boundary, passed to Options.Hold after it was journaled.
type HoldPoint struct {
	Cluster string
	Kind    reconciler.Kind
	// Step is the 1-based step; When is "before" or "after".
	Step int
	When string
}

// String is KIND:STEP:WHEN, the form QUORATE_TEST_HOLD uses.
func (h HoldPoint) String() string { return fmt.Sprintf("%s:%d:%s", h.Kind, h.Step, h.When) }

// Options are the controller's collaborators. Config and Connect are required.
type Options struct {
	Config  *api.Controller
	Connect Connector
	Logger  *slog.Logger
	// Registry receives the metrics; Gatherer serves them on /metrics.
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Hold, when set, is called at every step boundary after the journal
	// recorded it; tests pause (and kill) the controller there.
	Hold func(ctx context.Context, p HoldPoint)
	// Rand returns a float in [0,1) for jitter; nil means math/rand.
	Rand func() float64
}

// Controller reconciles every declared cluster until its context ends.
type Controller struct {
	opts    Options
	cfg     api.ControllerSpec
	log     *slog.Logger
	metrics *metrics.Metrics
	journal *journal.Journal
	status  *status.Store
	backups *state.BackupStore

	mu       sync.Mutex
	entries  map[string]*entry // by file
	ready    bool
	parking  bool
	scanErr  error
	wake     chan struct{}
	hup      chan struct{}
	inflight sync.WaitGroup
}

// New prepares a controller; nothing is contacted until Run.
func New(opts Options) (*Controller, error) {
	if opts.Config == nil || opts.Connect == nil {
		return nil, errors.New("controller: Config and Connect are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Registry == nil {
		reg := prometheus.NewRegistry()
		opts.Registry, opts.Gatherer = reg, reg
	}
	cfg := opts.Config.Spec
	c := &Controller{
		opts:    opts,
		cfg:     cfg,
		log:     opts.Logger,
		metrics: metrics.New(opts.Registry, "cluster"),
		journal: &journal.Journal{Dir: cfg.StateDir, Now: opts.Now},
		status:  &status.Store{Dir: cfg.StateDir},
		backups: &state.BackupStore{Dir: cfg.StateDir, Now: opts.Now, Keep: *cfg.Backups.Keep},
		entries: map[string]*entry{},
		wake:    make(chan struct{}, 1),
		hup:     make(chan struct{}, 1),
	}
	c.metrics.SetMaxConcurrent(cfg.Concurrency)
	return c, nil
}

// Reload asks for an immediate rescan of the directory and a reconcile of
// every cluster (SIGHUP).
func (c *Controller) Reload() {
	select {
	case c.hup <- struct{}{}:
	default:
	}
}

func (c *Controller) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run scans the directory, reconciles until ctx ends, then parks: no new
// action starts, actions in progress get ShutdownTimeout to finish. It
// returns nil after a clean shutdown.
func (c *Controller) Run(ctx context.Context) error {
	work, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	c.rescan(false)
	c.mu.Lock()
	c.ready = true
	c.mu.Unlock()
	c.log.Info("controller started", "clusters_dir", c.cfg.Clusters.Dir, "mode", c.cfg.Mode,
		"replica", c.cfg.Replica, "concurrency", c.cfg.Concurrency, "interval", c.cfg.Interval.D().String())
	watch := time.NewTicker(c.cfg.Clusters.WatchInterval.D())
	defer watch.Stop()
	sem := make(chan struct{}, c.cfg.Concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := c.dispatch(work, sem)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return c.shutdown(cut)
		case <-watch.C:
			c.rescan(false)
		case <-c.hup:
			c.log.Info("reload requested: rescanning and reconciling every cluster")
			c.rescan(true)
		case <-c.wake:
		case <-timer.C:
		}
	}
}

// dispatch starts every due cluster that has a free worker and returns how
// long until the next one is due.
func (c *Controller) dispatch(work context.Context, sem chan struct{}) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	wait := time.Hour
	for _, e := range c.sortedEntries() {
		if e.running || e.next.IsZero() {
			continue
		}
		if d := e.next.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			return wait // every worker busy; a finishing one wakes the loop
		}
		e.running = true
		c.inflight.Add(1)
		go func(e *entry) {
			defer func() {
				<-sem
				c.inflight.Done()
				c.poke()
			}()
			c.reconcile(work, e)
		}(e)
	}
	return wait
}

// shutdown parks: it stops new actions, waits for the ones in progress up to
// ShutdownTimeout, then cuts them off.
func (c *Controller) shutdown(cut context.CancelFunc) error {
	c.mu.Lock()
	c.parking = true
	c.ready = false
	c.mu.Unlock()
	c.log.Info("shutting down: no new action starts; waiting for actions in progress", "timeout", c.cfg.ShutdownTimeout.D().String())
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(c.cfg.ShutdownTimeout.D()):
		c.log.Warn("shutdown timeout: cutting off the work in progress; the journal keeps its record and the next start resumes it")
		cut()
		<-done
	}
	c.mu.Lock()
	for _, e := range c.entries {
		if e.conn != nil {
			e.conn.Close()
		}
	}
	c.mu.Unlock()
	c.log.Info("controller stopped")
	return nil
}

func (c *Controller) isParking() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parking
}

// Ready reports whether the controller has read its directory and is not
// shutting down (/readyz).
func (c *Controller) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready && c.scanErr == nil
}

// Statuses returns every cluster's status, sorted by cluster.
func (c *Controller) Statuses() []status.ClusterStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []status.ClusterStatus
	for _, e := range c.sortedEntries() {
		out = append(out, e.status)
	}
	return out
}

// Handler serves /metrics, /healthz, /readyz and /status.
func (c *Controller) Handler() http.Handler {
	return newHandler(c)
}

// backoff is the delay after the n-th consecutive failure (n >= 1).
func (c *Controller) backoff(n int) time.Duration {
	d := c.cfg.Backoff.Initial.D()
	for i := 1; i < n && d < c.cfg.Backoff.Max.D(); i++ {
		d *= 2
	}
	return min(d, c.cfg.Backoff.Max.D())
}

// interval is the requeue delay after a success, with jitter.
func (c *Controller) interval() time.Duration {
	base := c.cfg.Interval.D()
	return base + time.Duration(float64(base)*float64(c.cfg.Jitter)/100*c.opts.Rand())
}
