package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// runPlan observes a cluster and prints what apply would do. With
// --detailed-exitcode it exits 0 when converged, 2 when changes are pending
// (actions or blocked drift) and 1 on error, as Terraform does. Given a
// directory (CI over a GitOps checkout) it plans every cluster file in it:
// exit 1 if any file is invalid or any cluster could not be observed.
func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plan", stderr)
	format := fs.String("o", "text", "output format: text, json or markdown (pull-request comments)")
	stateDir := stateDirFlag(fs)
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when changes are pending, 0 when none")
	out := fs.String("out", "", "save the plan (JSON) to this file for `quorate apply --plan FILE`")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *format != "text" && *format != "json" && *format != "markdown" {
		fmt.Fprintf(stderr, "-o: %q is not an output format; use text, json or markdown\n", *format)
		return exitError
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "plan: expected one cluster YAML file or directory, got %d arguments\n", fs.NArg())
		return exitError
	}
	files, err := clusterFiles(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if st, err := os.Stat(fs.Arg(0)); err == nil && st.IsDir() && *out != "" {
		fmt.Fprintln(stderr, "--out saves one cluster's plan; give a file, not a directory")
		return exitError
	}
	var plans []reconciler.Changeset
	failed := false
	for _, file := range files {
		decl, ok := load(file, stderr)
		if !ok {
			failed = true
			continue
		}
		remote, obs, err := observe(ctx, decl, *stateDir)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
			continue
		}
		lockNote(ctx, remote, obs, stderr)
		remote.Close()
		printPinNotes(stderr, remote)
		cs := reconciler.Plan(decl, obs, time.Now())
		if *out != "" {
			if code := savePlan(*out, &cs, stderr); code != exitOK {
				return code
			}
		}
		plans = append(plans, cs)
	}
	switch *format {
	case "json":
		var v any = plans
		if len(files) == 1 && len(plans) == 1 {
			v = &plans[0]
		}
		if code := writeJSON(stdout, stderr, v); code != exitOK {
			return code
		}
	case "markdown":
		for i := range plans {
			fmt.Fprintln(stdout, plans[i].Markdown())
		}
	default:
		for i := range plans {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprint(stdout, plans[i].Text())
		}
		if *out != "" && len(files) == 1 {
			fmt.Fprintf(stdout, "\nSaved the plan to %s; `quorate apply --plan %s %s` carries out exactly this plan.\n", *out, *out, files[0])
		}
	}
	if failed {
		return exitError
	}
	for i := range plans {
		if *detailed && !plans[i].Converged() {
			return exitChanges
		}
	}
	return exitOK
}

func savePlan(path string, cs *reconciler.Changeset, stderr io.Writer) int {
	b, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if err := state.WriteFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		fmt.Fprintf(stderr, "--out: %v\n", err)
		return exitError
	}
	return exitOK
}

func readPlan(path string) (*reconciler.Changeset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cs reconciler.Changeset
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("%s: not a quorate plan: %w", path, err)
	}
	if cs.FormatVersion != reconciler.FormatVersion {
		return nil, fmt.Errorf("%s: plan format_version %d, this quorate reads %d; run plan again", path, cs.FormatVersion, reconciler.FormatVersion)
	}
	return &cs, nil
}
