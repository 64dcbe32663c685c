package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// runObserve prints one observation as a table or as the versioned JSON
// snapshot (state.FormatVersion), which `quorate sim serve --from` reads.
func runObserve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("observe", stderr)
	format := fs.String("o", "text", "output format: text or json")
	stateDir := stateDirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	_, _, obs, ok := loadAndObserve(ctx, fs, *format, *stateDir, stderr)
	if !ok {
		return exitError
	}
	if *format == "json" {
		return writeJSON(stdout, stderr, obs)
	}
	writeObservation(stdout, obs)
	return exitOK
}

// loadAndObserve is the shared start of observe and plan: one cluster file
// argument, a valid output format, the declaration loaded and validated, one
// observation (with learned pins). Pin notes go to stderr. ok is false after
// printing why.
func loadAndObserve(ctx context.Context, fs *flag.FlagSet, format, stateDir string, stderr io.Writer) (string, *api.Cluster, *state.Cluster, bool) {
	file, ok := oneFile(fs, stderr)
	if !ok || !checkFormat(format, stderr) {
		return "", nil, nil, false
	}
	decl, ok := load(file, stderr)
	if !ok {
		return "", nil, nil, false
	}
	remote, obs, err := observe(ctx, decl, stateDir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return "", nil, nil, false
	}
	lockNote(ctx, remote, obs, stderr)
	remote.Close()
	printPinNotes(stderr, remote)
	return file, decl, obs, true
}

func checkFormat(f string, stderr io.Writer) bool {
	if f != "text" && f != "json" {
		fmt.Fprintf(stderr, "-o: %q is not an output format; use text or json\n", f)
		return false
	}
	return true
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	return exitOK
}

// writeObservation renders the per-node table and the notable facts under it.
func writeObservation(w io.Writer, obs *state.Cluster) {
	fmt.Fprintf(w, "Cluster %q observed %s (observation %s)\n\n", obs.Name, obs.ObservedAt.Format("2006-01-02 15:04:05Z"), obs.Fingerprint())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tAPI\tSSH\tCOROSYNC\tPVE-CLUSTER\t/etc/pve\t/etc/corosync\tRUNNING\tQUORATE\tVOTES\tMEMBERS")
	for _, n := range obs.Nodes {
		running, quorate, votes, members := "-", "-", "-", "-"
		if n.RuntimeVersion != nil {
			running = fmt.Sprintf("v%d", *n.RuntimeVersion)
		}
		if q := n.Quorum; q != nil {
			quorate = yesNo(q.Quorate)
			votes = fmt.Sprintf("%d/%d (quorum %d)", q.TotalVotes, q.ExpectedVotes, q.Quorum)
			ids := make([]string, 0, len(q.Members))
			for _, m := range q.Members {
				ids = append(ids, fmt.Sprint(m.NodeID))
			}
			members = strings.Join(ids, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, okText(n.API), okText(n.SSH),
			n.Corosync, n.PVECluster, confText(n.ClusterConf), confText(n.LocalConf), running, quorate, votes, members)
	}
	tw.Flush()
	for _, n := range obs.Nodes {
		if n.CMAPRejection != nil {
			fmt.Fprintf(w, "\n%s: corosync refused to join: %s", n.Name, strings.TrimSpace(n.CMAPRejection.Line))
		}
		if !n.SSH.OK && n.SSH.Error != "" {
			fmt.Fprintf(w, "\n%s: SSH: %s", n.Name, n.SSH.Error)
		}
		if !n.API.OK && n.API.Error != "" {
			fmt.Fprintf(w, "\n%s: API: %s", n.Name, n.API.Error)
		}
	}
	fmt.Fprintln(w)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func okText(r state.Reach) string {
	if r.OK {
		return "ok"
	}
	return "no"
}

func confText(c state.ConfCopy) string {
	if !c.Present {
		return "absent"
	}
	return fmt.Sprintf("v%d", c.Version)
}
