package clusters

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/state"
)

// guestType is the /cluster/resources type filter for VMs and containers.
const guestType = "vm"

// observeShared reads the cluster-wide data once, from member m (the
// authority): over SSH the node directories, authorized_keys and known_hosts;
// over its API guests, HA resources and groups, and replication jobs. All
// seven reads run concurrently, one call each.
//
// An API failure sets APIError and leaves every API list nil, so that unknown
// is never taken for empty. An SSH read that fails (transport, or an exit
// other than "No such file or directory") makes the whole result nil: Shared
// has no place to say "unknown" for those, and nil already means "not
// observed" to the planner. Trust failures (host key, TLS fingerprint) are
// returned as errors: they stop the run.
func (r *Remote) observeShared(ctx context.Context, m *api.Member) (*state.Shared, error) {
	sh := &state.Shared{From: m.Name}
	var wg sync.WaitGroup
	var sshErr, apiErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		sshErr = r.sharedFiles(ctx, m, sh)
	}()
	go func() {
		defer wg.Done()
		apiErr = r.sharedAPI(ctx, m, sh)
	}()
	wg.Wait()
	for _, err := range []error{sshErr, apiErr} {
		if err != nil && mustStop(err) {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	if sshErr != nil {
		return nil, nil
	}
	return sh, nil
}

// sharedFiles fills NodeDirs, AuthorizedKeys and KnownHosts.
func (r *Remote) sharedFiles(ctx context.Context, m *api.Member, sh *state.Shared) error {
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		res, err := r.run(ctx, m, CmdListNodeDirs, nil)
		switch {
		case err != nil:
			errs[0] = err
		case res.Code != 0:
			errs[0] = fmt.Errorf("%s: exit %d: %s", CmdListNodeDirs, res.Code, strings.TrimSpace(string(res.Stderr)))
		default:
			sh.NodeDirs = listLines(res.Stdout)
		}
	}()
	for i, f := range []struct {
		path string
		dst  *state.FileCopy
	}{{AuthorizedKeysPath, &sh.AuthorizedKeys}, {KnownHostsPath, &sh.KnownHosts}} {
		go func() {
			defer wg.Done()
			res, err := r.run(ctx, m, CmdCat(f.path), nil)
			switch {
			case err != nil:
				errs[i+1] = err
			case res.Code == 0:
				*f.dst = state.NewFileCopy(res.Stdout)
			case strings.Contains(string(res.Stderr), "No such file or directory"):
				*f.dst = state.FileCopy{}
			default:
				errs[i+1] = fmt.Errorf("cat %s: exit %d: %s", f.path, res.Code, strings.TrimSpace(string(res.Stderr)))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listLines returns the non-empty lines of out, sorted; never nil.
func listLines(out []byte) []string {
	names := []string{}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	sort.Strings(names)
	return names
}

// sharedAPI fills the API lists, or APIError with every list nil. It returns
// the first error that must stop the run, if any.
func (r *Remote) sharedAPI(ctx context.Context, m *api.Member, sh *state.Shared) error {
	c := r.api(m.Name)
	if c == nil {
		sh.APIError = "no API client for " + m.Name
		return nil
	}
	var (
		wg       sync.WaitGroup
		guests   []state.Guest
		haRes    []state.HAResource
		haGroups []state.HAGroup
		haRules  []state.HARule
		repl     []state.ReplicationJob
		errs     = make([]error, 5)
	)
	wg.Add(5)
	go func() { defer wg.Done(); guests, errs[0] = c.Resources(ctx, guestType) }()
	go func() { defer wg.Done(); haRes, errs[1] = c.HAResources(ctx) }()
	go func() { defer wg.Done(); haGroups, errs[2] = c.HAGroups(ctx) }()
	go func() { defer wg.Done(); repl, errs[3] = c.Replication(ctx) }()
	go func() { defer wg.Done(); haRules, errs[4] = c.HARules(ctx) }()
	wg.Wait()
	// HA groups (Proxmox VE 8) and rules (9) each exist on one version
	// only: an endpoint the node does not have means "none of those".
	for _, i := range []int{2, 4} {
		if endpointAbsent(errs[i]) {
			errs[i] = nil
		}
	}
	var msgs []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		if mustStop(err) {
			return err
		}
		msgs = append(msgs, err.Error())
	}
	if len(msgs) > 0 {
		sh.APIError = strings.Join(msgs, "; ")
		return nil
	}
	// A successful read of an empty list is an empty list, not unknown.
	sh.Guests = nonNil(guests)
	sh.HAResources = nonNil(haRes)
	sh.HAGroups = nonNil(haGroups)
	sh.HARules = nonNil(haRules)
	sh.Replication = nonNil(repl)
	return nil
}

// endpointAbsent reports an API answer meaning "no such endpoint here":
// 501 (pveproxy's "Method 'GET /x' not implemented") or 404.
func endpointAbsent(err error) bool {
	var ae *pveapi.APIError
	return errors.As(err, &ae) && (ae.Status == 501 || ae.Status == 404)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
