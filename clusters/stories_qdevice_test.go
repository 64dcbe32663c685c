package clusters_test

import (
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
)

// pinnedStory is story() with every member's certificate fingerprint declared
// and pinned as the simulator reports it, and root@pam's password set: what
// a join needs.
func pinnedStory(t *testing.T, name string) (*sim.Model, *api.Cluster, *watchedRemote) {
	t.Helper()
	m, err := sim.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	decl, _, runner := inMemory(t, m)
	withRootPassword(t, m, decl)
	apis := map[string]clusters.NodeAPI{}
	for i := range decl.Spec.Members {
		mem := &decl.Spec.Members[i]
		mem.Management.Fingerprint = simFingerprint(t, m, mem.Name)
		apis[mem.Name] = memAPI{m: m, node: mem.Name, pin: mem.Management.Fingerprint}
	}
	return m, decl, &watchedRemote{Remote: clusters.NewRemoteWithPins(decl, runner, apis, nil), t: t}
}

// withRootPassword gives the model and the declaration the same root@pam
// password (through the environment, as an operator would).
func withRootPassword(t *testing.T, m *sim.Model, decl *api.Cluster) {
	t.Helper()
	m.SetRootPassword(testPassword)
	t.Setenv(passwordEnv, testPassword)
	decl.Spec.Access.RootPassword = &api.SecretRef{Env: passwordEnv}
}

// Issue #3 qdevice stories on the simulator (reference §3.9, §3.10, §7.4).

func TestStoryTwoNodeGetsQDevice(t *testing.T) {
	m, decl, remote := story(t, "qdevice-two-node")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "SetupQDevice qdevice" {
		t.Fatalf("actions: %s", got)
	}
	a := plans[0].Actions[0]
	if a.Votes.After.Expected != 3 || a.Votes.After.Quorum != 2 {
		t.Errorf("vote arithmetic after setup: %s", a.Votes.After)
	}
	// The point of it: one node down, the survivor stays quorate (lab §4).
	m.PowerOff("pve2")
	obs, err := remote.Observe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !obs.Node("pve1").Quorate() {
		t.Errorf("pve1 lost quorum with the qdevice: %+v", obs.Node("pve1").Quorum)
	}
}

func TestStoryGrowWithQDeviceLMS(t *testing.T) {
	_, decl, remote := pinnedStory(t, "qdevice-grow")
	plans := converge(t, decl, remote)
	got := strings.Join(kinds(plans), "; ")
	if got != "RemoveQDevice qdevice; JoinMember pve5; SetupQDevice qdevice" {
		t.Fatalf("actions: %s", got)
	}
	last := plans[2].Actions[0]
	if !strings.Contains(last.Reason, "lms") || !strings.Contains(last.Reason, "no other node may fail") || last.Votes.After.Expected != 9 {
		t.Errorf("lms setup: %s (%s)", last.Reason, last.Votes.After)
	}
}

func TestStoryGrowWithoutQDevice(t *testing.T) {
	_, decl, remote := pinnedStory(t, "qdevice-grow-off")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "RemoveQDevice qdevice; JoinMember pve5" {
		t.Fatalf("actions: %s", got)
	}
}
