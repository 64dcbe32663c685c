package lock

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Keep starts renewing the lock in the background, every interval, until
// ctx ends or the lock is released, and returns at once. The channel it
// returns is closed when the renewals have stopped. every <= 0 means a
// quarter of the timeout (30 s), so that a renewal that fails once is
// retried well before Valid gives up at half the timeout. Call it once per
// Lock.
//
// lost (which may be nil) is called once, from the background goroutine,
// and the renewals then stop, when a renewal shows the lock is no longer
// ours (the error wraps ErrLost) or when renewals have failed for so long
// that Valid no longer holds (the error wraps ErrLost and names the last
// failure). The holder must then stop changing the cluster; Valid says so
// too. A renewal that fails while Valid still holds is retried at the next
// tick.
func (l *Lock) Keep(ctx context.Context, every time.Duration, lost func(error)) <-chan struct{} {
	if every <= 0 {
		every = l.o.Timeout / 4
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.keep(ctx, every, lost)
	}()
	return done
}

// keep is Keep's loop.
func (l *Lock) keep(ctx context.Context, every time.Duration, lost func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := l.Renew(ctx)
		switch {
		case err == nil:
			continue
		case errors.Is(err, ErrReleased) || ctx.Err() != nil:
			return
		case errors.Is(err, ErrLost):
			report(lost, err)
			return
		}
		if verr := l.Valid(); verr != nil {
			if errors.Is(verr, ErrReleased) {
				return
			}
			report(lost, fmt.Errorf("%w (last renewal attempt: %v)", verr, err))
			return
		}
	}
}

// report calls lost when it is set.
func report(lost func(error), err error) {
	if lost != nil {
		lost(err)
	}
}
