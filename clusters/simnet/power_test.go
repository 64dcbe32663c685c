package simnet

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestPowerOffRefusesConnections: a machine that is off refuses TCP
// connections on both ports; on again, it answers on the same ports with the
// same keys.
func TestPowerOffRefusesConnections(t *testing.T) {
	b := newFake("pve1", "pve2")
	s := startSim(t, b, Options{})
	r := runnerFor(t, s)
	c := apiFor(t, s, "pve1", "")
	before := s.Node("pve1")
	ctx := context.Background()
	if _, err := r.Run(ctx, loopback(before.SSHPort), "hostname", nil); err != nil {
		t.Fatal(err)
	}

	b.setPower("pve1", false)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{before.APIPort, before.SSHPort} {
		if _, err := net.DialTimeout("tcp", loopback(port), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial port %d of a powered-off node: %v; want connection refused", port, err)
		}
	}
	if _, err := c.Version(ctx); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("API of a powered-off node: %v; want connection refused", err)
	}
	if _, err := r.Run(ctx, loopback(before.SSHPort), "hostname", nil); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("SSH to a powered-off node: %v; want connection refused", err)
	}
	// The other node is unaffected.
	if _, err := r.Run(ctx, loopback(s.Node("pve2").SSHPort), "hostname", nil); err != nil {
		t.Errorf("pve2: %v", err)
	}

	b.setPower("pve1", true)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	after := s.Node("pve1")
	if after.APIPort != before.APIPort || after.SSHPort != before.SSHPort || after.Fingerprint != before.Fingerprint {
		t.Errorf("endpoint changed across a power cycle: %+v -> %+v", before, after)
	}
	if res, err := r.Run(ctx, loopback(after.SSHPort), "hostname", nil); err != nil || string(res.Stdout) != "pve1\n" {
		t.Errorf("SSH after power on: %q %v", res.Stdout, err)
	}
	if _, err := c.Version(ctx); err != nil {
		t.Errorf("API after power on: %v", err)
	}
}

// TestPowerOffBeforeSyncNeverAnswers: between a power change and the
// watcher noticing it, accepted connections are closed at once.
func TestPowerOffBeforeSyncNeverAnswers(t *testing.T) {
	b := newFake("pve1")
	s := startSim(t, b, Options{})
	c := apiFor(t, s, "pve1", "")
	if _, err := c.Version(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	b.setPower("pve1", false)
	if _, err := c.Version(context.Background()); err == nil {
		t.Fatal("a powered-off node answered")
	}
}

// TestStartWithNodeOff: a node that is off at Start has its ports reserved
// and refuses until it is powered on.
func TestStartWithNodeOff(t *testing.T) {
	b := newFake("pve1", "pve2")
	b.setPower("pve2", false)
	s := startSim(t, b, Options{})
	ep := s.Node("pve2")
	if ep.APIPort == 0 || ep.SSHPort == 0 {
		t.Fatalf("ports not assigned: %+v", ep)
	}
	if _, err := net.DialTimeout("tcp", loopback(ep.SSHPort), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v; want refused", err)
	}
	b.setPower("pve2", true)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	r := runnerFor(t, s)
	if res, err := r.Run(context.Background(), loopback(ep.SSHPort), "hostname", nil); err != nil || string(res.Stdout) != "pve2\n" {
		t.Fatalf("after power on: %q %v", res.Stdout, err)
	}
}

// TestCommandCanPowerOff: a command that powers the node off takes effect
// without an explicit Sync (the kick after each command); the command itself
// still gets its exit status.
func TestCommandCanPowerOff(t *testing.T) {
	b := newFake("pve1")
	s := startSim(t, b, Options{})
	r := runnerFor(t, s)
	addr := loopback(s.Node("pve1").SSHPort)
	res, err := r.Run(context.Background(), addr, "poweroff", nil)
	if err != nil || res.Code != 0 {
		t.Fatalf("poweroff: %v %d", err, res.Code)
	}
	if b.Powered("pve1") {
		t.Fatal("backend still on")
	}
	// Whether or not the watcher has run yet, the node must not answer.
	if _, err := r.Run(context.Background(), addr, "hostname", nil); err == nil {
		t.Fatal("powered-off node ran a command")
	}
}

// TestLatencyIsAdded checks only the lower bound, which cannot flake.
func TestLatencyIsAdded(t *testing.T) {
	const lat = 60 * time.Millisecond
	s := startSim(t, newFake("pve1"), Options{Latency: lat})
	r := runnerFor(t, s)
	c := apiFor(t, s, "pve1", "")
	start := time.Now()
	if _, err := r.Run(context.Background(), loopback(s.Node("pve1").SSHPort), "hostname", nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < lat {
		t.Errorf("SSH command took %s; want at least %s", d, lat)
	}
	start = time.Now()
	if _, err := c.Version(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < lat {
		t.Errorf("API call took %s; want at least %s", d, lat)
	}
}
