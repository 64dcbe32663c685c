package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sshrun"
)

// DefaultTimeout is pmxcfs's lock expiry, CFS_LOCK_TIMEOUT (reference §6.6).
const DefaultTimeout = 120 * time.Second

// Options says who takes the lock. The zero value is valid.
type Options struct {
	// Holder names this controller in the owner record. A controller that
	// restarts with the same Holder takes back a lock its earlier run still
	// holds, so two replicas must never share one. "" means
	// "quorate@HOSTNAME".
	Holder string
	// Purpose is shown to operators and other holders ("" for none).
	Purpose string
	// Timeout is pmxcfs's lock expiry on the cluster; 0 means
	// DefaultTimeout. Only tests against a simulator with a shorter
	// sim.Model.LockTimeout change it.
	Timeout time.Duration
	// Now is the controller's clock; nil means time.Now.
	Now func() time.Time
}

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Holder == "" {
		o.Holder = "quorate@" + hostname()
	}
	return o
}

// hostname is the controller's host name, "unknown" when the system cannot
// tell.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}

// Acquire takes quorate's cluster lock through the first of nodes (member
// names, quorate ones first) that can act, and returns it with its owner
// record written. On each member, in order:
//
//   - mkdir succeeds: the lock is ours; the owner record is written.
//   - "File exists": the lock exists. If its owner record names
//     o.Holder and was renewed within the timeout, an earlier run of this
//     controller holds it: it is taken back by renewing it through the
//     member it was taken through. Otherwise an unlock request asks
//     pmxcfs to free it if it has expired, and mkdir is tried once more;
//     if it is still held, Acquire returns a *HeldError naming the holder
//     and tries no other member (the lock is cluster-wide).
//   - "Permission denied" (pmxcfs read-only, no quorum), any other
//     failure, or a member that cannot be reached: the next member.
//
// When no member could act the error is an *UnavailableError listing each
// member's reason. Nothing is created while the lock is held by another
// holder. Acquire does not wait or retry; the caller decides when to try
// again.
func Acquire(ctx context.Context, r Runner, nodes []string, o Options) (*Lock, error) {
	o = o.withDefaults()
	if len(nodes) == 0 {
		return nil, errors.New("cannot take quorate's cluster lock: no members to take it through")
	}
	var fails []MemberError
	for _, node := range nodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, err := acquireOn(ctx, r, node, o)
		if err == nil {
			return l, nil
		}
		var held *HeldError
		var fatal *ownerWriteError
		if errors.As(err, &held) || errors.As(err, &fatal) || ctx.Err() != nil {
			return nil, err
		}
		fails = append(fails, MemberError{Node: node, Err: err})
	}
	return nil, &UnavailableError{Op: "take", Failures: fails}
}

// acquireOn is Acquire's work on one member.
func acquireOn(ctx context.Context, r Runner, node string, o Options) (*Lock, error) {
	start := o.Now()
	res, err := r.RunOn(ctx, node, clusters.CmdQuorateLockTake, nil)
	if err != nil {
		return nil, &transportError{node: node, err: err}
	}
	if res.Code == 0 {
		return own(ctx, r, node, o, start)
	}
	if !exists(res) {
		return nil, takeFailure(res)
	}
	rec, recErr := readOwner(ctx, r, node)
	var te *transportError
	if errors.As(recErr, &te) {
		return nil, recErr
	}
	var retakeErr error
	if recErr == nil && rec.Holder == o.Holder && start.Sub(rec.Renewed) < o.Timeout {
		l, err := retake(ctx, r, rec, o)
		if err == nil {
			return l, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		retakeErr = err
	}
	// Ask pmxcfs to free the lock if it has expired; the touch's status
	// means nothing (it fails even when the request deletes the lock),
	// as in PVE::Cluster's cfs_lock.
	_, _ = r.RunOn(ctx, node, clusters.CmdQuorateLockUnlockRequest, nil)
	start = o.Now()
	res, err = r.RunOn(ctx, node, clusters.CmdQuorateLockTake, nil)
	if err != nil {
		return nil, &transportError{node: node, err: err}
	}
	if res.Code == 0 {
		return own(ctx, r, node, o, start)
	}
	if !exists(res) {
		return nil, takeFailure(res)
	}
	// Read the record again: it may have changed hands meanwhile.
	if again, err := readOwner(ctx, r, node); !errors.As(err, &te) {
		rec, recErr = again, err
	}
	held := &HeldError{Node: node, Timeout: o.Timeout}
	if recErr != nil {
		held.Unknown = recErr.Error()
	} else {
		held.Owner = *rec
		if rec.Holder == o.Holder {
			held.Retake = retakeErr
		}
	}
	return nil, held
}

// exists reports whether mkdir failed because the lock exists.
func exists(res sshrun.Result) bool { return strings.Contains(string(res.Stderr), "File exists") }

// takeFailure explains a mkdir that failed for another reason than an
// existing lock.
func takeFailure(res sshrun.Result) error {
	stderr := string(res.Stderr)
	switch {
	case strings.Contains(stderr, "Permission denied"):
		return ErrReadOnly
	case strings.Contains(stderr, "No such file or directory"):
		return errors.New("/etc/pve/priv/lock does not exist there: pve-cluster is not running (pmxcfs not mounted), or the cluster never took a lock (then create it with mkdir /etc/pve/priv/lock)")
	}
	return fmt.Errorf("mkdir %s failed (exit %d): %s", clusters.QuorateLockDir, res.Code, firstLine(res.Stderr))
}

// ownerWriteError: the lock was taken but its owner record could not be
// written. Acquire stops there (another member would find our own lock).
type ownerWriteError struct{ msg string }

func (e *ownerWriteError) Error() string { return e.msg }

// own finishes a successful mkdir through node at start: it writes the
// owner record. If that fails it releases the lock again.
func own(ctx context.Context, r Runner, node string, o Options, start time.Time) (*Lock, error) {
	rec := Owner{
		Holder: o.Holder, Host: hostname(), PID: os.Getpid(), Purpose: o.Purpose,
		Node: node, Token: newToken(), Acquired: start.UTC(), Renewed: start.UTC(),
	}
	if err := writeOwner(ctx, r, rec); err != nil {
		msg := fmt.Sprintf("took quorate's cluster lock %s through %s but could not record the owner: %v", clusters.QuorateLockDir, node, err)
		res, rerr := r.RunOn(ctx, node, clusters.CmdQuorateLockRelease, nil)
		if rerr == nil && res.Code == 0 {
			return nil, &ownerWriteError{msg + "; released it again. Nothing was changed; try again"}
		}
		return nil, &ownerWriteError{msg + fmt.Sprintf("; releasing it failed too, so it stays held until pmxcfs frees it %s after it was taken (or remove %s by hand). Nothing was changed", seconds(o.Timeout), clusters.QuorateLockDir)}
	}
	return newLock(r, o, rec, start), nil
}

// retake takes back the lock an earlier run of this controller holds
// (rec names o.Holder): renew it through rec.Node, the only member that
// can, check the record is still rec, and write a new record.
func retake(ctx context.Context, r Runner, rec *Owner, o Options) (*Lock, error) {
	start := o.Now()
	old := newLock(r, o, *rec, time.Time{})
	if err := old.confirm(ctx); err != nil {
		return nil, err
	}
	now := Owner{
		Holder: o.Holder, Host: hostname(), PID: os.Getpid(), Purpose: o.Purpose,
		Node: rec.Node, Token: newToken(), Acquired: start.UTC(), Renewed: start.UTC(),
	}
	if err := writeOwner(ctx, r, now); err != nil {
		return nil, err
	}
	return newLock(r, o, now, start), nil
}
