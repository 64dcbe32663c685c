package clusters

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// observeJoiners fills Node.Joiner for every declared member that the
// authority's /etc/pve/corosync.conf does not list: what Proxmox's join check
// (assert_joinable, reference §2.9) looks at on the node. Members are read
// concurrently. Nothing here stops the observation: a read that fails sets
// Joiner.Error and leaves the rest unknown. When the authority's file does
// not parse, nobody is known to be outside the cluster and nothing is read.
func (r *Remote) observeJoiners(ctx context.Context, obs *state.Cluster, auth *state.Node) {
	conf, err := auth.ClusterConf.Parsed()
	if err != nil {
		return
	}
	inConf := map[string]bool{}
	for _, n := range conf.Nodes() {
		inConf[n.Name] = true
	}
	var wg sync.WaitGroup
	for i := range obs.Nodes {
		n := &obs.Nodes[i]
		m := r.decl.Member(n.Name)
		if m == nil || inConf[n.Name] {
			continue
		}
		if !n.SSH.OK {
			n.Joiner = &state.JoinerFacts{Error: "not observed: the node did not answer over SSH"}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Joiner = r.joinerFacts(ctx, m)
		}()
	}
	wg.Wait()
}

// joinerFacts reads one member's addresses, /etc/corosync and its guest
// configuration files, concurrently.
func (r *Remote) joinerFacts(ctx context.Context, m *api.Member) *state.JoinerFacts {
	if !nodeName.MatchString(m.Name) {
		// The name goes into a path below; api.Validate already refuses this.
		return &state.JoinerFacts{Error: fmt.Sprintf("%q is not a node name", m.Name)}
	}
	f := &state.JoinerFacts{}
	var (
		wg     sync.WaitGroup
		errs   = make([]error, 4)
		guests = make([][]int, 2)
	)
	wg.Add(4)
	go func() {
		defer wg.Done()
		out, err := r.runOK(ctx, m, CmdInterfaces, false)
		if err == nil {
			f.Interfaces, err = cmdout.ParseIPAddr(out)
		}
		errs[0] = err
	}()
	go func() {
		defer wg.Done()
		out, err := r.runOK(ctx, m, CmdListCorosyncDir, true)
		for _, l := range listLines(out) {
			if l == "authkey" {
				f.Authkey = true
			}
		}
		errs[1] = err
	}()
	for i, dir := range []string{"qemu-server", "lxc"} {
		go func() {
			defer wg.Done()
			out, err := r.runOK(ctx, m, CmdListDir(path.Join(NodesDir, m.Name, dir)), true)
			guests[i] = guestIDs(out)
			errs[2+i] = err
		}()
	}
	wg.Wait()
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return &state.JoinerFacts{Error: strings.Join(msgs, "; ")}
	}
	f.Guests = append(guests[0], guests[1]...)
	sort.Ints(f.Guests)
	return f
}

// runOK runs cmd on m and returns its output. A non-zero exit is an error,
// except "No such file or directory" when missingOK (an absent directory
// lists nothing).
func (r *Remote) runOK(ctx context.Context, m *api.Member, cmd string, missingOK bool) ([]byte, error) {
	res, err := r.run(ctx, m, cmd, nil)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", cmd, err)
	case res.Code == 0:
		return res.Stdout, nil
	case missingOK && strings.Contains(string(res.Stderr), "No such file or directory"):
		return nil, nil
	}
	return nil, fmt.Errorf("%s: exit %d: %s", cmd, res.Code, strings.TrimSpace(string(res.Stderr)))
}

// guestIDs returns the VMIDs of the "<vmid>.conf" entries of a qemu-server
// or lxc directory listing; other entries (editor or temp files) are not
// guests. Never nil.
func guestIDs(out []byte) []int {
	ids := []int{}
	for _, l := range listLines(out) {
		base, ok := strings.CutSuffix(l, ".conf")
		if !ok {
			continue
		}
		if id, err := strconv.Atoi(base); err == nil && id > 0 && strconv.Itoa(id) == base {
			ids = append(ids, id)
		}
	}
	return ids
}
