package clusters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters/sim"
)

// RunOn reaches the named member at its declared SSH address, passes stdin,
// and refuses a name that is not declared without running anything.
func TestRunOn(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	_, remote, runner := inMemory(t, m)
	ctx := context.Background()
	tests := []struct {
		name, node, cmd, stdin string
		wantOut, wantErr       string
	}{
		{name: "routed by name", node: "pve2", cmd: "hostname", wantOut: "pve2\n"},
		{name: "another member", node: "pve3", cmd: "hostname", wantOut: "pve3\n"},
		{name: "stdin", node: "pve1", cmd: "cat", stdin: "owner\n", wantOut: "owner\n"},
		{name: "unknown member", node: "pve9", cmd: "hostname",
			wantErr: `cluster "lab": "pve9" is not a declared member (spec.members: pve1, pve2, pve3); nothing was run`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := runner.mark()
			res, err := remote.RunOn(ctx, tt.node, tt.cmd, []byte(tt.stdin))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if got := runner.since(mark); len(got) != 0 {
					t.Errorf("ran %q for an unknown member", got)
				}
				return
			}
			if err != nil || string(res.Stdout) != tt.wantOut || res.Code != 0 {
				t.Fatalf("RunOn: %q code %d err %v, want %q", res.Stdout, res.Code, err, tt.wantOut)
			}
			if got := runner.since(mark); len(got) != 1 || !strings.HasPrefix(got[0], tt.node+": ") {
				t.Errorf("log %q, want one command on %s", got, tt.node)
			}
		})
	}
}
