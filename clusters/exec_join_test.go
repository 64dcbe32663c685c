package clusters_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// Tests for StepJoin and StepLearnFingerprint (exec_join.go, pins.go) and the
// joiner facts of an observation (observe_joiner.go), on the simulator's
// "join-member" scenario: lab pve1..pve3 running, pve4 a standalone machine
// the declaration adds (reference §2.9, §3.2).

const (
	testPassword = "s3cret-Root-pw"
	passwordEnv  = "QUORATE_TEST_ROOT_PASSWORD"
)

// simFingerprint is the certificate fingerprint node reports for itself
// (GET /nodes, ssl_fingerprint).
func simFingerprint(t *testing.T, m *sim.Model, node string) string {
	t.Helper()
	code, body := m.API(node, http.MethodGet, "/nodes", nil)
	if code != http.StatusOK {
		t.Fatalf("%s: GET /nodes: %d %s", node, code, body)
	}
	var env struct {
		Data []struct {
			Node string `json:"node"`
			FP   string `json:"ssl_fingerprint"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	for _, n := range env.Data {
		if n.Node == node {
			return n.FP
		}
	}
	t.Fatalf("%s does not list itself in GET /nodes", node)
	return ""
}

// joinSetup is the join-member scenario with every member's fingerprint
// declared and pinned as the sim reports it now, root@pam's password in the
// environment, and pins kept in store (nil: none).
func joinSetup(t *testing.T, store *state.PinStore) (*sim.Model, *api.Cluster, *clusters.Remote, *memRunner) {
	t.Helper()
	m, err := sim.Scenario("join-member")
	if err != nil {
		t.Fatal(err)
	}
	m.SetRootPassword(testPassword)
	t.Setenv(passwordEnv, testPassword)
	decl, _, runner := inMemory(t, m)
	decl.Spec.Access.RootPassword = &api.SecretRef{Env: passwordEnv}
	apis := map[string]clusters.NodeAPI{}
	for i := range decl.Spec.Members {
		mem := &decl.Spec.Members[i]
		mem.Management.Fingerprint = simFingerprint(t, m, mem.Name)
		apis[mem.Name] = memAPI{m: m, node: mem.Name, pin: mem.Management.Fingerprint}
	}
	return m, decl, clusters.NewRemoteWithPins(decl, runner, apis, store), runner
}

// joinStep is the step the planner makes for pve4: pvecm add through pve1's
// host address, pinning pve1's certificate.
func joinStep(t *testing.T, decl *api.Cluster, obs *state.Cluster) reconciler.Step {
	t.Helper()
	peer := ""
	for _, n := range obs.Node("pve1").PVE.Nodes {
		if n.Name == "pve1" {
			peer = n.IP
		}
	}
	if peer == "" {
		t.Fatal("pve1 reports no host address")
	}
	return reconciler.Step{Kind: reconciler.StepJoin, Node: "pve4", Peer: peer,
		Fingerprint: decl.Member("pve1").Management.Fingerprint, NodeID: 4, Votes: 1,
		Links: []reconciler.LinkAddress{{Link: 0, Address: "10.10.10.4"}}}
}

// TestJoinHappyPath: observe the joiner's facts, join it with pvecm add,
// learn its regenerated certificate (reference §1.1) and observe the
// cluster with the new pin; the pin is recorded for the next run.
func TestJoinHappyPath(t *testing.T) {
	store := &state.PinStore{Dir: t.TempDir()}
	m, decl, remote, runner := joinSetup(t, store)
	ctx := context.Background()
	obs, err := remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := obs.Node("pve4").Joiner
	if j == nil || j.Error != "" || j.Authkey || len(j.Guests) != 0 || !contains(j.Interfaces, "10.10.10.4") {
		t.Fatalf("pve4 joiner facts: %+v", j)
	}
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		if obs.Node(n).Joiner != nil {
			t.Errorf("%s is in corosync.conf but has joiner facts", n)
		}
	}
	oldFP := decl.Member("pve4").Management.Fingerprint

	step := joinStep(t, decl, obs)
	if err := remote.Exec(ctx, step); err != nil {
		t.Fatal(err)
	}
	if stdin, _ := runner.stdinOf("pvecm add"); string(stdin) != testPassword+"\n" {
		t.Errorf("pvecm add's stdin is %q, want the password and a newline", stdin)
	}
	newFP := simFingerprint(t, m, "pve4")
	if strings.EqualFold(newFP, oldFP) {
		t.Fatal("the simulator did not regenerate pve4's certificate on join; the test cannot tell pins apart")
	}
	// The old pin now fails, as a real TLS handshake would.
	if _, err := remote.Observe(ctx); err == nil || !strings.Contains(err.Error(), "does not match the pinned") {
		t.Fatalf("observation with pve4's pre-join pin: err = %v, want a fingerprint mismatch", err)
	}

	learn := reconciler.Step{Kind: reconciler.StepLearnFingerprint, Node: "pve1", Target: "pve4"}
	if err := remote.Exec(ctx, learn); err != nil {
		t.Fatal(err)
	}
	after, err := remote.Observe(ctx)
	if err != nil {
		t.Fatalf("observation after learning: %v", err)
	}
	if n := after.Node("pve4"); !n.API.OK || n.Joiner != nil {
		t.Errorf("pve4 after the join: api %+v, joiner %+v", n.API, n.Joiner)
	}
	p, ok := store.Lookup(decl.Metadata.Name, "pve4")
	if !ok || !strings.EqualFold(p.Current, newFP) || p.Previous != oldFP || p.Source != "pve1" {
		t.Errorf("recorded pin %+v (%t), want %s replacing %s from pve1", p, ok, newFP, oldFP)
	}
	notes := remote.PinNotes()
	if len(notes) != 1 || !strings.Contains(notes[0], "pve4's certificate was regenerated") ||
		!strings.Contains(notes[0], "spec.members[3].management.fingerprint") || !strings.Contains(strings.ToUpper(notes[0]), strings.ToUpper(newFP)) {
		t.Errorf("PinNotes = %q", notes)
	}
	// Learning again is a no-op that keeps the pin.
	if err := remote.Exec(ctx, learn); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestJoinFailedOutputIsAnError: pvecm add exits 0 after a failed join
// (reference §3, §11.4); the executor reads the output and reports Proxmox's
// reason, with the password scrubbed.
func TestJoinFailedOutputIsAnError(t *testing.T) {
	tests := []struct {
		name           string
		stdout, stderr string
		want           []string
	}{
		{name: "join check (assert_joinable, §2.9 step 1)",
			stdout: "detected the following error(s):\n* authentication key '/etc/corosync/authkey' already exists\n* this host already contains virtual guests\n",
			stderr: "Check if node may join a cluster failed!\n",
			want:   []string{"authkey' already exists", "already contains virtual guests", "join check refused", "nothing was changed"}},
		{name: "peer fingerprint not verified (§2.9 step 3)",
			stdout: "Establishing API connection with host '192.0.2.1'\n",
			stderr: "fingerprint 'AA:BB' not verified, abort!\n",
			want:   []string{"not verified, abort!", "pvenode cert info", "spec.members[0].management.fingerprint"}},
		{name: "wrong root password",
			stdout: "Establishing API connection with host '192.0.2.1'\n",
			stderr: "401 authentication failure\n",
			want:   []string{"authentication failure", "spec.access.rootPassword"}},
		{name: "the cluster refuses the node (§2.9 step 5)",
			stdout: "Establishing API connection with host '192.0.2.1'\nLogin succeeded.\nRequest addition of this node\n",
			stderr: "An error occurred on the cluster node: invalid corosync.conf\n! corosync: address '10.10.10.2' already used on link ring0_addr by node 'pve2'\nCluster join aborted!\n",
			want:   []string{"An error occurred on the cluster node", "already used on link", "Cluster join aborted!"}},
		{name: "output echoing the password",
			stderr: "unexpected input '" + testPassword + "'\n",
			want:   []string{"unexpected input '<password>'", "may or may not be in the cluster"}},
		{name: "no output at all", want: []string{"(no output)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, decl, remote, runner := joinSetup(t, nil)
			decl.Member("pve1").Management.Host = "192.0.2.1"
			runner.reply = func(node, cmd string) (sshrun.Result, bool) {
				if strings.HasPrefix(cmd, "pvecm add ") {
					return sshrun.Result{Stdout: []byte(tt.stdout), Stderr: []byte(tt.stderr), Code: 0}, true
				}
				return sshrun.Result{}, false
			}
			step := reconciler.Step{Kind: reconciler.StepJoin, Node: "pve4", Peer: "192.0.2.1",
				Fingerprint: decl.Member("pve1").Management.Fingerprint, NodeID: 4, Votes: 1,
				Links: []reconciler.LinkAddress{{Link: 0, Address: "10.10.10.4"}}}
			err := remote.Exec(context.Background(), step)
			var se *clusters.StepError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want a *StepError", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// TestJoinPasswordOnlyOnStdin: the command line carries everything but the
// password (canonical upper-case fingerprint, quoted words); the password
// goes on stdin with one newline (pvecm reads one line, reference §3.2).
func TestJoinPasswordOnlyOnStdin(t *testing.T) {
	_, decl, remote, runner := joinSetup(t, nil)
	runner.reply = func(node, cmd string) (sshrun.Result, bool) {
		if strings.HasPrefix(cmd, "pvecm add ") {
			return sshrun.Result{Stdout: []byte("successfully added node 'pve4' to cluster.\n")}, true
		}
		return sshrun.Result{}, false
	}
	fp := decl.Member("pve1").Management.Fingerprint
	step := reconciler.Step{Kind: reconciler.StepJoin, Node: "pve4", Peer: "10.10.10.1",
		Fingerprint: strings.ToLower(fp), NodeID: 4, Votes: 2,
		Links: []reconciler.LinkAddress{{Link: 1, Address: "10.20.20.4"}, {Link: 0, Address: "10.10.10.4"}}}
	mark := runner.mark()
	if err := remote.Exec(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	log := runner.since(mark)
	want := "pve4: pvecm add '10.10.10.1' --fingerprint '" + strings.ToUpper(fp) + "' --nodeid 4 --votes 2 --link0 '10.10.10.4' --link1 '10.20.20.4'"
	if len(log) != 1 || log[0] != want {
		t.Fatalf("commands:\n%s\nwant:\n%s", strings.Join(log, "\n"), want)
	}
	if stdin, _ := runner.stdinOf("pvecm add"); string(stdin) != testPassword+"\n" {
		t.Errorf("stdin %q", stdin)
	}
	for _, l := range log {
		if strings.Contains(l, testPassword) {
			t.Errorf("a command line holds the password: %s", l)
		}
	}
}

// TestJoinRefusesDamagedStepsWithoutRunning: every field is checked before
// anything reaches the node, and password problems are reported without
// the password.
func TestJoinRefusesDamagedStepsWithoutRunning(t *testing.T) {
	good := func(decl *api.Cluster) reconciler.Step {
		return reconciler.Step{Kind: reconciler.StepJoin, Node: "pve4", Peer: "10.10.10.1",
			Fingerprint: decl.Member("pve1").Management.Fingerprint, NodeID: 4, Votes: 1,
			Links: []reconciler.LinkAddress{{Link: 0, Address: "10.10.10.4"}}}
	}
	tests := []struct {
		name   string
		edit   func(*reconciler.Step)
		setPW  string // "" keeps the test password
		noPW   bool
		errHas string
	}{
		{name: "undeclared node", edit: func(s *reconciler.Step) { s.Node = "pve9" }, errHas: "not a declared member"},
		{name: "peer with shell syntax", edit: func(s *reconciler.Step) { s.Peer = "pve1;reboot" }, errHas: "neither an IP address nor a node name"},
		{name: "peer is the joiner", edit: func(s *reconciler.Step) { s.Peer = "pve4" }, errHas: "cannot join through itself"},
		{name: "peer with IPv6 zone", edit: func(s *reconciler.Step) { s.Peer = "fe80::1%eth0" }, errHas: "zone"},
		{name: "short fingerprint", edit: func(s *reconciler.Step) { s.Fingerprint = "AA:BB:CC" }, errHas: "not 32 colon-separated hex bytes"},
		{name: "fingerprint with trailing option", edit: func(s *reconciler.Step) { s.Fingerprint += " --force" }, errHas: "not 32 colon-separated hex bytes"},
		{name: "nodeid 0", edit: func(s *reconciler.Step) { s.NodeID = 0 }, errHas: "nodeid 0 is outside 1..65535"},
		{name: "nodeid too large", edit: func(s *reconciler.Step) { s.NodeID = 65536 }, errHas: "outside 1..65535"},
		{name: "votes 0", edit: func(s *reconciler.Step) { s.Votes = 0 }, errHas: "votes 0 is outside 1..255"},
		{name: "votes 256", edit: func(s *reconciler.Step) { s.Votes = 256 }, errHas: "outside 1..255"},
		{name: "no links", edit: func(s *reconciler.Step) { s.Links = nil }, errHas: "no link addresses"},
		{name: "link 8", edit: func(s *reconciler.Step) { s.Links[0].Link = 8 }, errHas: "link 8 is outside 0..7"},
		{name: "link given twice", edit: func(s *reconciler.Step) {
			s.Links = append(s.Links, reconciler.LinkAddress{Link: 0, Address: "10.10.10.5"})
		}, errHas: "given twice"},
		{name: "link address a host name", edit: func(s *reconciler.Step) { s.Links[0].Address = "pve4.lab" }, errHas: "is not an IP address"},
		{name: "link address with command", edit: func(s *reconciler.Step) { s.Links[0].Address = "10.10.10.4 --force 1" }, errHas: "is not an IP address"},
		{name: "root password not configured", noPW: true, errHas: "spec.access.rootPassword: not set"},
		{name: "root password with a line break", setPW: "first\nsecond", errHas: "contains a line break"},
		{name: "root password too long", setPW: strings.Repeat("p", 129), errHas: "at most 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, decl, remote, runner := joinSetup(t, nil)
			if tt.noPW {
				decl.Spec.Access.RootPassword = nil
			}
			if tt.setPW != "" {
				t.Setenv(passwordEnv, tt.setPW)
			}
			s := good(decl)
			if tt.edit != nil {
				tt.edit(&s)
			}
			calls := runner.calls
			err := remote.Exec(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %q", err, tt.errHas)
			}
			if runner.calls != calls {
				t.Errorf("%d command(s) reached a node", runner.calls-calls)
			}
			for _, pw := range []string{testPassword, tt.setPW} {
				if pw != "" && strings.Contains(err.Error(), pw) {
					t.Errorf("the error shows the password: %v", err)
				}
			}
		})
	}
}
