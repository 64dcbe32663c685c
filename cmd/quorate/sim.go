package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/state"
)

// runSim dispatches `quorate sim serve`.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: quorate sim serve (--scenario NAME [--name CLUSTER] | --from SNAPSHOT.json) --write-config FILE [--dir DIR] [--base-port N] [--latency D]")
		fmt.Fprintf(stderr, "scenarios: %s\n", strings.Join(sim.ScenarioNames(), ", "))
		return exitError
	}
	fs := newFlags("sim serve", stderr)
	scenario := fs.String("scenario", "", "named scenario: "+strings.Join(sim.ScenarioNames(), ", "))
	from := fs.String("from", "", "start from an observed snapshot (quorate observe -o json)")
	writeConfig := fs.String("write-config", "", "write a cluster YAML pointing at the simulator here (required)")
	dir := fs.String("dir", "", "keep keys, certificates and secrets here (default: beside --write-config); reused across restarts")
	basePort := fs.Int("base-port", 0, "node i listens on API BASE+i and SSH BASE+100+i (0 = random ports)")
	latency := fs.Duration("latency", 0, "added to every API request and SSH command")
	name := fs.String("name", "", "with --scenario healthy: the cluster's name (to run several side by side)")
	lockTimeout := fs.Duration("lock-timeout", 0, "pmxcfs lock expiry (default 120s as on real clusters; shorter to try controller takeover)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	if (*scenario == "") == (*from == "") {
		fmt.Fprintln(stderr, "sim serve: give exactly one of --scenario NAME or --from SNAPSHOT.json")
		fmt.Fprintf(stderr, "scenarios: %s\n", strings.Join(sim.ScenarioNames(), ", "))
		return exitError
	}
	if *writeConfig == "" {
		fmt.Fprintln(stderr, "sim serve: --write-config FILE is required (the cluster YAML that plan and apply use)")
		return exitError
	}
	if *name != "" && *scenario != "healthy" {
		fmt.Fprintln(stderr, "sim serve: --name works with --scenario healthy only")
		return exitError
	}
	m, err := buildModel(*scenario, *from, *name)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if *lockTimeout < 0 {
		fmt.Fprintln(stderr, "sim serve: --lock-timeout must not be negative")
		return exitError
	}
	m.LockTimeout = *lockTimeout
	if *dir == "" {
		*dir = dirOf(*writeConfig)
	}
	srv, err := startSim(m, simnet.Options{Dir: *dir, BasePort: *basePort, Latency: *latency}, *writeConfig)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "Simulated cluster %q (%d nodes) serving on 127.0.0.1.\n", m.ClusterName(), len(m.Nodes()))
	for _, n := range m.Nodes() {
		ep := srv.Node(n)
		fmt.Fprintf(stdout, "  %-8s API %s  SSH 127.0.0.1:%d  powered %s\n", n, ep.APIURL, ep.SSHPort, yesNo(m.Powered(n)))
	}
	fmt.Fprintf(stdout, "Wrote %s. Try: quorate plan %s\nStop with Ctrl-C.\n", *writeConfig, *writeConfig)
	<-ctx.Done()
	return exitOK
}

func buildModel(scenario, from, name string) (*sim.Model, error) {
	if name != "" {
		return sim.Healthy(name, 3)
	}
	if scenario != "" {
		return sim.Scenario(scenario)
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	var snap state.Cluster
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("--from %s: not an observation snapshot: %w", from, err)
	}
	if snap.FormatVersion != state.FormatVersion {
		return nil, fmt.Errorf("--from %s: format_version %d, this quorate reads %d", from, snap.FormatVersion, state.FormatVersion)
	}
	return sim.FromSnapshot(snap)
}

// startSim serves m on loopback and writes the cluster YAML for it.
func startSim(m *sim.Model, opts simnet.Options, configPath string) (*simnet.Server, error) {
	srv, err := simnet.Start(m, opts)
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	m.SetFingerprints(srv.Fingerprints())
	if err := srv.WriteConfig(configPath, m.Declaration()); err != nil {
		srv.Close()
		return nil, fmt.Errorf("--write-config: %w", err)
	}
	return srv, nil
}

func dirOf(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[:i]
	}
	return "."
}
