package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quorate/quorate/state"
)

// These tests drive the built binary against `quorate sim serve` running in
// another process, over real HTTPS and SSH on 127.0.0.1, exactly as an
// operator would against a real cluster (issue #2 "Done when").

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quorate-e2e-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "quorate")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// stateHomes gives each test its own XDG_STATE_HOME, so the binary's default
// state directory (backups, learned pins) is per test and never the user's.
var stateHomes sync.Map

func stateHome(t *testing.T) string {
	t.Helper()
	if d, ok := stateHomes.Load(t.Name()); ok {
		return d.(string)
	}
	d := t.TempDir()
	stateHomes.Store(t.Name(), d)
	return d
}

func quorate(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+stateHome(t))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running quorate %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// serve starts `quorate sim serve` and returns the cluster YAML it wrote. The
// server is stopped (by its PID) when the test ends.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cluster.yaml")
	cmd := exec.Command(binPath, append([]string{"sim", "serve", "--write-config", cfg}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Wrote ") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("sim serve exited: %s", errb.String())
		}
	case <-time.After(60 * time.Second): // a safety bound, not a timing assertion
		t.Fatalf("sim serve did not become ready: %s", errb.String())
	}
	return cfg
}

func TestE2EStaleNodeRepair(t *testing.T) {
	cfg := serve(t, "--scenario", "stale-node")
	plan := quorate(t, "plan", "--detailed-exitcode", cfg)
	if plan.code != 2 {
		t.Fatalf("plan exit %d, want 2\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	for _, want := range []string{"resync pve14: local corosync.conf v31 → cluster v32", "+    name: pve15", "-  config_version: 31", "+  config_version: 32"} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan.stdout)
		}
	}
	apply := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if apply.code != 0 {
		t.Fatalf("apply exit %d\n%s%s", apply.code, apply.stdout, apply.stderr)
	}
	if n := regexp.MustCompile(`(?m)^  step \d/6 .*: ok \(`).FindAllString(apply.stdout, -1); len(n) != 6 {
		t.Errorf("apply printed %d step lines with durations, want 6:\n%s", len(n), apply.stdout)
	}
	again := quorate(t, "plan", "--detailed-exitcode", cfg)
	if again.code != 0 {
		t.Fatalf("second plan exit %d, want 0\n%s%s", again.code, again.stdout, again.stderr)
	}
	obs := quorate(t, "observe", "-o", "json", cfg)
	if obs.code != 0 {
		t.Fatalf("observe exit %d: %s", obs.code, obs.stderr)
	}
	var c state.Cluster
	if err := json.Unmarshal([]byte(obs.stdout), &c); err != nil {
		t.Fatal(err)
	}
	if c.FormatVersion != state.FormatVersion || len(c.Nodes) != 5 {
		t.Fatalf("snapshot format %d with %d nodes", c.FormatVersion, len(c.Nodes))
	}
	for _, n := range c.Nodes {
		if n.RuntimeVersion == nil || *n.RuntimeVersion != 32 || n.LocalConf.Version != 32 || !n.Quorate() || n.Quorum.Nodes != 5 {
			t.Errorf("%s: runtime %v, local v%d, quorum %+v; want v32 in a 5-node quorate membership", n.Name, n.RuntimeVersion, n.LocalConf.Version, n.Quorum)
		}
	}
}

func TestE2ESavedPlanIsRefusedOnceStale(t *testing.T) {
	cfg := serve(t, "--scenario", "stale-node")
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if r := quorate(t, "plan", "--out", planFile, cfg); r.code != 0 {
		t.Fatalf("plan: %d %s", r.code, r.stderr)
	}
	if r := quorate(t, "apply", "--plan", planFile, "--state-dir", t.TempDir(), cfg); r.code != 0 {
		t.Fatalf("apply of a fresh saved plan: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := quorate(t, "apply", "--plan", planFile, "--state-dir", t.TempDir(), cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "saved plan is stale") {
		t.Fatalf("re-applying an old plan: exit %d, stderr %q; want 1 and a stale-plan refusal", r.code, r.stderr)
	}
}

func TestE2EInvalidYAMLContactsNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	// Unknown field, duplicate nodeid, bad address, missing link address.
	os.WriteFile(bad, []byte(`apiVersion: quorate.dev/v1alpha1
kind: Cluster
metadata:
  name: lab
spec:
  access:
    api:
      token: {id: "root@pam!quorate", secretFile: token.secret}
    ssh: {privateKeyFile: id_ed25519, knownHostsFile: known_hosts}
  links:
    - number: 0
    - number: 1
  members:
    - name: pve1
      nodeid: 1
      colour: blue
      addresses: [{link: 0, address: 10.10.10.1}, {link: 1, address: 10.20.20.1}]
      management: {host: 127.0.0.1, fingerprint: "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"}
    - name: pve2
      nodeid: 1
      addresses: [{link: 0, address: 10.10.10.300}]
      management: {host: 127.0.0.2, fingerprint: "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"}
`), 0o644)
	for _, cmd := range [][]string{{"validate", bad}, {"plan", bad}, {"apply", "--auto-approve", bad}} {
		r := quorate(t, cmd...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", cmd, r.code)
		}
		for _, want := range []string{"bad.yaml:16: spec.members[0].colour", "bad.yaml:20: spec.members[1].nodeid", "10.10.10.300", "link 1"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", cmd, want, r.stderr)
			}
		}
	}
}
