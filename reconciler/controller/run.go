package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/journal"
	"github.com/quorate/quorate/state/status"
)

// run is one apply-mode reconcile under the cluster lock.
type run struct {
	c    *Controller
	d    declared
	conn Conn
	lock *lock.Lock
	log  *slog.Logger
	id   string
	// before are the nodes' local config_versions when the current action
	// began.
	before map[string]uint64
}

// rounds applies, re-plans and applies again until nothing is left, like
// `quorate apply`.
func (r *run) rounds(ctx context.Context, obs *state.Cluster, cs *reconciler.Changeset) outcome {
	c := r.c
	for round := 1; ; round++ {
		if round > 1 || cs == nil {
			var err error
			if obs, cs, err = c.observeAndPlan(ctx, r.conn, r.d.Decl); err != nil {
				return failed(status.ReasonClusterUnreachable, err)
			}
		}
		if len(cs.Actions) == 0 {
			return c.settled(obs, cs, r.d)
		}
		if r.lock == nil && !cs.RuntimeOnly() {
			// Quorum is back: the rest waits for the next reconcile,
			// which takes the lock first.
			return outcome{result: "requeue_after", after: time.Second, obs: obs, pending: len(cs.Actions),
				ready: status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonChangesPending, Message: "quorum restored by the expected-votes override; the remaining changes wait for the cluster lock"}}
		}
		if round > maxRounds {
			return failed(status.ReasonReconciliationFailed, fmt.Errorf("the cluster did not converge within %d rounds; `quorate plan` shows what is left", maxRounds))
		}
		r.log.Info("applying", "round", round, "actions", len(cs.Actions), "first", cs.Actions[0].Summary())
		rep, err := reconciler.Apply(ctx, r.conn, cs, reconciler.ApplyOptions{
			Backups: c.backups,
			Settle:  c.cfg.Settle.D(),
			Hooks:   r.hooks(),
		})
		switch {
		case err == nil:
		case errors.Is(err, reconciler.ErrParked):
			return outcome{result: "requeue_after", after: time.Second, obs: obs, pending: len(cs.Actions),
				ready: status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonChangesPending, Message: "parked between actions for shutdown"}}
		case errors.Is(err, reconciler.ErrPrecondition) && rep != nil && len(rep.Done) > 0:
			r.log.Info("re-planning: a later action's precondition did not hold after the earlier ones", "err", firstLines(err, 1))
		case errors.Is(err, reconciler.ErrPrecondition):
			msg := firstLines(err, 4)
			return outcome{result: "error", err: err, obs: obs, pending: len(cs.Actions),
				ready:   status.Condition{Type: status.Ready, Status: "False", Reason: status.ReasonPreconditionFailed, Message: msg},
				stalled: &status.Condition{Type: status.Stalled, Status: "True", Reason: status.ReasonPreconditionFailed, Message: msg}}
		default:
			return failed(status.ReasonReconciliationFailed, err)
		}
	}
}

// hooks journals every boundary and enforces the lock and shutdown.
func (r *run) hooks() reconciler.Hooks {
	return reconciler.Hooks{
		BeforeAction: func(ctx context.Context, a reconciler.ActionRef) error {
			if r.c.isParking() {
				return reconciler.ErrParked
			}
			if err := r.lockValid(); err != nil {
				return err
			}
			r.before = versions(a.Observed)
			p, err := r.pending(a, 0, "intent")
			if err != nil {
				return err
			}
			if err := r.c.journal.Put(p); err != nil {
				return fmt.Errorf("journal: %w (nothing of this action ran)", err)
			}
			return r.append(a, 0, "action-start", "", nil, func(e *journal.Entry) {
				if len(a.Backups) > 0 {
					e.Backup = a.Backups[0]
				}
			})
		},
		BeforeStep: func(ctx context.Context, s reconciler.StepRef) error {
			if err := r.lockValid(); err != nil {
				return err
			}
			p, err := r.pending(s.ActionRef, s.Step, "intent")
			if err != nil {
				return err
			}
			if err := r.c.journal.Put(p); err != nil {
				return fmt.Errorf("journal: %w", err)
			}
			if err := r.append(s.ActionRef, s.Step, "intent", "", nil, nil); err != nil {
				return err
			}
			r.hold(ctx, s, "before")
			return nil
		},
		AfterStep: func(ctx context.Context, s reconciler.StepRef, err error) {
			phase, result := "done", "ok"
			if err != nil {
				phase, result = "failed", "failed"
			}
			if p, perr := r.pending(s.ActionRef, s.Step, phase); perr == nil {
				if jerr := r.c.journal.Put(p); jerr != nil {
					r.log.Error("journal write failed", "err", jerr)
				}
			}
			if jerr := r.append(s.ActionRef, s.Step, "outcome", result, err, nil); jerr != nil {
				r.log.Error("audit write failed", "err", jerr)
			}
			r.log.Info("step", "action", s.Action.Summary(), "step", s.Step, "of", len(s.Action.Steps), "what", s.Action.Steps[s.Step-1].String(), "result", result)
			r.hold(ctx, s, "after")
		},
		AfterAction: func(ctx context.Context, a reconciler.ActionRef, err error) {
			result := "done"
			if err != nil {
				result = "failed"
			}
			// The observation the postconditions held on; a stopped action
			// has none, and one more observation says where it stopped.
			obs := a.After
			if obs == nil {
				obs, _ = r.conn.Observe(ctx)
			}
			after := versions(obs)
			if jerr := r.append(a, 0, "action-"+result, result, err, func(e *journal.Entry) { e.VersionsAfter = after }); jerr != nil {
				r.log.Error("audit write failed", "err", jerr)
			}
			if jerr := r.c.journal.Clear(r.d.Name); jerr != nil {
				r.log.Error("journal clear failed", "err", jerr)
			}
			r.c.metrics.Action(r.d.Name, a.Action.Kind.String(), result)
		},
	}
}

// lockValid is nil while the cluster lock is ours. A run without a lock
// (runtime-only changes while inquorate) may only run such actions.
func (r *run) lockValid() error {
	if r.lock == nil {
		return nil
	}
	if err := r.lock.Valid(); err != nil {
		return fmt.Errorf("the cluster lock is not held any more: %w", err)
	}
	return nil
}

func (r *run) hold(ctx context.Context, s reconciler.StepRef, when string) {
	if r.c.opts.Hold != nil {
		r.c.opts.Hold(ctx, HoldPoint{Cluster: r.d.Name, Kind: s.Action.Kind, Step: s.Step, When: when})
	}
}

// pending is the journal record for action a at step (0 = before its first).
func (r *run) pending(a reconciler.ActionRef, step int, phase string) (journal.Pending, error) {
	b, err := json.Marshal(a.Action)
	if err != nil {
		return journal.Pending{}, err
	}
	return journal.Pending{
		Cluster: r.d.Name, Generation: r.d.Generation, Replica: r.c.cfg.Replica, RunID: r.id,
		Started: r.c.opts.Now(), Action: a.Index, Actions: a.Count,
		Kind: a.Action.Kind.String(), Target: a.Action.Target, Summary: a.Action.Summary(), ActionJSON: b,
		Step: step, Steps: len(a.Action.Steps), Phase: phase, Backups: a.Backups, VersionsBefore: r.before,
	}, nil
}

// append writes one audit line about action a (and step, when > 0).
func (r *run) append(a reconciler.ActionRef, step int, event, result string, err error, more func(*journal.Entry)) error {
	e := journal.Entry{
		Cluster: r.d.Name, Generation: r.d.Generation, Replica: r.c.cfg.Replica, RunID: r.id,
		Event: event, Action: a.Index, Actions: a.Count, Kind: a.Action.Kind.String(), Target: a.Action.Target,
		Summary: a.Action.Summary(), Reason: a.Action.Reason, Steps: len(a.Action.Steps),
		VersionsBefore: r.before, Outcome: result,
	}
	if step > 0 {
		s := a.Action.Steps[step-1]
		e.Step, e.StepText, e.Node = step, s.String(), s.Node
	}
	if err != nil {
		e.Error = err.Error()
	}
	if more != nil {
		more(&e)
	}
	if jerr := r.c.journal.Append(e); jerr != nil {
		return fmt.Errorf("audit log: %w", jerr)
	}
	return nil
}

// audit writes a cluster-level audit line (lock events).
func (c *Controller) audit(d declared, event string, err error, node ...string) {
	e := journal.Entry{Cluster: d.Name, Generation: d.Generation, Replica: c.cfg.Replica, Event: event}
	if len(node) > 0 {
		e.Node = node[0]
	}
	if err != nil {
		e.Error = err.Error()
	}
	if jerr := c.journal.Append(e); jerr != nil {
		c.log.Error("audit write failed", "cluster", d.Name, "err", jerr)
	}
}

// versions maps each answering node to its local corosync.conf version.
func versions(obs *state.Cluster) map[string]uint64 {
	if obs == nil {
		return nil
	}
	out := map[string]uint64{}
	for _, n := range obs.Nodes {
		if n.LocalConf.Present {
			out[n.Name] = n.LocalConf.Version
		}
	}
	return out
}
