package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/lab"
)

// runLabCmd is `quorate lab serve`: a cluster of real corosync processes (the
// lab, root only) under the simulator's Proxmox layer, served over HTTPS and
// SSH on 127.0.0.1 like `quorate sim serve`, so that observe, plan, apply and
// run can be tried against real corosync by hand.
func runLabCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: quorate lab serve --write-config FILE [--nodes N] [--stale NODE] (as root)")
		return exitError
	}
	fs := newFlags("lab serve", stderr)
	writeConfig := fs.String("write-config", "", "write a cluster YAML pointing at the lab here (required)")
	nodes := fs.Int("nodes", 3, "number of nodes (pve1..pveN)")
	stale := fs.String("stale", "", "once the cluster formed, make this node stale (off while the config_version is bumped, then started: its real corosync exits with the CMAP line)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	if *writeConfig == "" {
		fmt.Fprintln(stderr, "lab serve: --write-config FILE is required")
		return exitError
	}
	if ok, why := lab.Available(); !ok {
		fmt.Fprintf(stderr, "lab serve: the lab cannot run here: %s\n", why)
		return exitError
	}
	l, err := lab.Start(lab.Options{Nodes: *nodes})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer l.Close()
	m := sim.NewCluster(l.ClusterName(), l.Interfaces(), l.Specs(), 3)
	if err := m.SetEngine(l.Engine()); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	for _, n := range m.Nodes() {
		if err := m.PowerOn(n); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
	}
	if *stale != "" {
		if err := m.MakeStale(*stale); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
	}
	srv, err := startSim(m, simnet.Options{Dir: filepath.Join(filepath.Dir(*writeConfig), "lab-keys")}, *writeConfig)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "Lab %s: %d real corosync nodes (network namespaces, %s), Proxmox's layer from the simulator.\n", l.ID, *nodes, l.Addr("pve1"))
	for _, n := range m.Nodes() {
		ep := srv.Node(n)
		fmt.Fprintf(stdout, "  %-6s corosync %s  API %s  SSH 127.0.0.1:%d\n", n, l.Addr(n), ep.APIURL, ep.SSHPort)
	}
	fmt.Fprintf(stdout, "Wrote %s. Try: quorate plan %s\nStop with Ctrl-C (the lab is torn down).\n", *writeConfig, *writeConfig)
	<-ctx.Done()
	return exitOK
}
