package lock_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/simnet"
)

// race starts one Acquire per runner at once (holder "ctl-I", members in
// rotated order) and checks exactly one wins and every loser got a
// HeldError naming the winner, or, when it looked between the winner's
// mkdir and its owner record, saying the record is missing. It returns the
// winner.
func race(t *testing.T, runners []lock.Runner) *lock.Lock {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	locks := make([]*lock.Lock, len(runners))
	errs := make([]error, len(runners))
	for i, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes := append(append([]string(nil), members[i%3:]...), members[:i%3]...)
			<-start
			locks[i], errs[i] = lock.Acquire(context.Background(), r, nodes, lock.Options{Holder: fmt.Sprintf("ctl-%d", i)})
		}()
	}
	close(start)
	wg.Wait()
	var winner *lock.Lock
	for i, l := range locks {
		if l == nil {
			continue
		}
		if winner != nil {
			t.Fatalf("two winners: %s and ctl-%d", winner.Owner().Holder, i)
		}
		winner = l
	}
	if winner == nil {
		t.Fatalf("nobody won: %v", errors.Join(errs...))
	}
	for i, err := range errs {
		if locks[i] != nil {
			continue
		}
		var held *lock.HeldError
		if !errors.As(err, &held) {
			t.Errorf("ctl-%d: %v, want *HeldError", i, err)
			continue
		}
		if held.Unknown == "" && held.Owner.Holder != winner.Owner().Holder {
			t.Errorf("ctl-%d: HeldError names %q, winner is %q", i, held.Owner.Holder, winner.Owner().Holder)
		}
	}
	return winner
}

// Eight controllers race for the lock through different members of the
// in-memory model, round after round: exactly one wins each time.
func TestRace_InMemory(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	runners := make([]lock.Runner, 8)
	for i := range runners {
		runners[i] = simRunner{m: m}
	}
	for round := 0; round < 20; round++ {
		w := race(t, runners)
		if err := w.Release(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// Two controllers, each with its own SSH connections, race through the
// simulator's real SSH servers (clusters/simnet, clusters.Remote.RunOn):
// exactly one wins each round.
func TestRace_OverSSH(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simnet.Start(m, simnet.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m.SetFingerprints(srv.Fingerprints())
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := srv.WriteConfig(path, m.Declaration()); err != nil {
		t.Fatal(err)
	}
	decl, err := api.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	runners := make([]lock.Runner, 2)
	for i := range runners {
		remote, err := clusters.Connect(decl, clusters.ConnectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { remote.Close() })
		runners[i] = remote
	}
	for round := 0; round < 5; round++ {
		w := race(t, runners)
		if err := w.Renew(context.Background()); err != nil {
			t.Fatalf("round %d: winner's Renew: %v", round, err)
		}
		if err := w.Release(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
