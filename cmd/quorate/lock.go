package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/state"
)

// The CLI honours the controller's cluster lock (clusters/lock): apply takes
// it for as long as it changes the cluster, plan and observe say when someone
// holds it.

// cliHolder names this command in the lock's owner record. The same name
// from the same host re-takes a lock a killed apply left behind.
func cliHolder() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return "quorate-apply@" + h
}

// takeLock takes the cluster lock for apply and keeps renewing it until the
// returned release is called.
func takeLock(ctx context.Context, remote *clusters.Remote, obs *state.Cluster) (release func(), err error) {
	l, err := lock.Acquire(ctx, remote, lock.Members(obs), lock.Options{Holder: cliHolder(), Purpose: "quorate apply"})
	if err != nil {
		var he *lock.HeldError
		if errors.As(err, &he) {
			return nil, fmt.Errorf("%w\nAnother quorate (a controller or an apply) is changing this cluster; nothing was changed. Run plan again once it is done (`quorate status` on the controller shows its progress)", err)
		}
		return nil, fmt.Errorf("taking the cluster lock: %w\nNothing was changed", err)
	}
	kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.Keep(kctx, 0, func(err error) {
		fmt.Fprintf(os.Stderr, "quorate: the cluster lock was lost (%v); no further step starts\n", err)
	})
	return func() {
		stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := l.Release(rctx); err != nil {
			fmt.Fprintf(os.Stderr, "note: releasing the cluster lock failed (%v); pmxcfs expires it 120 s after its last renewal\n", err)
		}
	}, nil
}

// lockNote tells the operator when someone holds the cluster lock: the
// plan may be overtaken by the change in progress.
func lockNote(ctx context.Context, remote *clusters.Remote, obs *state.Cluster, w io.Writer) {
	o, err := lock.Inspect(ctx, remote, lock.Members(obs))
	var he *lock.HeldError
	switch {
	case errors.As(err, &he):
		fmt.Fprintf(w, "note: %v\n", he)
	case err != nil:
		// Reading the lock is advisory for plan; the observation stands.
	case o != nil:
		fmt.Fprintf(w, "note: the cluster lock is held by %s (%s via %s, since %s): a change is in progress and this plan may soon be out of date\n",
			o.Holder, o.Purpose, o.Node, o.Acquired.Format(time.RFC3339))
	}
}
