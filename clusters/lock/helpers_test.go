package lock_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/sshrun"
)

// members is the healthy scenario's members, in the order Acquire is
// given them unless a test says otherwise.
var members = []string{"pve1", "pve2", "pve3"}

// t0 is when the tests' fake clock starts.
var t0 = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

// clock is a fake clock shared by the model (pmxcfs's lock ages) and the
// controllers (Options.Now).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// simRunner runs commands on the model in memory with the contract of
// clusters.Remote.RunOn: a powered-off member is a transport error.
type simRunner struct {
	m *sim.Model
}

func (s simRunner) RunOn(ctx context.Context, node, cmd string, stdin []byte) (sshrun.Result, error) {
	if err := ctx.Err(); err != nil {
		return sshrun.Result{}, err
	}
	if !s.m.Powered(node) {
		return sshrun.Result{}, fmt.Errorf("dial tcp %s:22: connect: connection refused", node)
	}
	o, e, c := s.m.Exec(node, cmd, stdin)
	return sshrun.Result{Stdout: o, Stderr: e, Code: c}, nil
}

// healthy returns the healthy three-node model on a fake clock, and a
// runner on it.
func healthy(t *testing.T) (*sim.Model, *clock, simRunner) {
	t.Helper()
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	m.Clock = clk.Now
	return m, clk, simRunner{m: m}
}

// opts are a holder's options on clk.
func opts(holder string, clk *clock) lock.Options {
	return lock.Options{Holder: holder, Purpose: "reconcile", Now: clk.Now}
}

// mustAcquire takes the lock or fails the test.
func mustAcquire(t *testing.T, r lock.Runner, nodes []string, o lock.Options) *lock.Lock {
	t.Helper()
	l, err := lock.Acquire(context.Background(), r, nodes, o)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", o.Holder, err)
	}
	return l
}

// onDisk is what the model's pmxcfs holds on node: the lock directory's
// presence and the owner record ("" when absent).
func onDisk(t *testing.T, r simRunner, node string) (held bool, record string) {
	t.Helper()
	res, err := r.RunOn(context.Background(), node, "test -d "+clusters.QuorateLockDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.m.ReadFile(node, clusters.QuorateLockOwner)
	return res.Code == 0, string(b)
}
