package lab

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// proxmoxOnLab is a lab whose real corosync runs under a simulator model
// (Proxmox's layer: pmxcfs, API, pvecm, systemctl), served over real HTTPS
// and SSH on loopback like `quorate sim serve`: a cluster quorate can
// observe, plan and apply against, with real corosync underneath.
type proxmoxOnLab struct {
	l    *Lab
	m    *sim.Model
	decl *api.Cluster
}

func startProxmoxOnLab(t testing.TB, nodes int, version uint64) *proxmoxOnLab {
	t.Helper()
	l := startLab(t, Options{Nodes: nodes})
	m := sim.NewCluster(l.ClusterName(), l.Interfaces(), l.Specs(), version)
	if err := m.SetEngine(l.Engine()); err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Nodes() {
		if err := m.PowerOn(n); err != nil {
			t.Fatal(err)
		}
	}
	if m.EngineErr != nil {
		t.Fatalf("engine: %v", m.EngineErr)
	}
	dir := t.TempDir()
	srv, err := simnet.Start(m, simnet.Options{Dir: filepath.Join(dir, "sim")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m.SetFingerprints(srv.Fingerprints())
	cfg := filepath.Join(dir, "cluster.yaml")
	if err := srv.WriteConfig(cfg, m.Declaration()); err != nil {
		t.Fatal(err)
	}
	decl, err := api.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &proxmoxOnLab{l: l, m: m, decl: decl}
}

// observe runs quorate's observation over SSH and HTTPS.
func (p *proxmoxOnLab) observe(t testing.TB, remote *clusters.Remote) *state.Cluster {
	t.Helper()
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// TestProxmoxOnLab_StaleNodeRepairedByQuorate is issue #5's story on real
// corosync 3.1.7: pve3 misses a config_version bump while off, its real
// corosync exits with the CMAP line, quorate's plan names it, quorate's apply
// repairs it, and real corosync counts it back in.
func TestProxmoxOnLab_StaleNodeRepairedByQuorate(t *testing.T) {
	p := startProxmoxOnLab(t, 3, 3)
	waitMembers(t, p.l, "pve1", 3, true)

	if err := p.m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pve3's real corosync exiting with the CMAP line", func() (bool, string) {
		rej := cmdout.FindCMAPRejection(p.l.LogSinceStart("pve3"))
		return rej != nil && !p.l.Running("pve3"), fmt.Sprintf("running %v, rejection %v", p.l.Running("pve3"), rej)
	})
	if rej := cmdout.FindCMAPRejection(p.l.LogSinceStart("pve3")); rej.Received != 4 || rej.Mine != 3 {
		t.Fatalf("real CMAP line: %+v, want received 4, mine 3", rej)
	}
	waitMembers(t, p.l, "pve1", 2, true)

	remote, err := clusters.Connect(p.decl, clusters.ConnectOptions{Pins: &state.PinStore{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	obs := p.observe(t, remote)
	cs := reconciler.Plan(p.decl, obs, time.Now())
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ResyncCorosyncConf || cs.Actions[0].Target != "pve3" {
		t.Fatalf("plan on the lab:\n%s", cs.Text())
	}
	if !strings.Contains(cs.Actions[0].Reason, "Received config version (4) is different than my config version (3)! Exiting") {
		t.Errorf("the plan does not quote the real CMAP line: %s", cs.Actions[0].Reason)
	}

	start := time.Now()
	if _, err := reconciler.Apply(context.Background(), remote, &cs, reconciler.ApplyOptions{Settle: pollLimit, Poll: 100 * time.Millisecond}); err != nil {
		t.Fatalf("apply on the lab: %v", err)
	}
	t.Logf("apply, from its start to pve3 verified in the real membership: %s", time.Since(start).Round(time.Millisecond))
	q := waitMembers(t, p.l, "pve1", 3, true)
	if q.ExpectedVotes != 3 {
		t.Errorf("expected votes %d, want 3", q.ExpectedVotes)
	}
	out, _, _ := p.l.Exec("pve3", "corosync-cmapctl", "-g", "totem.config_version")
	if !strings.Contains(string(out), "= 4") {
		t.Errorf("pve3's real runtime config_version: %s", out)
	}
	if after := reconciler.Plan(p.decl, p.observe(t, remote), time.Now()); !after.Converged() {
		t.Errorf("not converged on the lab:\n%s", after.Text())
	}
	if p.m.EngineErr != nil {
		t.Errorf("engine: %v", p.m.EngineErr)
	}
}

// untilMember polls pve1's real membership until nodeid id is in it and
// returns when that was first seen.
func untilMember(tb testing.TB, l *Lab, id int) time.Time {
	tb.Helper()
	deadline := time.Now().Add(pollLimit)
	for {
		q, err := quorum(l, "pve1")
		if err == nil && q.HasMember(id) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nodeid %d not in pve1's membership within %v (last: %v, %v)", id, pollLimit, q, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkProxmoxOnLab_StaleRepairVsFloor measures, on real corosync, the
// stale-node repair from the start of quorate's apply until real corosync
// counts the node in the membership (repair-ms), next to corosync's own floor
// in the same lab: a healthy node's start until it is counted (floor-ms), and
// their ratio. Setup (making the node stale, waiting for its CMAP exit,
// observing and planning) is outside the timer.
//
//	go test ./lab -run '^$' -bench StaleRepairVsFloor -benchtime 3x   (root)
func BenchmarkProxmoxOnLab_StaleRepairVsFloor(b *testing.B) {
	p := startProxmoxOnLab(b, 3, 3)
	waitMembers(b, p.l, "pve1", 3, true)
	remote, err := clusters.Connect(p.decl, clusters.ConnectOptions{Pins: &state.PinStore{Dir: b.TempDir()}})
	if err != nil {
		b.Fatal(err)
	}
	defer remote.Close()
	var repair, floor time.Duration
	ops := 0
	for b.Loop() {
		b.StopTimer()
		// The floor: a healthy restart of pve2, through the model.
		if _, serr, code := p.m.Exec("pve2", "systemctl stop corosync", nil); code != 0 {
			b.Fatalf("stop: %s", serr)
		}
		waitMembers(b, p.l, "pve1", 2, true)
		t0 := time.Now()
		if _, serr, code := p.m.Exec("pve2", "systemctl start corosync", nil); code != 0 {
			b.Fatalf("start: %s", serr)
		}
		floor += untilMember(b, p.l, 2).Sub(t0)
		waitMembers(b, p.l, "pve1", 3, true)

		if err := p.m.MakeStale("pve3"); err != nil {
			b.Fatal(err)
		}
		waitFor(b, "pve3's CMAP exit", func() (bool, string) {
			return cmdout.FindCMAPRejection(p.l.LogSinceStart("pve3")) != nil && !p.l.Running("pve3"), "still running"
		})
		waitMembers(b, p.l, "pve1", 2, true)
		cs := reconciler.Plan(p.decl, p.observe(b, remote), time.Now())
		if len(cs.Actions) != 1 {
			b.Fatalf("plan:\n%s", cs.Text())
		}
		b.StartTimer()
		t1 := time.Now()
		done := make(chan error, 1)
		go func() {
			_, err := reconciler.Apply(context.Background(), remote, &cs, reconciler.ApplyOptions{Settle: pollLimit, Poll: 100 * time.Millisecond})
			done <- err
		}()
		repair += untilMember(b, p.l, 3).Sub(t1)
		b.StopTimer()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		waitMembers(b, p.l, "pve1", 3, true)
		ops++
		b.StartTimer()
	}
	b.ReportMetric(float64(repair.Milliseconds())/float64(ops), "repair-ms")
	b.ReportMetric(float64(floor.Milliseconds())/float64(ops), "floor-ms")
	b.ReportMetric(float64(repair)/float64(floor), "repair/floor")
}
