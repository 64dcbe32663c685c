package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// maxRounds bounds apply's observe → plan → apply loop. Repairs and changes
// are separate rounds (reference: stale nodes first, one membership change per
// round), so a few rounds are normal; more means something does not converge.
const maxRounds = 10

// runApply converges a cluster. Without --plan it runs rounds — observe,
// plan, show the plan, ask for "yes" (unless --auto-approve), apply — until
// nothing is left to do; with --plan it carries out exactly that saved plan,
// refusing it if the cluster changed since.
func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("apply", stderr)
	auto := fs.Bool("auto-approve", false, "do not ask for confirmation")
	planFile := fs.String("plan", "", "carry out this saved plan (from `quorate plan --out`)")
	stateDir := stateDirFlag(fs)
	settle := fs.Duration("settle", 90*time.Second, "how long to wait for an action's postconditions")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	file, ok := oneFile(fs, stderr)
	if !ok {
		return exitError
	}
	decl, ok := load(file, stderr)
	if !ok {
		return exitError
	}
	remote, err := connect(decl, *stateDir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer remote.Close()
	defer printPinNotes(stderr, remote)
	a := applier{decl: decl, remote: remote, stateDir: *stateDir, settle: *settle, stdout: stdout, stderr: stderr}
	if *planFile != "" {
		cs, err := readPlan(*planFile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		if cs.Cluster != decl.Metadata.Name {
			fmt.Fprintf(stderr, "%s is a plan for cluster %q, not %q; nothing was changed\n", *planFile, cs.Cluster, decl.Metadata.Name)
			return exitError
		}
		if !a.apply(ctx, cs) {
			return exitError
		}
		fmt.Fprintln(stdout, "The saved plan is done; run `quorate plan` to see whether anything is left.")
		return exitOK
	}
	return a.rounds(ctx, func() bool { return *auto || confirm(stdout) })
}

// applier runs changesets against one cluster and reports progress.
type applier struct {
	// release frees the cluster lock once apply took it (nil before).
	release        func()
	decl           *api.Cluster
	remote         *clusters.Remote
	stateDir       string
	settle         time.Duration
	stdout, stderr io.Writer
}

// rounds observes, plans and applies until converged, blocked, or maxRounds.
// approve is asked before each round that has actions. Exit 0 only when the
// cluster is converged.
func (a *applier) rounds(ctx context.Context, approve func() bool) int {
	defer a.unlock()
	for round := 1; round <= maxRounds; round++ {
		obs, err := a.remote.Observe(ctx)
		if err != nil {
			fmt.Fprintln(a.stderr, observeError(a.decl, err))
			return exitError
		}
		cs := reconciler.Plan(a.decl, obs, time.Now())
		if round > 1 {
			fmt.Fprintf(a.stdout, "\n--- round %d ---\n", round)
		}
		fmt.Fprint(a.stdout, cs.Text())
		if len(cs.Actions) == 0 {
			if cs.Converged() {
				return exitOK
			}
			fmt.Fprintf(a.stdout, "\n%d difference(s) remain that quorate does not change now (listed above).\n", len(cs.Blocked))
			return exitError
		}
		if !approve() {
			fmt.Fprintln(a.stderr, "Apply cancelled; nothing more was changed.")
			return exitError
		}
		if a.release == nil {
			// Under the lock the cluster may not be what was approved:
			// another actor may have changed it in between. Apply's own
			// fingerprint check refuses the plan then.
			if a.release, err = takeLock(ctx, a.remote, obs); err != nil {
				if !cs.RuntimeOnly() || !errors.Is(err, lock.ErrReadOnly) {
					fmt.Fprintln(a.stderr, err)
					return exitError
				}
				// Inquorate: pmxcfs (and the lock in it) is read-only, and
				// the runtime expected-votes override is the way out.
				fmt.Fprintln(a.stderr, "note: no member is quorate, so the cluster lock (in pmxcfs) cannot be taken; setting the runtime expected votes without it")
				a.release = func() {}
			}
		}
		done, err := a.applyOnce(ctx, &cs)
		switch {
		case err == nil:
		case errors.Is(err, reconciler.ErrPrecondition) && done > 0:
			// A later action of this round was planned on a prediction the
			// cluster did not match; nothing of it ran. Plan again.
			fmt.Fprintf(a.stdout, "\nRe-planning: %v\n", firstLine(err))
		default:
			return exitError
		}
	}
	fmt.Fprintf(a.stderr, "the cluster did not converge within %d rounds; run plan to see what is left\n", maxRounds)
	return exitError
}

// apply runs one saved changeset under the cluster lock and reports; false
// when it stopped.
func (a *applier) apply(ctx context.Context, cs *reconciler.Changeset) bool {
	obs, err := a.remote.Observe(ctx)
	if err != nil {
		fmt.Fprintln(a.stderr, observeError(a.decl, err))
		return false
	}
	if a.release, err = takeLock(ctx, a.remote, obs); err != nil {
		fmt.Fprintln(a.stderr, err)
		return false
	}
	defer a.unlock()
	_, err = a.applyOnce(ctx, cs)
	return err == nil
}

// unlock releases the cluster lock if apply took it.
func (a *applier) unlock() {
	if a.release != nil {
		a.release()
		a.release = nil
	}
}

// applyOnce runs one changeset, reports, and returns how many actions were
// done and why it stopped (the error is already printed).
func (a *applier) applyOnce(ctx context.Context, cs *reconciler.Changeset) (int, error) {
	if len(cs.Actions) == 0 {
		return 0, nil
	}
	fmt.Fprintf(a.stdout, "\nApplying %d action(s) to cluster %q:\n", len(cs.Actions), a.decl.Metadata.Name)
	start := time.Now()
	rep, err := reconciler.Apply(ctx, a.remote, cs, reconciler.ApplyOptions{
		Backups: &state.BackupStore{Dir: a.stateDir},
		Settle:  a.settle,
		Events:  progress(a.stdout),
	})
	if err != nil {
		if !errors.Is(err, reconciler.ErrPrecondition) || rep == nil || len(rep.Done) == 0 {
			fmt.Fprintf(a.stderr, "\nApply stopped: %v\n", err)
		}
		if rep == nil {
			return 0, err
		}
		return len(rep.Done), err
	}
	fmt.Fprintf(a.stdout, "\nApplied: %d done, %d already in place, in %s.\n", len(rep.Done), len(rep.Skipped), round(time.Since(start)))
	return len(rep.Done), nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func confirm(stdout io.Writer) bool {
	fmt.Fprint(stdout, "\nDo you want to perform these actions? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
