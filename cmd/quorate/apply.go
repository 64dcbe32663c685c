package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// runApply converges a cluster. Without --plan it observes, plans, shows the
// plan and asks for "yes" (unless --auto-approve); with --plan it carries out
// that saved plan, refusing it if the cluster changed since.
func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("apply", stderr)
	auto := fs.Bool("auto-approve", false, "do not ask for confirmation")
	planFile := fs.String("plan", "", "carry out this saved plan (from `quorate plan --out`)")
	stateDir := fs.String("state-dir", defaultStateDir(), "where the controller keeps its backups")
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
	remote, err := clusters.Connect(decl)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer remote.Close()
	var cs *reconciler.Changeset
	if *planFile != "" {
		if cs, err = readPlan(*planFile); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		if cs.Cluster != decl.Metadata.Name {
			fmt.Fprintf(stderr, "%s is a plan for cluster %q, not %q; nothing was changed\n", *planFile, cs.Cluster, decl.Metadata.Name)
			return exitError
		}
	} else {
		obs, err := remote.Observe(ctx)
		if err != nil {
			fmt.Fprintln(stderr, observeError(decl, err))
			return exitError
		}
		plan := reconciler.Plan(decl, obs, time.Now())
		cs = &plan
		fmt.Fprint(stdout, cs.Text())
		if len(cs.Actions) > 0 && !*auto && !confirm(stdout) {
			fmt.Fprintln(stderr, "Apply cancelled; nothing was changed.")
			return exitError
		}
	}
	return applyChangeset(ctx, decl, remote, cs, *stateDir, *settle, stdout, stderr)
}

// applyChangeset runs cs and reports. Exit 0 only when every action finished
// and nothing is left blocked.
func applyChangeset(ctx context.Context, decl *api.Cluster, remote reconciler.Cluster, cs *reconciler.Changeset,
	stateDir string, settle time.Duration, stdout, stderr io.Writer) int {
	if len(cs.Actions) > 0 {
		fmt.Fprintf(stdout, "\nApplying %d action(s) to cluster %q:\n", len(cs.Actions), decl.Metadata.Name)
	}
	start := time.Now()
	rep, err := reconciler.Apply(ctx, remote, cs, reconciler.ApplyOptions{
		Backups: &state.BackupStore{Dir: stateDir},
		Settle:  settle,
		Events:  progress(stdout),
	})
	if err != nil {
		fmt.Fprintf(stderr, "\nApply stopped: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "\nApply complete: %d done, %d already in place, in %s.\n", len(rep.Done), len(rep.Skipped), round(time.Since(start)))
	if len(cs.Blocked) > 0 {
		fmt.Fprintf(stdout, "%d difference(s) remain that this plan does not change (listed above).\n", len(cs.Blocked))
		return exitError
	}
	return exitOK
}

func confirm(stdout io.Writer) bool {
	fmt.Fprint(stdout, "\nDo you want to perform these actions? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
