package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/status"
)

// maxRounds bounds observe → plan → apply rounds within one reconcile, as
// `quorate apply` does: repairs and membership changes come in separate
// rounds, more than a few means something does not converge.
const maxRounds = 10

// outcome is what one reconcile concluded.
type outcome struct {
	// result is controller-runtime's label: success, error, requeue_after.
	result   string
	terminal bool // an error only a changed file can fix
	// after is the requeue delay; waitChange means none (until the file
	// changes); backoff means the failure backoff applies.
	after      time.Duration
	waitChange bool
	backoff    bool
	ready      status.Condition
	stalled    *status.Condition // nil = Stalled False
	obs        *state.Cluster
	pending    int
	blocked    int
	lock       *status.LockInfo
	err        error
}

// reconcile runs one reconcile of e and books its outcome.
func (c *Controller) reconcile(work context.Context, e *entry) {
	c.mu.Lock()
	d := e.declared
	c.mu.Unlock()
	start := c.opts.Now()
	c.metrics.WorkerStarted()
	defer c.metrics.WorkerDone()
	log := c.log.With("cluster", d.Name, "generation", d.Generation)
	var out outcome
	if d.Decl == nil {
		out = invalid(d)
	} else {
		out = c.recovered(work, e, d, log)
	}
	dur := c.opts.Now().Sub(start)
	c.book(e, d, out, start, dur, log)
}

// recovered runs reconcileDeclared and turns a panic into a failed
// reconcile (with backoff): one cluster's bug must not stop the others. The
// deferred lock release and the journal record still hold; the next
// reconcile resumes.
func (c *Controller) recovered(work context.Context, e *entry, d declared, log *slog.Logger) (out outcome) {
	defer func() {
		if r := recover(); r != nil {
			c.metrics.ReconcilePanic()
			log.Error("reconcile panicked; the controller carries on", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out = failed(status.ReasonReconciliationFailed, fmt.Errorf("internal error (panic: %v); please report it with the controller's log", r))
		}
	}()
	return c.reconcileDeclared(work, e, d, log)
}

// invalid is the outcome for a file that did not load: nothing contacted,
// wait for the file to change.
func invalid(d declared) outcome {
	msg := firstLines(d.Err, 3)
	return outcome{result: "error", terminal: true, waitChange: true, err: d.Err,
		ready:   status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonInvalidSpec, Message: msg},
		stalled: &status.Condition{Type: status.Stalled, Status: "True", Reason: status.ReasonInvalidSpec, Message: "fix the file; nothing is contacted until it changes: " + msg}}
}

// reconcileDeclared observes, plans and (in apply mode, under the cluster
// lock) applies.
func (c *Controller) reconcileDeclared(work context.Context, e *entry, d declared, log *slog.Logger) outcome {
	conn, err := c.connFor(e, d)
	if err != nil {
		return failed(status.ReasonReconciliationFailed, fmt.Errorf("preparing the connection: %w", err))
	}
	obs, cs, err := c.observeAndPlan(work, conn, d.Decl)
	if err != nil {
		return failed(status.ReasonClusterUnreachable, err)
	}
	interrupted, err := c.journal.Get(d.Name)
	if err != nil {
		return failed(status.ReasonReconciliationFailed, fmt.Errorf("reading the journal: %w", err))
	}
	if (len(cs.Actions) == 0 && interrupted == nil) || c.cfg.Mode == api.ModePlan {
		return c.settled(obs, cs, d)
	}
	if c.isParking() {
		return outcome{result: "requeue_after", obs: obs, pending: len(cs.Actions),
			ready: status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonChangesPending, Message: "shutting down before applying"}}
	}
	held, lockInfo, err := c.takeLock(work, conn, obs, d.Decl.Metadata.Name, log)
	if err != nil && cs.RuntimeOnly() && errors.Is(err, lock.ErrReadOnly) {
		// No member is quorate: pmxcfs, and the lock in it, are read-only,
		// and the runtime expected-votes override is the way out. It does
		// not write pmxcfs, so two actors setting it cannot corrupt it.
		log.Warn("no member is quorate; setting the runtime expected votes without the cluster lock")
		return (&run{c: c, d: d, conn: conn, lock: nil, log: log, id: newRunID()}).rounds(work, nil, nil)
	}
	if err != nil {
		var he *lock.HeldError
		if errors.As(err, &he) {
			return outcome{result: "requeue_after", after: min(c.cfg.Interval.D(), c.cfg.Lock.Timeout.D()/2), obs: obs, pending: len(cs.Actions), lock: lockInfo,
				ready: status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonLockHeldElsewhere, Message: err.Error()}}
		}
		return failed(status.ReasonReconciliationFailed, fmt.Errorf("taking the cluster lock: %w", err))
	}
	c.setReconciling(e, d, fmt.Sprintf("applying %d action(s)", len(cs.Actions)))
	lockCtx, stopKeep := context.WithCancel(work)
	held.Keep(lockCtx, c.cfg.Lock.Timeout.D()/4, func(err error) {
		log.Error("the cluster lock was lost; no further step starts", "err", err)
		c.audit(d, "lock-lost", err)
	})
	c.metrics.SetLockHeld(d.Name, true)
	defer func() {
		stopKeep()
		c.metrics.SetLockHeld(d.Name, false)
		if err := held.Release(context.WithoutCancel(work)); err != nil {
			log.Warn("releasing the cluster lock failed; it expires by itself", "err", err, "timeout", c.cfg.Lock.Timeout.D().String())
		}
	}()
	r := &run{c: c, d: d, conn: conn, lock: held, log: log, id: newRunID()}
	c.audit(d, "lock-acquired", nil, held.Node())
	if interrupted != nil {
		if err := r.resume(work); err != nil {
			return failed(status.ReasonReconciliationFailed, err)
		}
	}
	// Plan again under the lock: another actor may have changed the cluster
	// between the first observation and the lock, and the resume may have.
	out := r.rounds(work, nil, nil)
	out.lock = lockInfo
	return out
}

// observeAndPlan takes one observation, bounded by ObserveTimeout, and plans.
func (c *Controller) observeAndPlan(ctx context.Context, conn Conn, decl *api.Cluster) (*state.Cluster, *reconciler.Changeset, error) {
	octx, cancel := context.WithTimeout(ctx, c.cfg.ObserveTimeout.D())
	defer cancel()
	obs, err := conn.Observe(octx)
	if err != nil {
		c.metrics.ObserveCluster(decl, nil, c.opts.Now())
		return nil, nil, fmt.Errorf("observing: %w", err)
	}
	if octx.Err() != nil {
		c.metrics.ObserveCluster(decl, nil, c.opts.Now())
		return nil, nil, fmt.Errorf("observing took longer than observeTimeout (%s)", c.cfg.ObserveTimeout.D())
	}
	c.metrics.ObserveCluster(decl, obs, c.opts.Now())
	if err := unreachable(obs); err != nil {
		return nil, nil, err
	}
	cs := reconciler.Plan(decl, obs, c.opts.Now())
	return obs, &cs, nil
}

// unreachable is an error when no member answered at all: the cluster (or
// the path to it) is down, which is a transient failure to back off from,
// not a plan to report.
func unreachable(obs *state.Cluster) error {
	var why []string
	for _, n := range obs.Nodes {
		if n.SSH.OK || n.API.OK {
			return nil
		}
		why = append(why, fmt.Sprintf("%s: %s", n.Name, firstNonEmpty(n.SSH.Error, n.API.Error, "no answer")))
	}
	return fmt.Errorf("no member answered (%s)", strings.Join(why, "; "))
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// settled is the outcome when nothing is applied: converged, blocked, or
// changes pending in plan mode.
func (c *Controller) settled(obs *state.Cluster, cs *reconciler.Changeset, d declared) outcome {
	out := outcome{result: "success", obs: obs, pending: len(cs.Actions), blocked: len(cs.Blocked)}
	switch {
	case len(cs.Actions) > 0: // plan mode
		out.ready = status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonChangesPending,
			Message: fmt.Sprintf("dry run: %d action(s) pending, first: %s", len(cs.Actions), cs.Actions[0].Summary())}
	case len(cs.Blocked) > 0:
		b := cs.Blocked[0]
		msg := fmt.Sprintf("%d difference(s) quorate does not change now; %s: %s (%s)", len(cs.Blocked), b.Target, b.Reason, b.Do)
		out.ready = status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonBlocked, Message: msg}
		out.stalled = &status.Condition{Type: status.Stalled, Status: "True", Reason: status.ReasonBlocked, Message: msg}
	default:
		out.ready = status.Condition{Type: status.Ready, Status: "True", Reason: status.ReasonReconciliationSucceeded, Message: summary(obs)}
	}
	return out
}

// failed is a transient failure: backoff applies.
func failed(reason string, err error) outcome {
	return outcome{result: "error", backoff: true, err: err,
		ready: status.Condition{Type: status.Ready, Status: "False", Reason: reason, Message: firstLines(err, 3)}}
}

// summary describes a healthy observation in one line.
func summary(obs *state.Cluster) string {
	var quorate, nodes int
	var version uint64
	for _, n := range obs.Nodes {
		nodes++
		if n.Quorate() {
			quorate++
		}
		version = max(version, n.ClusterConf.Version)
	}
	return fmt.Sprintf("as declared: %d/%d members quorate, config_version %d", quorate, nodes, version)
}

// connFor returns e's connection for generation d, reconnecting after a
// change of the file.
func (c *Controller) connFor(e *entry, d declared) (Conn, error) {
	c.mu.Lock()
	conn, gen := e.conn, e.connGen
	c.mu.Unlock()
	if conn != nil && gen == d.Generation {
		return conn, nil
	}
	if conn != nil {
		conn.Close()
	}
	conn, err := c.opts.Connect(d.Decl)
	c.mu.Lock()
	e.conn, e.connGen = conn, d.Generation
	c.mu.Unlock()
	return conn, err
}

// takeLock takes the cluster's lock through its quorate members first.
func (c *Controller) takeLock(ctx context.Context, conn Conn, obs *state.Cluster, cluster string, log *slog.Logger) (*lock.Lock, *status.LockInfo, error) {
	l, err := lock.Acquire(ctx, conn, lock.Members(obs), lock.Options{
		Holder: c.cfg.Replica, Purpose: "quorate run", Timeout: c.cfg.Lock.Timeout.D(), Now: c.opts.Now})
	var he *lock.HeldError
	if errors.As(err, &he) {
		log.Info("the cluster lock is held by another actor; waiting", "holder", he.Owner.Holder, "via", he.Owner.Node)
		return nil, &status.LockInfo{Holder: he.Owner.Holder, Node: he.Owner.Node, Since: he.Owner.Acquired}, err
	}
	if err != nil {
		return nil, nil, err
	}
	o := l.Owner()
	log.Info("cluster lock taken", "via", l.Node())
	return l, &status.LockInfo{Holder: o.Holder, Node: o.Node, Since: o.Acquired, Ours: true}, nil
}

// setReconciling marks e as in progress and writes its status at once, so
// `quorate status` shows it while the action runs.
func (c *Controller) setReconciling(e *entry, d declared, msg string) {
	now := c.opts.Now()
	c.mu.Lock()
	st := e.status
	st.Conditions = append([]status.Condition(nil), st.Conditions...)
	status.Set(&st.Conditions, status.Condition{Type: status.Reconciling, Status: "True", Reason: status.ReasonProgressing, Message: msg, ObservedGeneration: d.Generation}, now)
	e.status = st
	c.mu.Unlock()
	if err := c.status.Write(st); err != nil {
		c.log.Warn("writing status failed", "cluster", d.Name, "err", err)
	}
}

// book records an outcome: status, metrics, log, and when to come back.
func (c *Controller) book(e *entry, d declared, out outcome, start time.Time, dur time.Duration, log *slog.Logger) {
	now := c.opts.Now()
	c.mu.Lock()
	e.running = false
	if out.backoff {
		e.failures++
	} else {
		e.failures = 0
	}
	var after time.Duration
	switch {
	case out.waitChange:
		e.next = time.Time{}
	case out.backoff:
		after = c.backoff(e.failures)
		e.next = now.Add(after)
	case out.after > 0:
		after = out.after
		e.next = now.Add(after)
	default:
		after = c.interval()
		e.next = now.Add(after)
	}
	if e.Generation != d.Generation || errText(e.Err) != errText(d.Err) {
		// The file changed while this reconcile ran: the new content is
		// due now, whatever this outcome said.
		e.next, e.failures, after = now, 0, 0
	}
	st := e.status
	st.Cluster, st.File, st.Generation, st.Revision = d.Name, d.File, d.Generation, c.revision(d.File)
	st.Conditions = append([]status.Condition(nil), st.Conditions...)
	out.ready.ObservedGeneration = d.Generation
	status.Set(&st.Conditions, out.ready, now)
	rec := status.Condition{Type: status.Reconciling, Status: "False", Reason: status.ReasonIdle, ObservedGeneration: d.Generation}
	if out.backoff {
		rec = status.Condition{Type: status.Reconciling, Status: "True", Reason: status.ReasonRetrying, ObservedGeneration: d.Generation,
			Message: fmt.Sprintf("failure %d in a row; next try in %s", e.failures, after.Round(time.Second))}
	}
	status.Set(&st.Conditions, rec, now)
	stalled := status.Condition{Type: status.Stalled, Status: "False", Reason: status.ReasonIdle, ObservedGeneration: d.Generation}
	if out.stalled != nil {
		stalled = *out.stalled
		stalled.ObservedGeneration = d.Generation
	}
	status.Set(&st.Conditions, stalled, now)
	st.LastReconcile, st.LastDuration = start, dur
	st.NextReconcile = e.next
	st.ConsecutiveFailures = e.failures
	st.PendingActions, st.Blocked = out.pending, out.blocked
	st.Lock = out.lock
	st.LastError = ""
	if out.err != nil {
		st.LastError = firstLines(out.err, 6)
	}
	if out.obs != nil {
		q, total, quorum := quorumOf(out.obs)
		st.Quorate, st.TotalVotes, st.Quorum = &q, total, quorum
	}
	e.status = st
	removed := e.removed
	c.mu.Unlock()

	c.metrics.ReconcileDone(out.result, dur)
	if out.result == "error" {
		c.metrics.ReconcileError(out.terminal)
	}
	c.metrics.SetClusterReady(d.Name, out.ready.Status == "True", out.pending)
	if err := c.status.Write(st); err != nil {
		log.Warn("writing status failed", "err", err)
	}
	attrs := []any{"ready", out.ready.Status, "reason", out.ready.Reason, "duration", dur.Round(time.Millisecond).String()}
	if !e.next.IsZero() {
		attrs = append(attrs, "next_in", after.Round(time.Second).String())
	}
	switch {
	case out.err != nil:
		log.Error("reconcile failed", append(attrs, "err", out.err.Error())...)
	case out.ready.Status != "True":
		log.Warn("reconciled, not ready", append(attrs, "message", out.ready.Message)...)
	default:
		log.Info("reconciled", append(attrs, "message", out.ready.Message)...)
	}
	if removed {
		c.mu.Lock()
		c.forget(e)
		delete(c.entries, d.File)
		c.mu.Unlock()
	}
}

// quorumOf reads the authority's (or any quorate node's) votequorum view.
func quorumOf(obs *state.Cluster) (quorate bool, total, quorum int) {
	for _, n := range obs.Nodes {
		if n.Quorum == nil {
			continue
		}
		if n.Quorate() || total == 0 {
			quorate, total, quorum = n.Quorate(), n.Quorum.TotalVotes, n.Quorum.Quorum
		}
		if n.Quorate() {
			break
		}
	}
	return quorate, total, quorum
}

func firstLines(err error, n int) string {
	if err == nil {
		return ""
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " ")
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
