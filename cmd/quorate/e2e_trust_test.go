package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A changed TLS fingerprint or SSH host key stops the run with a clear error
// and changes nothing (issue #2 "Done when"). Each test breaks trust in one
// node, runs apply, checks the refusal, restores the file and checks that the
// plan is still the one from before: nothing was changed on the cluster.

func TestE2EChangedFingerprintStopsTheRun(t *testing.T) {
	cfg := serve(t, "--scenario", "stale-node")
	orig, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fps := regexp.MustCompile(`fingerprint: ([0-9A-F:]{95})`).FindAllSubmatch(orig, -1)
	if len(fps) != 5 {
		t.Fatalf("found %d fingerprints in %s", len(fps), cfg)
	}
	pinned := string(fps[1][1]) // pve12
	wrong := strings.Repeat("AB:", 31) + "CD"
	os.WriteFile(cfg, []byte(strings.Replace(string(orig), pinned, wrong, 1)), 0o600)

	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 1 {
		t.Fatalf("apply with a wrong pin: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"pve12", pinned, wrong, "nothing was changed"} {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(want)) {
			t.Errorf("error lacks %q:\n%s", want, r.stderr)
		}
	}
	os.WriteFile(cfg, orig, 0o600)
	assertStillStale(t, cfg)
}

func TestE2EChangedHostKeyStopsTheRun(t *testing.T) {
	cfg := serve(t, "--scenario", "stale-node")
	kh := filepath.Join(filepath.Dir(cfg), "known_hosts")
	orig, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	// Replace pve13's key with another ed25519 key: what a reinstalled node
	// (or a machine in the middle) would present.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ssh.NewPublicKey(pub)
	lines := strings.Split(string(orig), "\n")
	replaced := false
	for i, l := range lines {
		if i > 0 && strings.TrimSpace(lines[i-1]) == "# pve13" && strings.Contains(l, "ssh-ed25519") {
			lines[i] = strings.Fields(l)[0] + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other)))
			replaced = true
		}
	}
	if !replaced {
		t.Fatalf("no pve13 line in %s:\n%s", kh, orig)
	}
	os.WriteFile(kh, []byte(strings.Join(lines, "\n")), 0o600)

	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 1 {
		t.Fatalf("apply with a changed host key: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"pve13", "host key mismatch", ssh.FingerprintSHA256(other), "nothing was changed"} {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(want)) {
			t.Errorf("error lacks %q:\n%s", want, r.stderr)
		}
	}
	os.WriteFile(kh, orig, 0o600)
	assertStillStale(t, cfg)
}

// assertStillStale checks that the stale-node repair is still pending.
func assertStillStale(t *testing.T, cfg string) {
	t.Helper()
	r := quorate(t, "plan", "--detailed-exitcode", cfg)
	if r.code != 2 || !strings.Contains(r.stdout, "resync pve14: local corosync.conf v31 → cluster v32") {
		t.Fatalf("after the refused run the plan changed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestE2ESnapshotRehearsal: an observation saved as JSON starts a simulator
// that plans the same repair (quorate sim serve --from).
func TestE2ESnapshotRehearsal(t *testing.T) {
	cfg := serve(t, "--scenario", "stale-node")
	obs := quorate(t, "observe", "-o", "json", cfg)
	if obs.code != 0 {
		t.Fatalf("observe: %d %s", obs.code, obs.stderr)
	}
	snap := filepath.Join(t.TempDir(), "snap.json")
	os.WriteFile(snap, []byte(obs.stdout), 0o600)
	copyCfg := serve(t, "--from", snap)
	plan := quorate(t, "plan", "--detailed-exitcode", copyCfg)
	if plan.code != 2 || !strings.Contains(plan.stdout, "resync pve14: local corosync.conf v31 → cluster v32") {
		t.Fatalf("rehearsal plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	if r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), copyCfg); r.code != 0 {
		t.Fatalf("rehearsal apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The original cluster is untouched by the rehearsal.
	assertStillStale(t, cfg)
}
