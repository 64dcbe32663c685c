package lock_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/clusters/sim"
)

// lostRecorder collects Keep's lost calls.
type lostRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (l *lostRecorder) lost(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *lostRecorder) get() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// Inside a synctest bubble time is fake, for the model (Clock nil means
// time.Now) and for the lock alike: Keep's ticker fires without real
// waiting, and the test moves time with time.Sleep; synctest.Wait lets the
// renewals due by then finish.

// Keep renews the lock for as long as it runs, so another holder never
// gets it, and returns quietly when its context ends.
func TestKeep_HoldsTheLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := sim.Scenario("healthy")
		if err != nil {
			t.Fatal(err)
		}
		r := simRunner{m: m}
		a, err := lock.Acquire(t.Context(), r, members, lock.Options{Holder: "ctl-a"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var rec lostRecorder
		done := a.Keep(ctx, 0, rec.lost)
		time.Sleep(10 * time.Minute)
		if err := a.Valid(); err != nil {
			t.Errorf("Valid after 10 min of Keep: %v", err)
		}
		if _, err := lock.Acquire(t.Context(), r, members, lock.Options{Holder: "ctl-b"}); !errors.As(err, new(*lock.HeldError)) {
			t.Errorf("another holder's Acquire = %v, want *HeldError", err)
		}
		cancel()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("Keep did not return when its context ended")
		}
		if got := rec.get(); len(got) != 0 {
			t.Errorf("lost called: %v", got)
		}
	})
}

// Keep calls lost once and returns when a renewal shows the lock gone, or
// when renewals have failed until Valid no longer holds.
func TestKeep_ReportsLoss(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, m *sim.Model)
		want  string
	}{
		{name: "removed by hand", want: "the lock directory /etc/pve/priv/lock/quorate is gone", spoil: func(t *testing.T, m *sim.Model) {
			if _, e, c := m.Exec("pve2", clusters.CmdQuorateLockRelease, nil); c != 0 {
				t.Fatal(string(e))
			}
		}},
		{name: "holder's member down", want: "(last renewal attempt: renewing quorate's cluster lock: cannot reach pve1", spoil: func(t *testing.T, m *sim.Model) {
			if err := m.PowerOff("pve1"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m, err := sim.Scenario("healthy")
				if err != nil {
					t.Fatal(err)
				}
				a, err := lock.Acquire(t.Context(), simRunner{m: m}, members, lock.Options{Holder: "ctl-a"})
				if err != nil {
					t.Fatal(err)
				}
				var rec lostRecorder
				done := a.Keep(t.Context(), 30*time.Second, rec.lost)
				time.Sleep(time.Minute + time.Second) // two renewals
				tt.spoil(t, m)
				time.Sleep(2 * time.Minute)
				synctest.Wait()
				select {
				case <-done:
				default:
					t.Fatal("Keep still runs after the loss")
				}
				got := rec.get()
				if len(got) != 1 || !errors.Is(got[0], lock.ErrLost) || !strings.Contains(got[0].Error(), tt.want) {
					t.Fatalf("lost calls %v, want one ErrLost with %q", got, tt.want)
				}
				if err := a.Valid(); !errors.Is(err, lock.ErrLost) {
					t.Errorf("Valid = %v, want ErrLost", err)
				}
			})
		})
	}
}

// Release stops Keep without a lost call.
func TestKeep_StopsAfterRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := sim.Scenario("healthy")
		if err != nil {
			t.Fatal(err)
		}
		a, err := lock.Acquire(t.Context(), simRunner{m: m}, members, lock.Options{Holder: "ctl-a"})
		if err != nil {
			t.Fatal(err)
		}
		var rec lostRecorder
		done := a.Keep(t.Context(), 10*time.Second, rec.lost)
		time.Sleep(25 * time.Second)
		if err := a.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("Keep still runs after Release")
		}
		if got := rec.get(); len(got) != 0 {
			t.Errorf("lost called: %v", got)
		}
	})
}
