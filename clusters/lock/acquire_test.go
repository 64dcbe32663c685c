package lock_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/lock"
)

// A held lock is a *HeldError naming the holder, the member it was taken
// through, since when, the last renewal and when pmxcfs frees it; the
// loser changes nothing (reference §6.6: mkdir fails with EEXIST; an
// unlock request before expiry frees nothing).
func TestAcquire_HeldByAnother(t *testing.T) {
	m, clk, r := healthy(t)
	a := mustAcquire(t, r, []string{"pve2", "pve1", "pve3"}, opts("ctl-a", clk))
	clk.Add(30 * time.Second)
	if err := a.Renew(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, before := onDisk(t, r, "pve1")
	privBefore, _, _ := m.Exec("pve1", "ls -1 /etc/pve/priv /etc/pve/priv/lock", nil)
	clk.Add(89 * time.Second) // 119 s since the take, 89 s since the renewal
	_, err := lock.Acquire(context.Background(), r, members, opts("ctl-b", clk))
	var held *lock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v, want *HeldError", err)
	}
	if held.Owner.Holder != "ctl-a" || held.Owner.Node != "pve2" || held.Node != "pve1" || held.Unknown != "" {
		t.Errorf("HeldError = %+v", held)
	}
	for _, want := range []string{
		`held by "ctl-a" (host `, `purpose "reconcile")`,
		"taken through pve2 at 2026-11-22 06:00:00 UTC",
		"last renewed 2026-11-22 06:00:30 UTC",
		"pmxcfs frees it 120 s after its last renewal",
		"Nothing was changed",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	if _, after := onDisk(t, r, "pve3"); after != before {
		t.Errorf("the owner record changed:\n%s\nwas\n%s", after, before)
	}
	if priv, _, _ := m.Exec("pve1", "ls -1 /etc/pve/priv /etc/pve/priv/lock", nil); string(priv) != string(privBefore) {
		t.Errorf("the loser created something:\n%s\nwas\n%s", priv, privBefore)
	}
	if err := a.Renew(context.Background()); err != nil {
		t.Errorf("holder's Renew after the loser's attempt: %v", err)
	}
}

// Once the lock is older than the timeout, the next Acquire's unlock
// request makes pmxcfs free it and the mkdir takes it (reference §6.6);
// the old holder's renewal then fails with ErrLost, whether it renews
// through the member the new holder used (pmxcfs lets it touch: same
// writer node; the owner record tells) or through another one (pmxcfs
// refuses).
func TestAcquire_TakeoverAfterExpiry(t *testing.T) {
	tests := []struct {
		name   string
		bNodes []string
	}{
		{name: "new holder through the same member", bNodes: []string{"pve1", "pve2", "pve3"}},
		{name: "new holder through another member", bNodes: []string{"pve3", "pve1", "pve2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clk, r := healthy(t)
			a := mustAcquire(t, r, members, opts("ctl-a", clk))
			clk.Add(lock.DefaultTimeout)
			if _, err := lock.Acquire(context.Background(), r, tt.bNodes, opts("ctl-b", clk)); !errors.As(err, new(*lock.HeldError)) {
				t.Fatalf("at exactly the timeout: err = %v, want *HeldError (expired only when older)", err)
			}
			clk.Add(time.Second)
			b := mustAcquire(t, r, tt.bNodes, opts("ctl-b", clk))
			if b.Node() != tt.bNodes[0] {
				t.Errorf("taken through %s, want %s", b.Node(), tt.bNodes[0])
			}
			err := a.Renew(context.Background())
			if !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), `now held by "ctl-b"`) {
				t.Fatalf("old holder's Renew = %v, want ErrLost naming ctl-b", err)
			}
			if err := a.Valid(); !errors.Is(err, lock.ErrLost) {
				t.Errorf("old holder's Valid = %v, want ErrLost", err)
			}
			if err := a.Renew(context.Background()); !errors.Is(err, lock.ErrLost) {
				t.Errorf("lost is not sticky: %v", err)
			}
			if err := b.Renew(context.Background()); err != nil {
				t.Errorf("new holder's Renew: %v", err)
			}
		})
	}
}

// A controller restarted with the same Holder takes back the lock its
// earlier run holds, through the member the lock was taken through (the
// only one pmxcfs lets renew it), with a new token: the earlier run's Lock
// is lost. When that member cannot renew, the lock stays held; once the
// earlier run's record is older than the timeout, the lock has expired and
// is taken anew.
func TestAcquire_RestartedHolder(t *testing.T) {
	tests := []struct {
		name     string
		after    time.Duration
		down     string // a member powered off before the restart
		wantNode string // "" = HeldError
	}{
		{name: "retakes through the recorded member", after: 30 * time.Second, wantNode: "pve2"},
		{name: "recorded member down: still held", after: 30 * time.Second, down: "pve2"},
		{name: "record older than the timeout: taken anew", after: lock.DefaultTimeout + time.Second, wantNode: "pve1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk, r := healthy(t)
			first := mustAcquire(t, r, []string{"pve2", "pve1", "pve3"}, opts("ctl-a", clk))
			clk.Add(tt.after)
			if tt.down != "" {
				if err := m.PowerOff(tt.down); err != nil {
					t.Fatal(err)
				}
			}
			again, err := lock.Acquire(context.Background(), r, members, opts("ctl-a", clk))
			if tt.wantNode == "" {
				var held *lock.HeldError
				if !errors.As(err, &held) || held.Retake == nil ||
					!strings.Contains(err.Error(), "this controller's own holder name (an earlier run), but taking it back through pve2 failed: ") {
					t.Fatalf("err = %v, want HeldError with the failed retake", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if again.Node() != tt.wantNode || again.Owner().Token == first.Owner().Token || !again.Owner().Acquired.Equal(t0.Add(tt.after)) {
				t.Errorf("retaken lock %+v", again.Owner())
			}
			if err := first.Renew(context.Background()); !errors.Is(err, lock.ErrLost) {
				t.Errorf("earlier run's Renew = %v, want ErrLost", err)
			}
			if err := again.Renew(context.Background()); err != nil {
				t.Errorf("Renew after retake: %v", err)
			}
			_, rec := onDisk(t, r, "pve3")
			var o lock.Owner
			if err := json.Unmarshal([]byte(rec), &o); err != nil || o.Token != again.Owner().Token {
				t.Errorf("owner record %s (%v), want the retaken lock's", rec, err)
			}
		})
	}
}

// Members whose pmxcfs is read-only (no quorum) or that cannot be reached
// are skipped; the lock is taken through the next one.
func TestAcquire_SkipsUnusableMembers(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, r simRunner)
	}{
		{name: "inquorate member", spoil: func(t *testing.T, r simRunner) { r.m.Cut("pve1", true) }},
		{name: "powered-off member", spoil: func(t *testing.T, r simRunner) {
			if err := r.m.PowerOff("pve1"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "pve-cluster stopped", spoil: func(t *testing.T, r simRunner) {
			if o, e, c := r.m.Exec("pve1", "systemctl stop pve-cluster", nil); c != 0 {
				t.Fatalf("%s %s", o, e)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clk, r := healthy(t)
			tt.spoil(t, r)
			l := mustAcquire(t, r, members, opts("ctl-a", clk))
			if l.Node() != "pve2" {
				t.Errorf("taken through %s, want pve2", l.Node())
			}
			if err := l.Renew(context.Background()); err != nil {
				t.Errorf("Renew: %v", err)
			}
		})
	}
}

// With every member inquorate, Acquire says so for each member, says what
// to do, and creates nothing.
func TestAcquire_AllInquorate(t *testing.T) {
	m, clk, r := healthy(t)
	for _, n := range members {
		m.Cut(n, true)
	}
	_, err := lock.Acquire(context.Background(), r, members, opts("ctl-a", clk))
	var ue *lock.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, lock.ErrReadOnly) {
		t.Fatalf("err = %v, want *UnavailableError wrapping ErrReadOnly", err)
	}
	want := "cannot take quorate's cluster lock /etc/pve/priv/lock/quorate through any member: " +
		"pve1: pmxcfs is read-only there (no quorum); pve2: pmxcfs is read-only there (no quorum); " +
		"pve3: pmxcfs is read-only there (no quorum). Nothing was changed; no member has quorum; " +
		"bring the cluster back to quorum, then run again"
	if err.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", err, want)
	}
	for _, n := range members {
		if held, rec := onDisk(t, r, n); held || rec != "" {
			t.Errorf("%s: lock %t, record %q", n, held, rec)
		}
	}
}

// No members, or a mix of failures: the error lists what happened.
func TestAcquire_Unavailable(t *testing.T) {
	_, clk, r := healthy(t)
	if _, err := lock.Acquire(context.Background(), r, nil, opts("a", clk)); err == nil || !strings.Contains(err.Error(), "no members") {
		t.Errorf("no members: %v", err)
	}
	_ = r.m.PowerOff("pve1")
	r.m.Cut("pve2", true)
	_, err := lock.Acquire(context.Background(), r, []string{"pve1", "pve2"}, opts("a", clk))
	for _, want := range []string{"pve1: cannot reach pve1: dial tcp pve1:22: connect: connection refused",
		"pve2: pmxcfs is read-only there (no quorum)", "check that the members are up and reachable over SSH"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, lacks %q", err, want)
		}
	}
}

// A lock directory without an owner record (made by hand, or a holder
// between its mkdir and its record) is a HeldError that says so.
func TestAcquire_HeldWithoutRecord(t *testing.T) {
	m, clk, r := healthy(t)
	if _, e, c := m.Exec("pve3", "mkdir /etc/pve/priv/lock/quorate", nil); c != 0 {
		t.Fatal(string(e))
	}
	_, err := lock.Acquire(context.Background(), r, members, opts("a", clk))
	var held *lock.HeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "(seen through pve1), but it has no owner record (/etc/pve/priv/quorate-lock.json)") {
		t.Fatalf("err = %v", err)
	}
}
