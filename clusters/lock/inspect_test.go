package lock_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
)

// Inspect tells free from held without changing anything, through the
// first member that can tell.
func TestInspect(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// setup returns the holder's Lock, if any.
		setup     func(t *testing.T, r simRunner, clk *clock) *lock.Lock
		wantOwner bool
		wantErr   string
	}{
		{name: "free", setup: func(*testing.T, simRunner, *clock) *lock.Lock { return nil }},
		{name: "held", wantOwner: true, setup: func(t *testing.T, r simRunner, clk *clock) *lock.Lock {
			return mustAcquire(t, r, []string{"pve3"}, opts("ctl-a", clk))
		}},
		{name: "first member down, pve-cluster stopped on the second", wantOwner: true, setup: func(t *testing.T, r simRunner, clk *clock) *lock.Lock {
			l := mustAcquire(t, r, []string{"pve3"}, opts("ctl-a", clk))
			_ = r.m.PowerOff("pve1")
			if _, e, c := r.m.Exec("pve2", "systemctl stop pve-cluster", nil); c != 0 {
				t.Fatal(string(e))
			}
			return l
		}},
		{name: "freed after expiry, record left behind", setup: func(t *testing.T, r simRunner, clk *clock) *lock.Lock {
			mustAcquire(t, r, members, opts("ctl-a", clk))
			clk.Add(lock.DefaultTimeout + time.Second)
			if _, err := r.RunOn(context.Background(), "pve2", clusters.CmdQuorateLockUnlockRequest, nil); err != nil {
				t.Fatal(err)
			}
			if _, rec := onDisk(t, r, "pve1"); rec == "" {
				t.Fatal("the record should outlive the expired lock")
			}
			return nil
		}},
		{name: "held without a record", wantErr: "but it has no owner record", setup: func(t *testing.T, r simRunner, clk *clock) *lock.Lock {
			if _, e, c := r.m.Exec("pve1", "mkdir "+clusters.QuorateLockDir, nil); c != 0 {
				t.Fatal(string(e))
			}
			return nil
		}},
		{name: "no member can tell", wantErr: "cannot inspect quorate's cluster lock /etc/pve/priv/lock/quorate through any member: pve1: cannot reach pve1", setup: func(t *testing.T, r simRunner, clk *clock) *lock.Lock {
			for _, n := range members {
				_ = r.m.PowerOff(n)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk, r := healthy(t)
			holder := tt.setup(t, r, clk)
			before, _, _ := m.Exec("pve3", "ls -1 /etc/pve/priv /etc/pve/priv/lock", nil)
			got, err := lock.Inspect(ctx, r, members)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Inspect = %v, %v; want error with %q", got, err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "no owner record") && !errors.As(err, new(*lock.HeldError)) {
					t.Errorf("err %T, want *HeldError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !tt.wantOwner && got != nil:
				t.Errorf("Inspect = %+v, want free", got)
			case tt.wantOwner && (got == nil || got.Token != holder.Owner().Token || got.Holder != "ctl-a" || got.Node != "pve3"):
				t.Errorf("Inspect = %+v, want %+v", got, holder.Owner())
			}
			if after, _, _ := m.Exec("pve3", "ls -1 /etc/pve/priv /etc/pve/priv/lock", nil); string(after) != string(before) {
				t.Errorf("Inspect changed /etc/pve/priv:\n%s\nwas\n%s", after, before)
			}
		})
	}
}
