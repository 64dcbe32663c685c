package lock_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/clusters/sim"
)

// A controller takes the lock before a round, keeps it renewed while it
// works, checks it right before each change, and releases it at the end.
// A second controller meanwhile gets a *lock.HeldError. (A real controller
// passes a *clusters.Remote as the Runner.)
func Example() {
	m, _ := sim.Scenario("healthy")
	runner := simRunner{m: m}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	l, err := lock.Acquire(ctx, runner, []string{"pve1", "pve2", "pve3"}, lock.Options{Holder: "ctl-a", Purpose: "reconcile"})
	if err != nil {
		fmt.Println(err)
		return
	}
	l.Keep(ctx, 0, func(err error) { fmt.Println("stop acting:", err) })
	fmt.Println("held by", l.Owner().Holder, "through", l.Node())

	_, err = lock.Acquire(ctx, runner, []string{"pve2"}, lock.Options{Holder: "ctl-b"})
	var held *lock.HeldError
	fmt.Println("ctl-b blocked by", errors.As(err, &held) && held.Owner.Holder == "ctl-a")

	if err := l.Valid(); err == nil {
		fmt.Println("valid: change the cluster")
	}
	fmt.Println("release:", l.Release(ctx))
	// Output:
	// held by ctl-a through pve1
	// ctl-b blocked by true
	// valid: change the cluster
	// release: <nil>
}
