package lock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/quorate/quorate/clusters"
)

// Inspect reports who holds quorate's cluster lock, as the first of nodes
// that can tell sees it, without changing anything: nil, nil when the lock
// is free (an owner record left behind by an expired lock does not count);
// the owner record when it is held; a *HeldError with Unknown set when it
// is held without a readable owner record; an *UnavailableError when no
// member could tell (unreachable, or pmxcfs not mounted). A held lock may
// have expired (pmxcfs frees it only on request): compare Owner.Renewed
// with the timeout.
func Inspect(ctx context.Context, r Runner, nodes []string) (*Owner, error) {
	var fails []MemberError
	for _, node := range nodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		held, err := heldOn(ctx, r, node)
		if err != nil {
			fails = append(fails, MemberError{Node: node, Err: err})
			continue
		}
		if !held {
			return nil, nil
		}
		rec, err := readOwner(ctx, r, node)
		var te *transportError
		switch {
		case errors.As(err, &te):
			fails = append(fails, MemberError{Node: node, Err: err})
			continue
		case err != nil:
			return nil, &HeldError{Node: node, Unknown: err.Error(), Timeout: DefaultTimeout}
		}
		return rec, nil
	}
	return nil, &UnavailableError{Op: "inspect", Failures: fails}
}

// heldOn reports whether node's pmxcfs lists the lock.
func heldOn(ctx context.Context, r Runner, node string) (bool, error) {
	res, err := r.RunOn(ctx, node, clusters.CmdClusterLocks, nil)
	if err != nil {
		return false, &transportError{node: node, err: err}
	}
	if res.Code == 0 {
		for _, name := range strings.Split(string(res.Stdout), "\n") {
			if name == path.Base(clusters.QuorateLockDir) {
				return true, nil
			}
		}
		return false, nil
	}
	// No lock directory at all: free if pmxcfs is mounted, else unknown.
	m, err := r.RunOn(ctx, node, clusters.CmdPmxcfsMounted, nil)
	if err != nil {
		return false, &transportError{node: node, err: err}
	}
	if m.Code == 0 {
		return false, nil
	}
	return false, fmt.Errorf("pmxcfs is not mounted there (is pve-cluster running?)")
}
