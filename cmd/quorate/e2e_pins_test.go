package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

// TestE2ELearnedPinsAreUsedAndReported: a member whose declared fingerprint
// is the one a learned pin replaced (its join regenerated the certificate,
// reference §1.1) is reached with the learned fingerprint by observe and plan
// given the same --state-dir, and each says so on stderr; without the pins
// the stale declaration stops the run.
func TestE2ELearnedPinsAreUsedAndReported(t *testing.T) {
	cfg := serve(t, "--scenario", "healthy")
	orig, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fps := regexp.MustCompile(`fingerprint: ([0-9A-F:]{95})`).FindAllSubmatch(orig, -1)
	if len(fps) < 2 {
		t.Fatalf("found %d fingerprints in %s", len(fps), cfg)
	}
	current := string(fps[1][1]) // pve2
	stale := strings.Repeat("AB:", 31) + "CD"
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(orig), current, stale, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	store := &state.PinStore{Dir: stateDir}
	if err := store.Record("lab", "pve2", state.Pin{Previous: stale, Current: current, Source: "pve1"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"observe"}, {"observe", "-o", "json"}, {"plan"}} {
		r := quorate(t, append(args, "--state-dir", stateDir, cfg)...)
		if r.code != 0 {
			t.Fatalf("%v with learned pins: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"note: pve2's certificate was regenerated", current, "spec.members[1].management.fingerprint"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
		if strings.Contains(r.stdout, "note: ") {
			t.Errorf("%v: the note went to stdout", args)
		}
	}
	if r := quorate(t, "observe", "--state-dir", t.TempDir(), cfg); r.code != 1 || !strings.Contains(r.stderr, stale) {
		t.Fatalf("observe without the pins: exit %d, want 1 with a fingerprint error\n%s", r.code, r.stderr)
	}
}
