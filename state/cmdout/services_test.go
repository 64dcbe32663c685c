package cmdout

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

func TestParseServices(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want []string
		err  string
	}{
		{name: "both active", in: "active\nactive\n", n: 2, want: []string{state.Active, state.Active}},
		{name: "stale node: corosync exited cleanly, pve-cluster up (lab §2')", in: "inactive\nactive\n", n: 2, want: []string{state.Inactive, state.Active}},
		{name: "transitional states as printed", in: "activating\ndeactivating\nreloading\nfailed\nunknown\n", n: 5, want: []string{"activating", "deactivating", "reloading", "failed", "unknown"}},
		{name: "no trailing newline", in: "active\nfailed", n: 2, want: []string{"active", "failed"}},
		{name: "zero units", in: "", n: 0, want: []string{}},
		{name: "too few lines", in: "active\n", n: 2, err: "got 1 states for 2 units"},
		{name: "too many lines", in: "active\nactive\nactive\n", n: 2, err: "got 3 states for 2 units"},
		{name: "error text instead of a state", in: "bash: systemctl: command not found\n", n: 1, err: `line 1: "bash: systemctl: command not found" is not a systemd unit state`},
		{name: "capitalised word", in: "Active\n", n: 1, err: "is not a systemd unit state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServices([]byte(tt.in), tt.n)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, error %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
