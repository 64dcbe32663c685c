package lab

import (
	"context"
	"path/filepath"
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
