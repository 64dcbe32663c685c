package lock

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quorate/quorate/clusters"
)

// ErrLost is wrapped by every error that means this Lock is no longer, or
// can no longer be shown to be, held: another holder took it, it was
// removed, or (from Valid) it was not confirmed recently enough. The
// holder must stop changing the cluster and Acquire again.
var ErrLost = errors.New("quorate's cluster lock is no longer held by this controller")

// ErrReleased is what Renew and Valid return after Release.
var ErrReleased = errors.New("quorate's cluster lock was released by this controller")

// ErrReadOnly is wrapped by a member's failure when its pmxcfs refused the
// lock with "Permission denied": it is read-only because that member has
// no quorum (reference §6.1).
var ErrReadOnly = errors.New("pmxcfs is read-only there (no quorum)")

// lost wraps ErrLost with what happened and what to do.
func lost(format string, a ...any) error {
	return fmt.Errorf("%w: %s; stop changing the cluster and acquire the lock again", ErrLost, fmt.Sprintf(format, a...))
}

// HeldError is Acquire's (and Inspect's) answer when the lock is held by
// another holder. Nothing was changed.
type HeldError struct {
	// Owner is the holder's owner record; zero when Unknown is set.
	Owner Owner
	// Unknown says why the holder cannot be named (no owner record, or an
	// unreadable one); "" when Owner was read.
	Unknown string
	// Node is the member that reported the lock held.
	Node string
	// Timeout is how long after its last renewal pmxcfs frees the lock.
	Timeout time.Duration
	// Retake is why this controller could not take back a lock whose record
	// names its own Holder (an earlier run); nil when it did not try.
	Retake error
}

// Error names the holder, the member it was taken through, when it was
// taken and last renewed, and when pmxcfs frees it.
func (e *HeldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "quorate's cluster lock %s is held", clusters.QuorateLockDir)
	if e.Unknown != "" {
		fmt.Fprintf(&b, " (seen through %s), but %s: another controller may be taking it right now, or something else created it. pmxcfs frees it %s after its last change if nobody renews it",
			e.Node, e.Unknown, seconds(e.Timeout))
	} else {
		o := e.Owner
		fmt.Fprintf(&b, " by %s, taken through %s at %s, last renewed %s; pmxcfs frees it %s after its last renewal if the holder stops renewing it",
			o.describe(), o.Node, stamp(o.Acquired), stamp(o.Renewed), seconds(e.Timeout))
		if e.Retake != nil {
			fmt.Fprintf(&b, ". That is this controller's own holder name (an earlier run), but taking it back through %s failed: %v", o.Node, e.Retake)
		}
	}
	b.WriteString(". Nothing was changed; stop the other controller or wait for it to finish, then try again")
	return b.String()
}

// MemberError is why the lock could not be taken (or read) through one
// member.
type MemberError struct {
	Node string
	Err  error
}

// Error is "NODE: reason".
func (e MemberError) Error() string { return e.Node + ": " + e.Err.Error() }

// UnavailableError is Acquire's (and Inspect's) answer when no member
// could act: each member's reason, in the order tried. Nothing was
// changed. errors.Is(err, ErrReadOnly) holds when some member was
// inquorate.
type UnavailableError struct {
	// Op is what was attempted ("take", "inspect").
	Op       string
	Failures []MemberError
}

// Error lists every member's reason and says what to do.
func (e *UnavailableError) Error() string {
	parts := make([]string, len(e.Failures))
	allReadOnly := len(e.Failures) > 0
	for i, f := range e.Failures {
		parts[i] = f.Error()
		allReadOnly = allReadOnly && errors.Is(f.Err, ErrReadOnly)
	}
	hint := "check that the members are up and reachable over SSH and that one of them is quorate, then run again"
	if allReadOnly {
		hint = "no member has quorum; bring the cluster back to quorum, then run again"
	}
	return fmt.Sprintf("cannot %s quorate's cluster lock %s through any member: %s. Nothing was changed; %s",
		e.Op, clusters.QuorateLockDir, strings.Join(parts, "; "), hint)
}

// Unwrap returns each member's error.
func (e *UnavailableError) Unwrap() []error {
	out := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		out[i] = f.Err
	}
	return out
}
