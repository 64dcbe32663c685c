// Command quorate keeps Proxmox VE clusters' corosync membership as declared.
//
// Usage: quorate <command> [flags] [args]; `quorate help` lists the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, as Terraform's plan -detailed-exitcode uses them.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"validate", "check cluster YAML files without contacting anything", runValidate},
		{"observe", "show the observed state of a cluster (-o text|json)", runObserve},
		{"plan", "show what apply would change (-o text|json, --detailed-exitcode, --out FILE)", runPlan},
		{"apply", "converge a cluster, one verified step at a time", runApply},
		{"run", "the controller: reconcile every cluster of a directory, continuously (--config FILE)", runRun},
		{"status", "the controller's per-cluster conditions (Ready, Reconciling, Stalled)", runStatus},
		{"sim", "run the simulated cluster: quorate sim serve --scenario NAME --write-config FILE", runSim},
		{"lab", "real corosync under the simulator's Proxmox layer (root): quorate lab serve --write-config FILE [--stale NODE]", runLabCmd},
		{"demo", "start the embedded simulator with a stale node and repair it", runDemo},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "quorate: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "quorate keeps Proxmox VE clusters' corosync membership as declared.")
	fmt.Fprintln(w, "\nUsage: quorate <command> [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `quorate <command> -h` for a command's flags.")
}
