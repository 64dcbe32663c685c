package sim

import "testing"

// TestFromSnapshot_RoundTrip: rebuilding a model from its own snapshot
// reproduces every fact the plan fingerprint depends on.
func TestFromSnapshot_RoundTrip(t *testing.T) {
	for _, name := range ScenarioNames() {
		t.Run(name, func(t *testing.T) {
			m := scenario(t, name)
			before := m.Snapshot()
			rebuilt, err := FromSnapshot(before)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt.Clock = fixedClock
			after := rebuilt.Snapshot()
			if before.Fingerprint() != after.Fingerprint() {
				t.Errorf("fingerprint changed:\nbefore %+v\nafter  %+v", before.Nodes, after.Nodes)
			}
			for _, n := range before.Nodes {
				a := after.Node(n.Name)
				if (n.CMAPRejection == nil) != (a.CMAPRejection == nil) {
					t.Errorf("%s: CMAP rejection %v -> %v", n.Name, n.CMAPRejection, a.CMAPRejection)
				}
			}
		})
	}
}

// A node whose runtime lags its file (healed partition, §5.1 LAB) keeps the
// lag through a snapshot.
func TestFromSnapshot_KeepsRuntimeSkew_Ref5_1(t *testing.T) {
	m := cluster(t, 2, 1, 2, 3)
	m.Cut("pve3", true)
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", string(confV(3, "")))
	m.Cut("pve3", false)
	rebuilt, err := FromSnapshot(m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if got := runtimeVersion(t, rebuilt, "pve3"); got != "2" {
		t.Errorf("pve3 runtime after rebuild %s, want 2", got)
	}
	if got := memberIDs(t, rebuilt, "pve1"); got != "1 2 3" {
		t.Errorf("members after rebuild %q", got)
	}
}

func TestFromSnapshot_NeedsName(t *testing.T) {
	s := (&Model{}).Snapshot()
	if _, err := FromSnapshot(s); err == nil {
		t.Error("want an error for a snapshot without a cluster name")
	}
}

// A snapshot without Shared (no authority, or recorded before Shared
// existed) still gives every DB the standard layout, so locks can be taken.
func TestFromSnapshot_WithoutSharedSeedsLayout(t *testing.T) {
	s := scenario(t, "healthy").Snapshot()
	s.Shared = nil
	m, err := FromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	m.Clock = fixedClock
	if got := mustRun(t, m, "pve2", "ls -1 /etc/pve/nodes"); got != "pve1\npve2\npve3\n" {
		t.Errorf("node dirs %q", got)
	}
	mustRun(t, m, "pve1", "mkdir /etc/pve/priv/lock/file-corosync_conf")
}
