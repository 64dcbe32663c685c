package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

// Issue #3 "Done when": each story as a scenario on the simulator, through the
// CLI, against `quorate sim serve` in another process.

func applyConverges(t *testing.T, cfg string) result {
	t.Helper()
	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if again := quorate(t, "plan", "--detailed-exitcode", cfg); again.code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	return r
}

func observeJSON(t *testing.T, cfg string) state.Cluster {
	t.Helper()
	r := quorate(t, "observe", "-o", "json", cfg)
	if r.code != 0 {
		t.Fatalf("observe: %d %s", r.code, r.stderr)
	}
	var c state.Cluster
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestE2ERemovePoweredOffMember(t *testing.T) {
	cfg := serve(t, "--scenario", "remove-member")
	plan := quorate(t, "plan", "--detailed-exitcode", cfg)
	if plan.code != 2 || !strings.Contains(plan.stdout, "RemoveMember") || !strings.Contains(plan.stdout, "votes:  before: 3 of 4 votes present, quorum 3 (quorate)") {
		t.Fatalf("plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	applyConverges(t, cfg)
	c := observeJSON(t, cfg)
	for _, n := range c.Nodes {
		if strings.Contains(n.ClusterConf.Content, "pve4") {
			t.Errorf("%s still lists pve4", n.Name)
		}
	}
	if c.Shared == nil || strings.Contains(strings.Join(c.Shared.NodeDirs, ","), "pve4") || strings.Contains(c.Shared.AuthorizedKeys.Content, "root@pve4") {
		t.Errorf("pve4 not cleaned up: %+v", c.Shared)
	}
}

func TestE2EOnlineMemberIsRefused(t *testing.T) {
	cfg := serve(t, "--scenario", "remove-online")
	plan := quorate(t, "plan", "--detailed-exitcode", cfg)
	if plan.code != 2 || !strings.Contains(plan.stdout, "never removes an online node") {
		t.Fatalf("plan: exit %d\n%s", plan.code, plan.stdout)
	}
	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 1 || !strings.Contains(r.stdout, "never removes an online node") {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, n := range observeJSON(t, cfg).Nodes {
		if !strings.Contains(n.ClusterConf.Content, "name: pve4") {
			t.Errorf("%s: pve4 was removed", n.Name)
		}
	}
}

func TestE2EMoveRing0(t *testing.T) {
	cfg := serve(t, "--scenario", "move-ring0")
	plan := quorate(t, "plan", cfg)
	if n := len(regexp.MustCompile(`(?m)^\d+\. (AddLink|RemoveLink) link \d`).FindAllString(plan.stdout, -1)); n != 4 {
		t.Fatalf("plan has %d link steps, want 4:\n%s", n, plan.stdout)
	}
	r := applyConverges(t, cfg)
	if strings.Count(r.stdout, "verified:") != 4 {
		t.Errorf("apply verified %d actions, want 4:\n%s", strings.Count(r.stdout, "verified:"), r.stdout)
	}
	for _, n := range observeJSON(t, cfg).Nodes {
		if !n.Quorate() || len(n.Links) != 1 || !strings.HasPrefix(n.Links[0].Addr, "10.30.30.") {
			t.Errorf("%s after the move: quorate %t, links %+v", n.Name, n.Quorate(), n.Links)
		}
	}
}

func TestE2ERedundantLinkAndVotes(t *testing.T) {
	for _, tc := range []struct{ scenario, want string }{
		{"add-link", "AddLink link 1"},
		{"remove-link", "RemoveLink link 1"},
		{"votes", "SetVotes pve1"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			cfg := serve(t, "--scenario", tc.scenario)
			plan := quorate(t, "plan", "-o", "json", "--detailed-exitcode", cfg)
			if plan.code != 2 {
				t.Fatalf("plan: exit %d\n%s", plan.code, plan.stderr)
			}
			var cs struct {
				Actions []struct {
					Kind   string `json:"kind"`
					Target string `json:"target"`
					Votes  *struct {
						Before struct{ Expected, Present, Quorum int }
						After  struct{ Expected, Present, Quorum int }
					} `json:"votes"`
				} `json:"actions"`
			}
			if err := json.Unmarshal([]byte(plan.stdout), &cs); err != nil {
				t.Fatal(err)
			}
			if len(cs.Actions) != 1 || cs.Actions[0].Kind+" "+cs.Actions[0].Target != tc.want || cs.Actions[0].Votes == nil {
				t.Fatalf("plan JSON: %s", plan.stdout)
			}
			applyConverges(t, cfg)
		})
	}
}

func TestE2EJoinMember(t *testing.T) {
	cfg := serve(t, "--scenario", "join-member")
	dir := t.TempDir()
	plan := quorate(t, "plan", "--detailed-exitcode", "--state-dir", dir, cfg)
	if plan.code != 2 || !strings.Contains(plan.stdout, "JoinMember") || !strings.Contains(plan.stdout, "after:  3 of 4 votes present, quorum 3 (quorate)") {
		t.Fatalf("plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	r := quorate(t, "apply", "--auto-approve", "--state-dir", dir, cfg)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The join regenerated pve4's certificate; quorate learned the new
	// fingerprint and uses it, telling the operator to update the YAML.
	again := quorate(t, "plan", "--detailed-exitcode", "--state-dir", dir, cfg)
	if again.code != 0 || !strings.Contains(again.stderr, "pve4") {
		t.Fatalf("plan after the join: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	obs := quorate(t, "observe", "-o", "json", "--state-dir", dir, cfg)
	var c state.Cluster
	if err := json.Unmarshal([]byte(obs.stdout), &c); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		if !n.Quorate() || n.Quorum.Nodes != 4 {
			t.Errorf("%s: quorum %+v; want 4 members", n.Name, n.Quorum)
		}
	}
}

func TestE2EJoinThatWouldCostQuorumIsRefused(t *testing.T) {
	cfg := serve(t, "--scenario", "join-would-lose-quorum")
	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if r.code != 1 || !strings.Contains(r.stdout, "joining now would cost quorum") || !strings.Contains(r.stdout, "2 of 4 votes present, quorum 3 (NOT quorate)") {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestE2EQDeviceStories(t *testing.T) {
	t.Run("two-node cluster gets a qdevice", func(t *testing.T) {
		cfg := serve(t, "--scenario", "qdevice-two-node")
		plan := quorate(t, "plan", "--detailed-exitcode", cfg)
		if plan.code != 2 || !strings.Contains(plan.stdout, "SetupQDevice") || !strings.Contains(plan.stdout, "after:  3 of 3 votes present, quorum 2 (quorate)") {
			t.Fatalf("plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
		}
		applyConverges(t, cfg)
	})
	t.Run("four nodes with a qdevice grow to five with lms", func(t *testing.T) {
		cfg := serve(t, "--scenario", "qdevice-grow")
		dir := t.TempDir()
		r := quorate(t, "apply", "--auto-approve", "--state-dir", dir, cfg)
		if r.code != 0 {
			t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		order := regexp.MustCompile(`(?m)^1\. (RemoveQDevice|JoinMember|SetupQDevice)`).FindAllStringSubmatch(r.stdout, -1)
		var got []string
		for _, m := range order {
			got = append(got, m[1])
		}
		if strings.Join(got, ",") != "RemoveQDevice,JoinMember,SetupQDevice" {
			t.Errorf("rounds %v, want the qdevice removed, the node joined, lms set up\n%s", got, r.stdout)
		}
		if !strings.Contains(r.stdout, "no other node may fail") {
			t.Errorf("the lms risk is not stated:\n%s", r.stdout)
		}
		if again := quorate(t, "plan", "--detailed-exitcode", "--state-dir", dir, cfg); again.code != 0 {
			t.Fatalf("plan after: exit %d\n%s%s", again.code, again.stdout, again.stderr)
		}
	})
}

func TestE2ETemporaryExpectedVotes(t *testing.T) {
	cfg := serve(t, "--scenario", "two-node-degraded")
	r := quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	// pve2 stays down, so the cluster cannot converge; the override is set.
	if r.code != 1 || !strings.Contains(r.stdout, "SetExpectedVotes") || !strings.Contains(r.stdout, "mainboard swap") {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pve1 := func() *state.Node {
		c := observeJSON(t, cfg)
		return c.Node("pve1")
	}
	if n := pve1(); !n.Quorate() || n.Quorum.ExpectedVotes != 1 {
		t.Fatalf("pve1 with the override: %+v", n.Quorum)
	}
	// The declaration's expiry passes (here: moved into the past): the
	// override lapses and pve1 is read-only again, as declared.
	b, _ := os.ReadFile(cfg)
	past := regexp.MustCompile(`expires: .*`).ReplaceAll(b, []byte("expires: 2020-01-01T00:00:00Z"))
	os.WriteFile(cfg, past, 0o600)
	r = quorate(t, "apply", "--auto-approve", "--state-dir", t.TempDir(), cfg)
	if !strings.Contains(r.stdout, "ClearExpectedVotes") {
		t.Fatalf("apply after expiry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := pve1(); n.Quorate() || n.Quorum.ExpectedVotes != 2 {
		t.Fatalf("pve1 after expiry: %+v", n.Quorum)
	}
}

// TestE2EPlanDirectoryMarkdown: CI mode over a GitOps directory — every
// cluster's plan as a pull-request comment, exit 2 while anything is pending.
func TestE2EPlanDirectoryMarkdown(t *testing.T) {
	dir := t.TempDir()
	for name, scenario := range map[string]string{"lab.yaml": "healthy", "prod.yaml": "stale-node"} {
		cfg := serve(t, "--scenario", scenario)
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The written files sit beside the generated YAML; point at them.
		abs := regexp.MustCompile(`(?m)^(\s*(?:secretFile|privateKeyFile|knownHostsFile|file): )(\S+)$`).
			ReplaceAll(b, []byte("${1}"+filepath.Dir(cfg)+"/${2}"))
		if err := os.WriteFile(filepath.Join(dir, name), abs, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := quorate(t, "plan", "-o", "markdown", "--detailed-exitcode", dir)
	if r.code != 2 {
		t.Fatalf("plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"### Cluster `lab`: 0 to change, 0 blocked", "### Cluster `prod`: 1 to change", "| 1 | resync pve14: local corosync.conf v31 → cluster v32 |", "```diff"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, r.stdout)
		}
	}
	if v := quorate(t, "validate", dir); v.code != 0 || strings.Count(v.stdout, "is valid") != 2 {
		t.Errorf("validate DIR: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}
