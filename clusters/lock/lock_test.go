package lock_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/state"
)

// pmxcfs lets only the node that took the lock renew it (memdb_mtime's
// writer check): the renew command through another member is refused,
// while the holder's own renewals go on working.
func TestRenew_FromAnotherMemberIsRefused(t *testing.T) {
	_, clk, r := healthy(t)
	l := mustAcquire(t, r, []string{"pve2", "pve1", "pve3"}, opts("ctl-a", clk))
	for _, other := range []string{"pve1", "pve3"} {
		res, err := r.RunOn(context.Background(), other, clusters.CmdQuorateLockRenew, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "touch: setting times of '/etc/pve/priv/lock/quorate': Permission denied\n"
		if res.Code != 1 || string(res.Stderr) != want || len(res.Stdout) != 0 {
			t.Errorf("renew through %s: code %d stderr %q stdout %q", other, res.Code, res.Stderr, res.Stdout)
		}
	}
	clk.Add(10 * time.Second)
	if err := l.Renew(context.Background()); err != nil {
		t.Fatalf("holder's Renew through %s: %v", l.Node(), err)
	}
	if got := l.Owner().Renewed; !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("Renewed = %s", got)
	}
}

// Valid holds only while the last confirmed take or renewal is younger
// than half the timeout; a renewal makes it hold again.
func TestValid_HalfTheTimeout(t *testing.T) {
	_, clk, r := healthy(t)
	l := mustAcquire(t, r, members, opts("ctl-a", clk))
	steps := []struct {
		name  string
		add   time.Duration
		renew bool
		valid bool
	}{
		{name: "just taken", valid: true},
		{name: "59 s", add: 59 * time.Second, valid: true},
		{name: "60 s = timeout/2", add: time.Second, valid: false},
		{name: "renewed", renew: true, valid: true},
		{name: "59 s after renewal", add: 59 * time.Second, valid: true},
		{name: "119 s after renewal", add: 60 * time.Second, valid: false},
	}
	for _, s := range steps {
		clk.Add(s.add)
		if s.renew {
			if err := l.Renew(context.Background()); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		err := l.Valid()
		if (err == nil) != s.valid {
			t.Errorf("%s: Valid = %v, want valid %t", s.name, err, s.valid)
		}
		if err != nil && (!errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "half of pmxcfs's 120 s expiry")) {
			t.Errorf("%s: Valid = %v, want ErrLost explaining the margin", s.name, err)
		}
	}
}

// A renewal that fails without showing the lock lost (the holder's member
// is down, or inquorate) is not ErrLost; Valid then runs out at half the
// timeout.
func TestRenew_TransientFailure(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(r simRunner)
		want  string
	}{
		{name: "member down", spoil: func(r simRunner) { _ = r.m.PowerOff("pve1") }, want: "cannot reach pve1"},
		{name: "member inquorate", spoil: func(r simRunner) { r.m.Cut("pve1", true) }, want: "pmxcfs is read-only there (no quorum)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clk, r := healthy(t)
			l := mustAcquire(t, r, members, opts("ctl-a", clk))
			tt.spoil(r)
			clk.Add(30 * time.Second)
			err := l.Renew(context.Background())
			if err == nil || errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Renew = %v, want a non-lost error with %q", err, tt.want)
			}
			if err := l.Valid(); err != nil {
				t.Errorf("Valid at 30 s: %v", err)
			}
			clk.Add(30 * time.Second)
			if err := l.Valid(); !errors.Is(err, lock.ErrLost) {
				t.Errorf("Valid at 60 s = %v, want ErrLost", err)
			}
		})
	}
}

// Release removes the record and the lock, so the next holder takes it at
// once; afterwards the Lock reports ErrReleased, and releasing again does
// nothing (the next holder's lock stays).
func TestRelease_FreesIt(t *testing.T) {
	_, clk, r := healthy(t)
	a := mustAcquire(t, r, members, opts("ctl-a", clk))
	if err := a.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, n := range members {
		if held, rec := onDisk(t, r, n); held || rec != "" {
			t.Errorf("%s after Release: lock %t, record %q", n, held, rec)
		}
	}
	if err := a.Valid(); !errors.Is(err, lock.ErrReleased) {
		t.Errorf("Valid after Release = %v", err)
	}
	if err := a.Renew(context.Background()); !errors.Is(err, lock.ErrReleased) {
		t.Errorf("Renew after Release = %v", err)
	}
	b := mustAcquire(t, r, []string{"pve3"}, opts("ctl-b", clk))
	if err := a.Release(context.Background()); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	if held, _ := onDisk(t, r, "pve1"); !held {
		t.Errorf("the second Release removed the next holder's lock")
	}
	if err := b.Renew(context.Background()); err != nil {
		t.Errorf("next holder's Renew: %v", err)
	}
}

// A holder that lost the lock never releases the new holder's.
func TestRelease_AfterTakeoverKeepsTheNewLock(t *testing.T) {
	_, clk, r := healthy(t)
	a := mustAcquire(t, r, members, opts("ctl-a", clk))
	clk.Add(lock.DefaultTimeout + time.Second)
	b := mustAcquire(t, r, members, opts("ctl-b", clk))
	err := a.Release(context.Background())
	if !errors.Is(err, lock.ErrLost) || !strings.HasPrefix(err.Error(), "not releasing quorate's cluster lock: ") {
		t.Fatalf("Release = %v, want a refusal wrapping ErrLost", err)
	}
	if err := b.Valid(); err != nil {
		t.Errorf("new holder: %v", err)
	}
	if err := b.Renew(context.Background()); err != nil {
		t.Errorf("new holder's Renew: %v", err)
	}
}

// A lock removed by hand is lost at the next renewal.
func TestRenew_RemovedByHand(t *testing.T) {
	_, clk, r := healthy(t)
	l := mustAcquire(t, r, members, opts("ctl-a", clk))
	if res, err := r.RunOn(context.Background(), "pve3", clusters.CmdQuorateLockRelease, nil); err != nil || res.Code != 0 {
		t.Fatal(err, string(res.Stderr))
	}
	err := l.Renew(context.Background())
	if !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "the lock directory /etc/pve/priv/lock/quorate is gone") {
		t.Fatalf("Renew = %v", err)
	}
}

// TestMembers: quorate members first, then the rest, each in observed order.
func TestMembers(t *testing.T) {
	q := func(ok bool) *state.Quorum { return &state.Quorum{Quorate: ok} }
	obs := &state.Cluster{Nodes: []state.Node{{Name: "pve1"}, {Name: "pve2", Quorum: q(true)}, {Name: "pve3", Quorum: q(false)}, {Name: "pve4", Quorum: q(true)}}}
	if got := strings.Join(lock.Members(obs), ","); got != "pve2,pve4,pve1,pve3" {
		t.Errorf("Members = %s", got)
	}
}
