package clusters_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// qdevice through the simulator's own qdevice model (clusters/sim
// qdevice.go, qnetd.go): the executor's pvecm qdevice steps, then the
// observation of what they did (reference §3.9, §3.10, §7.4, corosync-lab
// §4).

// qdCluster is cluster "duo" (or "trio") with n running nodes pve1..pveN on
// 10.10.10.x, a qnetd host at qnetdIP, and a declaration asking for an
// ffsplit device there.
func qdCluster(t *testing.T, n int) (*sim.Model, *api.Cluster, *clusters.Remote, *memRunner) {
	t.Helper()
	var specs []sim.NodeSpec
	for i := 1; i <= n; i++ {
		name := "pve" + itoa(uint64(i))
		specs = append(specs, sim.NodeSpec{Name: name, NodeID: i, Votes: 1,
			Addrs: map[int]string{0: "10.10.10." + itoa(uint64(i))}, HostIP: "192.0.2." + itoa(uint64(i))})
	}
	m := sim.NewCluster(map[int]string{2: "duo", 3: "trio"}[n], []corosync.Interface{{Number: 0}}, specs, 3)
	for _, s := range specs {
		if err := m.PowerOn(s.Name); err != nil {
			t.Fatal(err)
		}
	}
	m.AddQNetd(qnetdIP)
	decl, remote, runner := inMemory(t, m)
	decl.Spec.QDevice = &api.QDevice{Host: qnetdIP, Algorithm: "ffsplit"}
	return m, decl, remote, runner
}

func observe(t *testing.T, r *clusters.Remote) *state.Cluster {
	t.Helper()
	obs, err := r.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// confDevice returns node's /etc/pve/corosync.conf quorum.device, or nil.
func confDevice(t *testing.T, m *sim.Model, node string) *corosync.Section {
	t.Helper()
	b, ok := m.ReadFile(node, clusters.ClusterConfPath)
	if !ok {
		t.Fatalf("%s: no %s", node, clusters.ClusterConfPath)
	}
	c, err := corosync.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c.Main.Section("quorum").Section("device")
}

// TestQDeviceSetupAndRemoveOnSimulator is the two-node story of corosync-lab
// §4: set up an ffsplit device, see it vote, set it up again (done), remove
// it, remove it again (done).
func TestQDeviceSetupAndRemoveOnSimulator(t *testing.T) {
	m, _, remote, _ := qdCluster(t, 2)
	ctx := context.Background()

	before := observe(t, remote)
	for _, n := range before.Nodes {
		if got := qdString(n.QDevice); got != `installed=true service=inactive state="" reachable=true error=""` {
			t.Errorf("before setup, %s: %s", n.Name, got)
		}
	}

	if err := remote.Exec(ctx, setupStep(qnetdIP, false)); err != nil {
		t.Fatalf("setup: %v", err)
	}
	dev := confDevice(t, m, "pve2")
	if dev == nil {
		t.Fatal("no quorum.device in pve2's /etc/pve/corosync.conf after setup")
	}
	host, _ := dev.Section("net").Value("host")
	votes, _ := dev.Value("votes")
	alg, _ := dev.Section("net").Value("algorithm")
	if host != qnetdIP || votes != "1" || alg != "ffsplit" {
		t.Errorf("§4.6 device block: host %q votes %q algorithm %q, want %s 1 ffsplit", host, votes, alg, qnetdIP)
	}

	after := observe(t, remote)
	for _, n := range after.Nodes {
		if got := qdString(n.QDevice); got != `installed=true service=active state="Connected" reachable=true error=""` {
			t.Errorf("after setup, %s: %s", n.Name, got)
		}
		q := n.Quorum
		if q == nil {
			t.Fatalf("%s: no quorum view", n.Name)
		}
		// lab §4: two nodes plus the device: expected 3, total 3, quorum 2,
		// the Qdevice flag and a nodeid-0 row with 1 vote.
		if !slices.Contains(q.Flags, "Qdevice") || q.ExpectedVotes != 3 || q.TotalVotes != 3 || q.Quorum != 2 ||
			!slices.Contains(q.Members, state.Member{NodeID: 0, Votes: 1, Name: "Qdevice"}) {
			t.Errorf("%s: votequorum with the device: %+v", n.Name, *q)
		}
	}

	if err := remote.Exec(ctx, setupStep(qnetdIP, false)); err != nil {
		t.Errorf("setup again (§3.9 step 2, same host): %v", err)
	}
	if err := remote.Exec(ctx, removeStep); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if dev := confDevice(t, m, "pve2"); dev != nil {
		t.Errorf("quorum.device still configured after remove")
	}
	gone := observe(t, remote)
	for _, n := range gone.Nodes {
		if n.QDevice == nil || n.QDevice.Service != state.Inactive || n.QDevice.State != "" {
			t.Errorf("after remove, %s: %s", n.Name, qdString(n.QDevice))
		}
	}
	if err := remote.Exec(ctx, removeStep); err != nil {
		t.Errorf("remove again (§3.10 No QDevice configured!): %v", err)
	}
}

// TestQDeviceRefusalsOnSimulator: pvecm's own refusals come back as
// StepErrors that say what to do, and corosync.conf is left alone.
func TestQDeviceRefusalsOnSimulator(t *testing.T) {
	tests := []struct {
		name    string
		nodes   int
		prepare func(t *testing.T, m *sim.Model)
		force   bool
		wantErr string
	}{
		{"§3.9 step 1: a node is offline", 2, func(t *testing.T, m *sim.Model) {
			if err := m.PowerOff("pve2"); err != nil {
				t.Fatal(err)
			}
		}, false, "needs every cluster node online"},
		{"§3.9 step 3: odd node count without --force", 3, nil, false, "odd number of nodes"},
		{"§3.9 the qnetd host is down", 2, func(t *testing.T, m *sim.Model) {
			if err := m.PowerOffQNetd(qnetdIP); err != nil {
				t.Fatal(err)
			}
		}, false, "pvecm qdevice setup failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, remote, _ := qdCluster(t, tt.nodes)
			if tt.prepare != nil {
				tt.prepare(t, m)
			}
			err := remote.Exec(context.Background(), setupStep(qnetdIP, tt.force))
			var se *clusters.StepError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("setup: got %v, want a StepError containing %q", err, tt.wantErr)
			}
			if se.Code == 0 {
				t.Errorf("StepError without pvecm's exit code: %v", err)
			}
			if dev := confDevice(t, m, "pve1"); dev != nil {
				t.Errorf("quorum.device written despite the refusal")
			}
		})
	}
}

// TestQDeviceLMSWithForceOnSimulator: three nodes need --force and get lms
// without a votes line, so corosync derives N−1 = 2 device votes (reference
// §3.9 step 3, §4.6, §7.4).
func TestQDeviceLMSWithForceOnSimulator(t *testing.T) {
	m, _, remote, _ := qdCluster(t, 3)
	if err := remote.Exec(context.Background(), setupStep(qnetdIP, true)); err != nil {
		t.Fatalf("setup --force: %v", err)
	}
	dev := confDevice(t, m, "pve3")
	if dev == nil {
		t.Fatal("no quorum.device after setup --force")
	}
	if alg, _ := dev.Section("net").Value("algorithm"); alg != "lms" {
		t.Errorf("algorithm %q, want lms", alg)
	}
	if v, ok := dev.Value("votes"); ok {
		t.Errorf("votes: %s written for lms; §4.6 says it is absent", v)
	}
	obs := observe(t, remote)
	q := obs.Node("pve1").Quorum
	if q == nil || q.ExpectedVotes != 5 || q.TotalVotes != 5 || !slices.Contains(q.Members, state.Member{NodeID: 0, Votes: 2, Name: "Qdevice"}) {
		t.Errorf("§7.4 lms on 3 nodes: want expected 5, total 5, a 2-vote Qdevice row; got %+v", q)
	}
}

// TestObserveQDeviceOnSimulator: a node without the package, and the qnetd
// host down, as the observation reports them.
func TestObserveQDeviceOnSimulator(t *testing.T) {
	m, _, remote, _ := qdCluster(t, 2)
	if err := m.SetQDeviceInstalled("pve2", false); err != nil {
		t.Fatal(err)
	}
	if err := m.PowerOffQNetd(qnetdIP); err != nil {
		t.Fatal(err)
	}
	obs := observe(t, remote)
	want := map[string]string{
		"pve1": `installed=true service=inactive state="" reachable=false error=""`,
		"pve2": `installed=false service=inactive state="" reachable=false error=""`,
	}
	for name, w := range want {
		if got := qdString(obs.Node(name).QDevice); got != w {
			t.Errorf("%s:\n got  %s\n want %s", name, got, w)
		}
	}
}
