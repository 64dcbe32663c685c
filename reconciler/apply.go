package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quorate/quorate/state"
)

// Cluster is what Apply needs from the outside world; clusters/ implements it
// over SSH and the Proxmox API, and the tests implement it over the simulator.
type Cluster interface {
	// Observe returns a fresh observation of every declared node.
	Observe(ctx context.Context) (*state.Cluster, error)
	// Exec carries out one step and returns once it has taken effect on the
	// node (or failed). It must not retry a step whose effect is unknown.
	Exec(ctx context.Context, s Step) error
}

// Clock supplies time to Apply, so tests control waiting.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// Backups keeps the controller's own copy of every file a step replaces.
type Backups interface {
	// Save stores content and returns where it was kept.
	Save(cluster, node, path string, version uint64, content []byte) (string, error)
}

// Event is one progress report from Apply.
type Event struct {
	// Action is the 1-based index of the action, of Actions.
	Action, Actions int
	Summary         string
	// Phase is "check", "skip", "backup", "step", "verify" or "done".
	Phase string
	// Step is the step being reported (Phase "step"), 1-based of Steps.
	Step, Steps int
	Detail      string
	Duration    time.Duration
	Err         error
}

// ApplyOptions tunes Apply. The zero value uses the real clock, no controller
// backups, a 90 s settle time and a 1 s poll.
type ApplyOptions struct {
	Clock   Clock
	Backups Backups
	// Settle is how long Apply waits for an action's postconditions. Real
	// corosync needs ~3.5 s to count a started node (corosync-lab §5).
	Settle time.Duration
	// Poll is the pause between observations while settling.
	Poll   time.Duration
	Events func(Event)
	// Hooks, when set, are told about every action and step boundary: the
	// controller journals intents and outcomes there, and stops between
	// actions when it shuts down.
	Hooks Hooks
}

// ActionRef identifies the action a hook is called for.
type ActionRef struct {
	// Index is the 1-based index of the action, of Count.
	Index, Count int
	Action       *Action
	// Backups are the controller-side copies saved for this action.
	Backups []string
	// Observed is the observation the action's preconditions were checked on.
	Observed *state.Cluster
	// After, for AfterAction, is the observation its postconditions held on
	// (nil when it did not get that far).
	After *state.Cluster
}

// StepRef identifies the step a hook is called for.
type StepRef struct {
	ActionRef
	// Step is the 1-based index of the step in Action.Steps.
	Step int
}

// Hooks are optional callbacks at Apply's boundaries. Each may be nil.
type Hooks struct {
	// BeforeAction runs after the action's preconditions held and its
	// backups were saved, before its first step. An error stops Apply with
	// nothing of this action done (ErrParked for a shutdown).
	BeforeAction func(ctx context.Context, a ActionRef) error
	// BeforeStep runs before each step. An error means the step is not run
	// and counts as its failure (Always steps still run afterwards).
	BeforeStep func(ctx context.Context, s StepRef) error
	// AfterStep runs after each step with its result.
	AfterStep func(ctx context.Context, s StepRef, err error)
	// AfterAction runs when the action ended: nil once its postconditions
	// held and its Always steps ran, else why it stopped.
	AfterAction func(ctx context.Context, a ActionRef, err error)
}

// ErrParked is what a BeforeAction hook returns to stop Apply between two
// actions (a controller shutting down): nothing of the next action ran.
var ErrParked = errors.New("parked between actions")

// ErrStalePlan is returned (wrapped) when the cluster changed since the plan.
var ErrStalePlan = errors.New("saved plan is stale")

// ErrPrecondition is wrapped by an ApplyError whose action did not start
// because a precondition failed on the fresh observation: nothing of that
// action ran, and planning again from the new observation is safe.
var ErrPrecondition = errors.New("precondition failed")

// ApplyError explains a stopped apply: what happened, what changed, what to do.
type ApplyError struct {
	Action  Action
	What    string
	Changed string
	Do      string
	Err     error
}

// Error renders what happened, what changed and what to do.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s: %s: %v\nWhat changed: %s\nWhat to do: %s", e.Action.Summary(), e.What, e.Err, e.Changed, e.Do)
}

// Unwrap returns the underlying failure.
func (e *ApplyError) Unwrap() error { return e.Err }

// Report summarises a finished apply.
type Report struct {
	Done    []Action
	Skipped []Action
}

// Apply carries out cs on c, one action at a time: a fresh observation,
// preconditions re-checked, a controller-side backup of every file to be
// replaced, the steps in order, then the postconditions awaited. An action
// whose postconditions already hold is skipped. Apply refuses a changeset whose
// fingerprint no longer matches the cluster, and stops at the first failure.
func Apply(ctx context.Context, c Cluster, cs *Changeset, opts ApplyOptions) (*Report, error) {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Settle == 0 {
		opts.Settle = 90 * time.Second
	}
	if opts.Poll == 0 {
		opts.Poll = time.Second
	}
	emit := func(e Event) {
		if opts.Events != nil {
			opts.Events(e)
		}
	}
	obs, err := c.Observe(ctx)
	if err != nil {
		return nil, fmt.Errorf("observe before apply: %w (nothing was changed)", err)
	}
	if fp := obs.Fingerprint(); fp != cs.Fingerprint {
		return nil, fmt.Errorf("%w: it was computed from observation %s, the cluster is now %s; run plan again and review it. Nothing was changed", ErrStalePlan, cs.Fingerprint, fp)
	}
	rep := &Report{}
	for i, a := range cs.Actions {
		ev := Event{Action: i + 1, Actions: len(cs.Actions), Summary: a.Summary(), Steps: len(a.Steps)}
		if i > 0 {
			if obs, err = c.Observe(ctx); err != nil {
				return rep, &ApplyError{Action: a, What: "observing before the action failed", Err: err,
					Changed: doneText(rep), Do: "check that quorate can reach the nodes, then run apply again"}
			}
		}
		if holdsAll(a.Post, obs) {
			ev.Phase, ev.Detail = "skip", "already in the desired state"
			emit(ev)
			rep.Skipped = append(rep.Skipped, a)
			continue
		}
		t0 := opts.Clock.Now()
		if err := checkAll(a.Pre, obs); err != nil {
			return rep, &ApplyError{Action: a, What: "precondition failed", Err: fmt.Errorf("%w: %w", ErrPrecondition, err),
				Changed: "nothing for this action; " + doneText(rep),
				Do:      "resolve the condition above, then run plan and apply again"}
		}
		ev.Phase, ev.Duration = "check", opts.Clock.Now().Sub(t0)
		ev.Detail = fmt.Sprintf("%d preconditions hold", len(a.Pre))
		emit(ev)
		backups, err := saveBackups(opts.Backups, cs.Cluster, a, obs)
		if err != nil {
			return rep, &ApplyError{Action: a, What: "keeping the controller's backup failed", Err: err,
				Changed: "nothing for this action; " + doneText(rep), Do: "fix the state directory (permissions, space), then run apply again"}
		}
		ref := ActionRef{Index: i + 1, Count: len(cs.Actions), Action: &cs.Actions[i], Backups: backups, Observed: obs}
		if h := opts.Hooks.BeforeAction; h != nil {
			if err := h(ctx, ref); err != nil {
				return rep, &ApplyError{Action: a, What: "stopped before the action", Err: err,
					Changed: "nothing for this action; " + doneText(rep), Do: "run apply again; it resumes from a fresh observation"}
			}
		}
		after, aerr := runAction(ctx, c, ref, opts, emit)
		ref.After = after
		if h := opts.Hooks.AfterAction; h != nil {
			var err error
			if aerr != nil { // not a typed nil in the interface
				err = aerr
			}
			h(ctx, ref, err)
		}
		if aerr != nil {
			aerr.Changed += "; " + doneText(rep)
			return rep, aerr
		}
		rep.Done = append(rep.Done, a)
	}
	return rep, nil
}

// runAction runs a's steps, waits for its postconditions, and finally runs
// its Always steps (re-arming HA) whatever happened before: after a
// successful verification, or after a failed step or postcondition.
func runAction(ctx context.Context, c Cluster, ref ActionRef, opts ApplyOptions, emit func(Event)) (*state.Cluster, *ApplyError) {
	a, i, n := *ref.Action, ref.Index-1, ref.Count
	var main, always []int
	for j, s := range a.Steps {
		if s.Always {
			always = append(always, j)
		} else {
			main = append(main, j)
		}
	}
	step := func(j int) error {
		s := a.Steps[j]
		sref := StepRef{ActionRef: ref, Step: j + 1}
		if h := opts.Hooks.BeforeStep; h != nil {
			if err := h(ctx, sref); err != nil {
				return fmt.Errorf("not started: %w", err)
			}
		}
		t0 := opts.Clock.Now()
		err := c.Exec(ctx, s)
		if h := opts.Hooks.AfterStep; h != nil {
			h(ctx, sref, err)
		}
		emit(Event{Action: i + 1, Actions: n, Summary: a.Summary(), Phase: "step",
			Step: j + 1, Steps: len(a.Steps), Detail: s.String(), Duration: opts.Clock.Now().Sub(t0), Err: err})
		return err
	}
	finally := func(failure *ApplyError) *ApplyError {
		for _, j := range always {
			if err := step(j); err != nil {
				if failure == nil {
					failure = &ApplyError{Action: a, What: fmt.Sprintf("step %d (%s) failed", j+1, a.Steps[j]), Err: err,
						Changed: stepsText(a.Steps), Do: recovery(a, len(a.Steps))}
				}
				failure.Do = fmt.Sprintf("run `%s` by hand first (it failed: %v); then: %s", a.Steps[j], err, failure.Do)
			}
		}
		return failure
	}
	var done []Step
	for _, j := range main {
		if err := step(j); err != nil {
			return nil, finally(&ApplyError{Action: a, What: fmt.Sprintf("step %d (%s) failed", j+1, a.Steps[j]), Err: err,
				Changed: stepsText(done), Do: recovery(a, j)})
		}
		done = append(done, a.Steps[j])
	}
	t0 := opts.Clock.Now()
	after, err := settle(ctx, c, a.Post, opts)
	if err != nil {
		return nil, finally(&ApplyError{Action: a, What: fmt.Sprintf("postcondition not met after %s", opts.Settle), Err: err,
			Changed: stepsText(done), Do: recovery(a, len(a.Steps))})
	}
	emit(Event{Action: i + 1, Actions: n, Summary: a.Summary(), Phase: "verify",
		Detail: fmt.Sprintf("%d postconditions hold", len(a.Post)), Duration: opts.Clock.Now().Sub(t0)})
	return after, finally(nil)
}

// settle observes until post holds and returns that observation.
func settle(ctx context.Context, c Cluster, post []Fact, opts ApplyOptions) (*state.Cluster, error) {
	deadline := opts.Clock.Now().Add(opts.Settle)
	for {
		obs, err := c.Observe(ctx)
		var last error
		if err != nil {
			last = err
		} else if last = checkAll(post, obs); last == nil {
			return obs, nil
		}
		if !opts.Clock.Now().Before(deadline) {
			return nil, last
		}
		if err := opts.Clock.Sleep(ctx, opts.Poll); err != nil {
			return nil, fmt.Errorf("%w (last check: %v)", err, last)
		}
	}
}

func holdsAll(facts []Fact, obs *state.Cluster) bool { return checkAll(facts, obs) == nil }

// checkAll returns every failing fact, joined.
func checkAll(facts []Fact, obs *state.Cluster) error {
	var errs []error
	for _, f := range facts {
		if err := f.Check(obs); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}

// saveBackups keeps the controller's copy of every file a's BackupFile
// steps replace and returns where they went.
func saveBackups(b Backups, cluster string, a Action, obs *state.Cluster) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	var paths []string
	for _, s := range a.Steps {
		if s.Kind == StepEditClusterConf {
			// The cluster-wide file this edit replaces; the step itself
			// refuses if it no longer has BaseDigest.
			if n := obs.Node(s.Node); n != nil && n.ClusterConf.Present && n.ClusterConf.Digest == s.BaseDigest {
				p, err := b.Save(cluster, s.Node, "/etc/pve/corosync.conf", n.ClusterConf.Version, []byte(n.ClusterConf.Content))
				if err != nil {
					return paths, err
				}
				paths = append(paths, p)
			}
			continue
		}
		if s.Kind != StepBackupFile {
			continue
		}
		n := obs.Node(s.Node)
		if n == nil || !n.LocalConf.Present || n.LocalConf.Digest != s.Digest {
			return paths, fmt.Errorf("%s: %s is not the file the plan saw", s.Node, s.Path)
		}
		p, err := b.Save(cluster, s.Node, s.Path, s.Version, []byte(n.LocalConf.Content))
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func stepsText(done []Step) string {
	if len(done) == 0 {
		return "no step of this action ran"
	}
	parts := make([]string, len(done))
	for i, s := range done {
		parts[i] = s.String()
	}
	return "done: " + strings.Join(parts, ", ")
}

func doneText(rep *Report) string {
	if len(rep.Done) == 0 {
		return "no earlier action ran"
	}
	parts := make([]string, len(rep.Done))
	for i, a := range rep.Done {
		parts[i] = a.Summary()
	}
	return "earlier actions completed: " + strings.Join(parts, ", ")
}

// recovery says what to do after action a stopped with steps[:done] applied.
func recovery(a Action, done int) string {
	switch a.Kind {
	case ResyncCorosyncConf:
		var backup string
		for _, s := range a.Steps[:done] {
			if s.Kind == StepBackupFile {
				backup = s.BackupPath
			}
		}
		msg := fmt.Sprintf("look at `journalctl -b -u corosync` and `systemctl status corosync pve-cluster` on %s. Running apply again resumes from a fresh observation", a.Target)
		if backup != "" {
			msg += fmt.Sprintf("; to go back, on %s: `cp -p %s /etc/corosync/corosync.conf && systemctl start corosync pve-cluster` (the controller's state directory keeps a copy too)", a.Target, backup)
		} else if done > 0 {
			msg += fmt.Sprintf("; %s's services may be stopped: `systemctl start corosync pve-cluster` brings them back as they were", a.Target)
		}
		return msg
	case ReloadCorosync:
		return fmt.Sprintf("a rejected reload changes nothing (corosync keeps the old runtime config); check `corosync-cmapctl -g config.reload_status` and `journalctl -b -u corosync` on %s for the reason, then run plan again", a.Target)
	}
	return "observe the cluster, then run plan and apply again"
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
