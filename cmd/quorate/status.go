package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state/status"
)

// runStatus prints the controller's per-cluster conditions, from its state
// directory (works while the controller is down) or from its /status
// endpoint (--url).
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("status", stderr)
	config := fs.String("config", "", "read the state directory named in this controller configuration")
	stateDir := stateDirFlag(fs)
	url := fs.String("url", "", "ask a running controller instead, e.g. http://127.0.0.1:9464")
	output := fs.String("o", "table", "output: table or json")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintf(stderr, "quorate status: -o %q: use table or json\n", *output)
		return exitError
	}
	var sts []status.ClusterStatus
	switch {
	case *url != "":
		var err error
		if sts, err = fetchStatus(ctx, *url); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
	default:
		dir := *stateDir
		if *config != "" {
			cfg, err := api.LoadController(*config)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError
			}
			dir = cfg.Spec.StateDir
		}
		var err error
		sts, err = (&status.Store{Dir: dir}).ReadAll()
		if err != nil {
			// The readable files still come back: show them, name the rest.
			fmt.Fprintf(stderr, "warning: %v\n", err)
			if len(sts) == 0 {
				return exitError
			}
		}
		if len(sts) == 0 {
			fmt.Fprintf(stderr, "no cluster status in %s: has `quorate run` run with this state directory?\n", dir)
			return exitError
		}
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(sts)
		return exitOK
	}
	status.Table(stdout, sts, time.Now())
	return exitOK
}

func fetchStatus(ctx context.Context, url string) ([]status.ClusterStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the controller: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the controller answered %s", resp.Status)
	}
	var sts []status.ClusterStatus
	if err := json.NewDecoder(resp.Body).Decode(&sts); err != nil {
		return nil, fmt.Errorf("the controller's /status: %w", err)
	}
	return sts, nil
}
