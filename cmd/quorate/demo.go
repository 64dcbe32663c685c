package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/reconciler"
)

// runDemo starts the embedded simulator with the stale-node story (pve14 was
// off while pve15 joined; its corosync now exits with the CMAP refusal), then
// runs observe → plan → apply → plan over real HTTPS and SSH on loopback. It
// exits 0 only when the final plan is empty.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	scenario := fs.String("scenario", "stale-node", "scenario to repair")
	keep := fs.Bool("keep", false, "keep the simulator's directory (cluster YAML, keys) afterwards")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitError
	}
	dir, err := os.MkdirTemp("", "quorate-demo-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if *keep {
		fmt.Fprintf(stdout, "Keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	m, err := sim.Scenario(*scenario)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	cfg := filepath.Join(dir, "cluster.yaml")
	srv, err := startSim(m, simnet.Options{Dir: dir}, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "Started simulated cluster %q (%d nodes, scenario %s) on 127.0.0.1; declaration: %s\n",
		m.ClusterName(), len(m.Nodes()), *scenario, cfg)

	decl, ok := load(cfg, stderr)
	if !ok {
		return exitError
	}
	remote, err := connect(decl, filepath.Join(dir, "state"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer remote.Close()
	defer printPinNotes(stdout, remote)

	heading(stdout, "1. observe")
	obs, err := remote.Observe(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	writeObservation(stdout, obs)

	heading(stdout, "2. plan and 3. apply")
	a := applier{decl: decl, remote: remote, stateDir: filepath.Join(dir, "state"), settle: 30 * time.Second, stdout: stdout, stderr: stderr}
	if code := a.rounds(ctx, func() bool { return true }); code != exitOK {
		return code
	}

	heading(stdout, "4. plan again")
	obs, err = remote.Observe(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	after := reconciler.Plan(decl, obs, time.Now())
	fmt.Fprint(stdout, after.Text())
	writeObservation(stdout, obs)
	if !after.Converged() {
		fmt.Fprintln(stderr, "demo: the cluster did not converge")
		return exitError
	}
	fmt.Fprintln(stdout, "\nConverged: every node is in the membership at the cluster's config_version.")
	return exitOK
}

func heading(w io.Writer, s string) { fmt.Fprintf(w, "\n=== %s ===\n", s) }
