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
// (actions or blocked drift) and 1 on error, as Terraform does.
func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plan", stderr)
	format := fs.String("o", "text", "output format: text or json")
	stateDir := stateDirFlag(fs)
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when changes are pending, 0 when none")
	out := fs.String("out", "", "save the plan (JSON) to this file for `quorate apply --plan FILE`")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	file, decl, obs, ok := loadAndObserve(ctx, fs, *format, *stateDir, stderr)
	if !ok {
		return exitError
	}
	cs := reconciler.Plan(decl, obs, time.Now())
	if *out != "" {
		if code := savePlan(*out, &cs, stderr); code != exitOK {
			return code
		}
	}
	if *format == "json" {
		if code := writeJSON(stdout, stderr, &cs); code != exitOK {
			return code
		}
	} else {
		fmt.Fprint(stdout, cs.Text())
		if *out != "" {
			fmt.Fprintf(stdout, "\nSaved the plan to %s; `quorate apply --plan %s %s` carries out exactly this plan.\n", *out, *out, file)
		}
	}
	if *detailed && !cs.Converged() {
		return exitChanges
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
