package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// newFlags returns a flag set that reports errors to stderr and does not exit.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("quorate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// oneFile returns the single cluster file argument.
func oneFile(fs *flag.FlagSet, stderr io.Writer) (string, bool) {
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "%s: expected one cluster YAML file, got %d arguments\n", fs.Name(), fs.NArg())
		return "", false
	}
	return fs.Arg(0), true
}

// load reads and validates a cluster file, printing every problem.
func load(path string, stderr io.Writer) (*api.Cluster, bool) {
	c, err := api.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var errs *api.Errors
		if errors.As(err, &errs) {
			fmt.Fprintf(stderr, "%s: %d problem(s); nothing was contacted.\n", path, len(*errs))
		}
		return nil, false
	}
	return c, true
}

// connect prepares the clients, using the certificate fingerprints learned
// into stateDir (clusters.ConnectOptions.Pins).
func connect(decl *api.Cluster, stateDir string) (*clusters.Remote, error) {
	return clusters.Connect(decl, clusters.ConnectOptions{Pins: &state.PinStore{Dir: stateDir}})
}

// stateDirFlag adds --state-dir with the default every command shares.
func stateDirFlag(fs *flag.FlagSet) *string {
	return fs.String("state-dir", defaultStateDir(), "where the controller keeps its backups and learned certificate fingerprints")
}

// printPinNotes tells the operator which members quorate reaches with a
// learned fingerprint instead of the declared one. They go to stderr so that
// JSON output stays parseable.
func printPinNotes(w io.Writer, remote *clusters.Remote) {
	for _, n := range remote.PinNotes() {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// observe connects and takes one observation.
func observe(ctx context.Context, decl *api.Cluster, stateDir string) (*clusters.Remote, *state.Cluster, error) {
	remote, err := connect(decl, stateDir)
	if err != nil {
		return nil, nil, err
	}
	obs, err := remote.Observe(ctx)
	if err != nil {
		remote.Close()
		return nil, nil, observeError(decl, err)
	}
	return remote, obs, nil
}

// defaultStateDir is where the controller keeps its own records.
func defaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "quorate")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "quorate")
	}
	return ".quorate"
}

// progress prints one line per apply event, with its duration.
func progress(w io.Writer) func(reconciler.Event) {
	return func(e reconciler.Event) {
		prefix := fmt.Sprintf("[%d/%d] %s", e.Action, e.Actions, e.Summary)
		switch e.Phase {
		case "skip":
			fmt.Fprintf(w, "%s: skipped, %s\n", prefix, e.Detail)
		case "check":
			fmt.Fprintf(w, "%s: %s (%s)\n", prefix, e.Detail, round(e.Duration))
		case "step":
			status := "ok"
			if e.Err != nil {
				status = "FAILED"
			}
			fmt.Fprintf(w, "  step %d/%d %s: %s (%s)\n", e.Step, e.Steps, e.Detail, status, round(e.Duration))
		case "verify":
			fmt.Fprintf(w, "  verified: %s (%s)\n", e.Detail, round(e.Duration))
		}
	}
}

func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// observeError wraps a failed observation, saying once that nothing changed.
func observeError(decl *api.Cluster, err error) error {
	if strings.Contains(strings.ToLower(err.Error()), "nothing was changed") {
		return fmt.Errorf("observing cluster %q: %w", decl.Metadata.Name, err)
	}
	return fmt.Errorf("observing cluster %q: %w\nNothing was changed.", decl.Metadata.Name, err)
}
