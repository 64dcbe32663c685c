package clusters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
)

// watchedRemote checks every observation Apply makes: the cluster must be
// quorate at each one (issue #3: "with the cluster quorate at every
// observation during apply").
type watchedRemote struct {
	*clusters.Remote
	t            *testing.T
	observations int
}

func (w *watchedRemote) Observe(ctx context.Context) (*state.Cluster, error) {
	obs, err := w.Remote.Observe(ctx)
	if err != nil {
		return obs, err
	}
	w.observations++
	if obs.Authority() == nil {
		w.t.Errorf("observation %d: no quorate node", w.observations)
	}
	for _, n := range obs.Nodes {
		if n.Corosync == state.Active && n.Quorum != nil && !n.Quorum.Quorate {
			w.t.Errorf("observation %d: %s runs corosync but is not quorate (%d of %d votes)", w.observations, n.Name, n.Quorum.TotalVotes, n.Quorum.ExpectedVotes)
		}
	}
	return obs, nil
}

// converge runs apply rounds in memory until the plan is empty, and returns
// the plans of every round.
func converge(t *testing.T, decl *api.Cluster, remote *watchedRemote) []reconciler.Changeset {
	t.Helper()
	ctx := context.Background()
	var plans []reconciler.Changeset
	for round := 0; round < 8; round++ {
		obs, err := remote.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cs := reconciler.Plan(decl, obs, t0)
		plans = append(plans, cs)
		if cs.Converged() {
			return plans
		}
		if len(cs.Actions) == 0 {
			t.Fatalf("round %d: blocked:\n%s", round, cs.Text())
		}
		if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
			t.Fatalf("round %d: %v\nplan:\n%s", round, err, cs.Text())
		}
	}
	t.Fatalf("not converged after 8 rounds")
	return nil
}

func story(t *testing.T, name string) (*sim.Model, *api.Cluster, *watchedRemote) {
	t.Helper()
	m, err := sim.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	decl, remote, _ := inMemory(t, m)
	return m, decl, &watchedRemote{Remote: remote, t: t}
}

func kinds(plans []reconciler.Changeset) []string {
	var out []string
	for _, cs := range plans {
		for _, a := range cs.Actions {
			out = append(out, a.Kind.String()+" "+a.Target)
		}
	}
	return out
}

func TestStoryRemovePoweredOffMember(t *testing.T) {
	m, decl, remote := story(t, "remove-member")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "RemoveMember pve4; CleanupRemovedNode pve4" {
		t.Errorf("actions: %s", got)
	}
	if conf, _ := m.ReadFile("pve1", "/etc/pve/corosync.conf"); strings.Contains(string(conf), "pve4") {
		t.Errorf("pve4 still in corosync.conf")
	}
	if out, _, _ := m.Exec("pve1", "ls -1 /etc/pve/nodes", nil); strings.Contains(string(out), "pve4") {
		t.Errorf("/etc/pve/nodes/pve4 still there: %q", out)
	}
	if keys, _ := m.ReadFile("pve1", "/etc/pve/priv/authorized_keys"); strings.Contains(string(keys), "root@pve4") {
		t.Errorf("pve4's key still authorized")
	}
	if out, _, code := m.Exec("pve1", "ls -1 /var/lib/quorate/archive", nil); code != 0 || !strings.Contains(string(out), "pve4.") {
		t.Errorf("no archive of /etc/pve/nodes/pve4: %q", out)
	}
}

func TestStoryOnlineMemberIsNotRemoved(t *testing.T) {
	_, decl, remote := story(t, "remove-online")
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 0 || !strings.Contains(cs.Text(), "never removes an online node") {
		t.Fatalf("plan:\n%s", cs.Text())
	}
}

func TestStoryReferencedMemberIsNotRemoved(t *testing.T) {
	_, decl, remote := story(t, "remove-with-guests")
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs := reconciler.Plan(decl, obs, t0)
	text := cs.Text()
	if len(cs.Actions) != 0 || !strings.Contains(text, "104") || !strings.Contains(text, "replication job") {
		t.Fatalf("plan:\n%s", text)
	}
}

func TestStoryMoveRing0(t *testing.T) {
	m, decl, remote := story(t, "move-ring0")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "AddLink link 1; RemoveLink link 0; AddLink link 0; RemoveLink link 1" {
		t.Errorf("actions: %s", got)
	}
	out, _, _ := m.Exec("pve2", "corosync-cfgtool -s", nil)
	if !strings.Contains(string(out), "addr\t= 10.30.30.") || strings.Contains(string(out), "LINK ID 1") {
		t.Errorf("pve2 links after the move:\n%s", out)
	}
	if remote.observations < 8 {
		t.Errorf("only %d observations were checked", remote.observations)
	}
}

func TestStoryAddThenRemoveLink(t *testing.T) {
	_, decl, remote := story(t, "add-link")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "AddLink link 1" {
		t.Errorf("actions: %s", got)
	}
	// Later the redundant link is dropped again.
	decl.Spec.Links = decl.Spec.Links[:1]
	for i := range decl.Spec.Members {
		decl.Spec.Members[i].Addresses = decl.Spec.Members[i].Addresses[:1]
	}
	plans = converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "RemoveLink link 1" {
		t.Errorf("actions: %s", got)
	}
}

func TestStoryVotes(t *testing.T) {
	_, decl, remote := story(t, "votes")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); got != "SetVotes pve1" {
		t.Errorf("actions: %s", got)
	}
	a := plans[0].Actions[0]
	if a.Votes == nil || a.Votes.Before.Expected != 3 || a.Votes.After.Expected != 4 || a.Votes.After.Quorum != 3 {
		t.Errorf("vote arithmetic: %+v", a.Votes)
	}
	obs, _ := remote.Observe(context.Background())
	if q := obs.Node("pve2").Quorum; q.ExpectedVotes != 4 || q.TotalVotes != 4 {
		t.Errorf("pve2 sees %d of %d votes", q.TotalVotes, q.ExpectedVotes)
	}
}

func TestStoryLaggingRuntime(t *testing.T) {
	_, decl, remote := story(t, "lagging-runtime")
	plans := converge(t, decl, remote)
	if got := strings.Join(kinds(plans), "; "); !strings.HasPrefix(got, "ReloadCorosync") {
		t.Errorf("actions: %s", got)
	}
}
