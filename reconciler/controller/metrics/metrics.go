package metrics

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reconcile results, as controller-runtime labels them.
const (
	ResultSuccess      = "success"
	ResultError        = "error"
	ResultRequeue      = "requeue"
	ResultRequeueAfter = "requeue_after"
)

// reconcileBuckets are controller-runtime's controller_runtime_reconcile_time_seconds
// buckets, copied as data so histograms from both line up.
var reconcileBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
	1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60}

// Metrics holds the controller's collectors. All methods are safe for
// concurrent use. Create it with New.
type Metrics struct {
	controller string

	reconcileTotal  *prometheus.CounterVec
	reconcileErrors *prometheus.CounterVec
	terminalErrors  *prometheus.CounterVec
	reconcilePanics *prometheus.CounterVec
	reconcileTime   *prometheus.HistogramVec
	activeWorkers   *prometheus.GaugeVec
	maxConcurrent   *prometheus.GaugeVec

	nodeReachable *prometheus.GaugeVec
	quorate       *prometheus.GaugeVec
	votes         *prometheus.GaugeVec
	expectedVotes *prometheus.GaugeVec
	quorumVotes   *prometheus.GaugeVec
	quorumMargin  *prometheus.GaugeVec
	configVersion *prometheus.GaugeVec
	configSkew    *prometheus.GaugeVec
	linkConnected *prometheus.GaugeVec
	tempExpected  *prometheus.GaugeVec
	actions       *prometheus.CounterVec
	ready         *prometheus.GaugeVec
	pending       *prometheus.GaugeVec
	lockHeld      *prometheus.GaugeVec
	lastSuccess   *prometheus.GaugeVec

	// mu orders the per-cluster setters against Forget, so a series set
	// while a cluster is forgotten does not survive it half.
	mu sync.Mutex
	// observed is, per cluster, the series the last ObserveCluster set, so
	// the next one can delete those it no longer supports.
	observed map[string]map[string]sample
	// lastObserved is, per cluster, the now of the last ObserveCluster.
	lastObserved map[string]time.Time
}

// New creates the metrics of one controller and registers them with reg
// (nil: not registered, for tests). A collector of the same name already in
// reg is reused, as controller-runtime shares its vectors between
// controllers; any other registration error panics, as MustRegister does.
// The reconcile_total series of all four results, the error counters and
// both worker gauges start at 0, as controller-runtime initialises them, so
// rate() and increase() work from the first scrape.
func New(reg prometheus.Registerer, controller string) *Metrics {
	m := &Metrics{
		controller: controller,
		reconcileTotal: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controller_runtime_reconcile_total",
			Help: "Total number of reconciliations per controller",
		}, []string{"controller", "result"})),
		reconcileErrors: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controller_runtime_reconcile_errors_total",
			Help: "Total number of reconciliation errors per controller",
		}, []string{"controller"})),
		reconcilePanics: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controller_runtime_reconcile_panics_total",
			Help: "Total number of reconciliation panics per controller",
		}, []string{"controller"})),
		terminalErrors: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controller_runtime_terminal_reconcile_errors_total",
			Help: "Total number of terminal reconciliation errors per controller",
		}, []string{"controller"})),
		reconcileTime: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "controller_runtime_reconcile_time_seconds",
			Help:    "Length of time per reconciliation per controller",
			Buckets: reconcileBuckets,
			// controller-runtime also offers a native histogram (seen only
			// by scrapers asking for the protobuf format).
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"controller"})),
		maxConcurrent: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "controller_runtime_max_concurrent_reconciles",
			Help: "Maximum number of concurrent reconciles per controller",
		}, []string{"controller"})),
		activeWorkers: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "controller_runtime_active_workers",
			Help: "Number of currently used workers per controller",
		}, []string{"controller"})),

		nodeReachable: gauge(reg, "quorate_node_reachable", "Whether the node's API (via=api) or SSH (via=ssh) answered in the last observation (1/0).", "node", "via"),
		quorate:       gauge(reg, "quorate_cluster_quorate", "Whether an observed member's votequorum reports the cluster quorate (1/0; 0 when no member's corosync answered)."),
		votes:         gauge(reg, "quorate_cluster_votes", "Votes present (votequorum Total votes) in the observed partition."),
		expectedVotes: gauge(reg, "quorate_cluster_expected_votes", "votequorum Expected votes in the observed partition."),
		quorumVotes:   gauge(reg, "quorate_cluster_quorum_votes", "votequorum Quorum: the votes needed to be quorate."),
		quorumMargin:  gauge(reg, "quorate_cluster_quorum_margin_votes", "Votes present minus quorum: how many votes may be lost while staying quorate."),
		configVersion: gauge(reg, "quorate_node_config_version", "totem.config_version of one corosync.conf copy on a node (copy=cluster|local|runtime).", "node", "copy"),
		configSkew:    gauge(reg, "quorate_cluster_config_version_skew", "Highest minus lowest config_version of the local corosync.conf of the members that answered."),
		linkConnected: gauge(reg, "quorate_link_connected", "Whether corosync on node reports peer connected on the knet link (1/0).", "node", "peer", "link"),
		tempExpected:  gauge(reg, "quorate_temporary_expected_votes_remaining_seconds", "Seconds until the declared temporary expected-votes override expires (0 once expired)."),
		actions: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorate_actions_total",
			Help: "Actions applied, by kind and result.",
		}, []string{"cluster", "kind", "result"})),
		ready:       gauge(reg, "quorate_cluster_ready", "Whether the cluster's Ready condition is True after the last reconcile (1/0)."),
		pending:     gauge(reg, "quorate_cluster_pending_actions", "Actions in the last plan."),
		lockHeld:    gauge(reg, "quorate_cluster_lock_held", "Whether this replica holds the cluster's lock (1/0)."),
		lastSuccess: gauge(reg, "quorate_cluster_last_success_timestamp_seconds", "Unix time of the observation behind the last reconcile that ended Ready=True."),

		observed:     map[string]map[string]sample{},
		lastObserved: map[string]time.Time{},
	}
	for _, r := range []string{ResultError, ResultRequeueAfter, ResultRequeue, ResultSuccess} {
		m.reconcileTotal.WithLabelValues(controller, r).Add(0)
	}
	m.reconcileErrors.WithLabelValues(controller).Add(0)
	m.terminalErrors.WithLabelValues(controller).Add(0)
	m.reconcilePanics.WithLabelValues(controller).Add(0)
	m.maxConcurrent.WithLabelValues(controller).Set(0)
	m.activeWorkers.WithLabelValues(controller).Set(0)
	return m
}

// gauge makes a cluster-labelled gauge vector with extra labels after
// cluster.
func gauge(reg prometheus.Registerer, name, help string, labels ...string) *prometheus.GaugeVec {
	return register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, append([]string{"cluster"}, labels...)))
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// ReconcileDone counts one finished reconcile with its result (one of the
// Result constants) and observes its duration.
func (m *Metrics) ReconcileDone(result string, d time.Duration) {
	m.reconcileTotal.WithLabelValues(m.controller, result).Inc()
	m.reconcileTime.WithLabelValues(m.controller).Observe(d.Seconds())
}

// ReconcileError counts a reconcile that ended in an error; terminal ones
// (retrying will not help: invalid declaration, failed precondition) are
// also counted as terminal, as controller-runtime counts TerminalError. Call
// it in addition to ReconcileDone(ResultError, ...).
func (m *Metrics) ReconcileError(terminal bool) {
	m.reconcileErrors.WithLabelValues(m.controller).Inc()
	if terminal {
		m.terminalErrors.WithLabelValues(m.controller).Inc()
	}
}

// ReconcilePanic counts a reconcile that panicked (and was recovered).
func (m *Metrics) ReconcilePanic() { m.reconcilePanics.WithLabelValues(m.controller).Inc() }

// WorkerStarted counts a reconcile in progress; pair it with WorkerDone.
func (m *Metrics) WorkerStarted() { m.activeWorkers.WithLabelValues(m.controller).Inc() }

// WorkerDone ends what WorkerStarted counted.
func (m *Metrics) WorkerDone() { m.activeWorkers.WithLabelValues(m.controller).Dec() }

// SetMaxConcurrent records the configured concurrency.
func (m *Metrics) SetMaxConcurrent(n int) {
	m.maxConcurrent.WithLabelValues(m.controller).Set(float64(n))
}

// Action counts one applied action of kind on cluster with its result
// ("done" or "failed").
func (m *Metrics) Action(cluster, kind, result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.actions.WithLabelValues(cluster, kind, result).Inc()
}

// SetClusterReady records how the last reconcile of cluster ended: its Ready
// condition and the number of actions its plan held. A ready cluster's last
// success time becomes the time of its last ObserveCluster (the observation
// that showed it as declared), or the wall clock when it was never observed.
func (m *Metrics) SetClusterReady(cluster string, ready bool, pending int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready.WithLabelValues(cluster).Set(b2f(ready))
	m.pending.WithLabelValues(cluster).Set(float64(pending))
	if !ready {
		return
	}
	at, ok := m.lastObserved[cluster]
	if !ok {
		at = time.Now()
	}
	m.lastSuccess.WithLabelValues(cluster).Set(float64(at.UnixNano()) / 1e9)
}

// SetLockHeld records whether this replica holds cluster's lock.
func (m *Metrics) SetLockHeld(cluster string, held bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lockHeld.WithLabelValues(cluster).Set(b2f(held))
}

// Forget deletes every series of cluster (it is no longer declared), counters
// included.
func (m *Metrics) Forget(cluster string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := prometheus.Labels{"cluster": cluster}
	for _, v := range []*prometheus.GaugeVec{m.nodeReachable, m.quorate, m.votes, m.expectedVotes, m.quorumVotes,
		m.quorumMargin, m.configVersion, m.configSkew, m.linkConnected, m.tempExpected, m.ready, m.pending,
		m.lockHeld, m.lastSuccess} {
		v.DeletePartialMatch(l)
	}
	m.actions.DeletePartialMatch(l)
	delete(m.observed, cluster)
	delete(m.lastObserved, cluster)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ActionsTotal returns the quorate_actions_total vector (labels cluster,
// kind, result), for tests and readers such as testutil.ToFloat64. Count
// through Action, not through the vector: Action orders against Forget.
func (m *Metrics) ActionsTotal() *prometheus.CounterVec { return m.actions }
