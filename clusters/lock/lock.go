package lock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quorate/quorate/clusters"
)

// Lock is quorate's cluster lock, held by this controller since Acquire
// returned it. Its methods are safe for concurrent use; Renew and Release
// run one at a time.
type Lock struct {
	r Runner
	o Options

	op sync.Mutex // serialises the remote operations (Renew, Release)

	mu        sync.Mutex
	owner     Owner
	confirmed time.Time // by o.Now: just before the last take or renewal that succeeded
	released  bool
	lostErr   error // set once the lock is known lost; wraps ErrLost
}

func newLock(r Runner, o Options, owner Owner, confirmed time.Time) *Lock {
	return &Lock{r: r, o: o, owner: owner, confirmed: confirmed}
}

// Node is the member the lock was taken through; renewals go through it.
func (l *Lock) Node() string { return l.Owner().Node }

// Owner is the lock's current owner record, as last written.
func (l *Lock) Owner() Owner {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner
}

// Valid returns nil only while the last successful take or renewal is
// younger than half the timeout (by Options.Now), and the lock was neither
// found lost nor released: the check to make right before each change to
// the cluster. Otherwise the error wraps ErrLost (or is ErrReleased).
func (l *Lock) Valid() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.released:
		return ErrReleased
	case l.lostErr != nil:
		return l.lostErr
	}
	if age := l.o.Now().Sub(l.confirmed); age >= l.o.Timeout/2 {
		return lost("it was last confirmed %s ago through %s, and a lock is relied on only within half of pmxcfs's %s expiry (renewals failed or stopped)",
			age.Round(time.Second), l.owner.Node, seconds(l.o.Timeout))
	}
	return nil
}

// Renew renews the lock through its member and checks that the owner
// record still carries this Lock's token, then updates the record's
// Renewed time. A failure that shows the lock is no longer ours wraps
// ErrLost, and every later Renew and Valid returns it; any other failure
// (member unreachable, no quorum) leaves the lock as it was, and pmxcfs
// frees it 120 s after the last renewal that did succeed. After Release it
// returns ErrReleased.
func (l *Lock) Renew(ctx context.Context) error {
	l.op.Lock()
	defer l.op.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	start := l.o.Now()
	if err := l.confirm(ctx); err != nil {
		return l.fail(err)
	}
	l.mu.Lock()
	l.confirmed = start
	rec := l.owner
	l.mu.Unlock()
	rec.Renewed = start.UTC()
	if err := writeOwner(ctx, l.r, rec); err != nil {
		return fmt.Errorf("renewed quorate's cluster lock through %s, but could not update its owner record: %w", rec.Node, err)
	}
	l.mu.Lock()
	l.owner = rec
	l.mu.Unlock()
	return nil
}

// Release frees the lock: it first confirms the lock is still ours (never
// removing another holder's lock), then removes the owner record and the
// lock directory. Releasing twice is a no-op. On failure the lock stays
// until pmxcfs frees it 120 s after its last renewal.
func (l *Lock) Release(ctx context.Context) error {
	l.op.Lock()
	defer l.op.Unlock()
	l.mu.Lock()
	released, lostErr, node := l.released, l.lostErr, l.owner.Node
	l.mu.Unlock()
	if released {
		return nil
	}
	if lostErr != nil {
		return fmt.Errorf("not releasing quorate's cluster lock: %w", lostErr)
	}
	if err := l.confirm(ctx); err != nil {
		return fmt.Errorf("not releasing quorate's cluster lock: %w", l.fail(err))
	}
	res, err := l.r.RunOn(ctx, node, clusters.CmdQuorateLockRelease, nil)
	if err == nil && res.Code != 0 {
		err = errors.New(firstLine(res.Stderr))
	}
	if err != nil {
		return fmt.Errorf("releasing quorate's cluster lock through %s failed: %v; pmxcfs frees it %s after its last renewal, or remove %s and %s by hand once no quorate runs",
			node, err, seconds(l.o.Timeout), clusters.QuorateLockOwner, clusters.QuorateLockDir)
	}
	l.mu.Lock()
	l.released = true
	l.mu.Unlock()
	return nil
}

// usable returns ErrReleased or the lost error, if any.
func (l *Lock) usable() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return ErrReleased
	}
	return l.lostErr
}

// fail records err when it means the lock is lost, and returns it.
func (l *Lock) fail(err error) error {
	if errors.Is(err, ErrLost) {
		l.mu.Lock()
		if l.lostErr == nil {
			l.lostErr = err
		}
		l.mu.Unlock()
	}
	return err
}

// confirm renews the lock through its member (CmdQuorateLockRenew) and
// checks that the owner record printed still carries our token. When
// pmxcfs refuses the renewal the record is read to tell another holder
// (lost) from a read-only pmxcfs (not lost, just not renewed).
func (l *Lock) confirm(ctx context.Context) error {
	own := l.Owner()
	res, err := l.r.RunOn(ctx, own.Node, clusters.CmdQuorateLockRenew, nil)
	if err != nil {
		return fmt.Errorf("renewing quorate's cluster lock: %w", &transportError{node: own.Node, err: err})
	}
	if res.Code == 0 {
		return l.check(res.Stdout)
	}
	stderr := string(res.Stderr)
	switch {
	case strings.TrimSpace(stderr) == "":
		// test -d failed: the directory is gone.
		return lost("the lock directory %s is gone: it was removed by hand, or it expired and pmxcfs freed it", clusters.QuorateLockDir)
	case strings.Contains(stderr, "Permission denied"):
		rec, rerr := readOwner(ctx, l.r, own.Node)
		switch {
		case rerr == nil && rec.Token != own.Token:
			return lost("it is now held by %s, taken through %s at %s", rec.describe(), rec.Node, stamp(rec.Acquired))
		case errors.Is(rerr, errNoRecord):
			return lost("%s refused the renewal and the lock has no owner record: someone else holds it", own.Node)
		}
		return fmt.Errorf("renewing quorate's cluster lock through %s: %w", own.Node, ErrReadOnly)
	case strings.Contains(stderr, "No such file or directory"):
		return lost("its owner record %s is gone", clusters.QuorateLockOwner)
	}
	return fmt.Errorf("renewing quorate's cluster lock through %s failed (exit %d): %s", own.Node, res.Code, firstLine(res.Stderr))
}

// check verifies that an owner record is ours.
func (l *Lock) check(record []byte) error {
	own := l.Owner()
	rec, err := decodeOwner(record)
	if err != nil {
		return lost("%v", err)
	}
	if rec.Token != own.Token {
		return lost("it is now held by %s, taken through %s at %s", rec.describe(), rec.Node, stamp(rec.Acquired))
	}
	return nil
}
