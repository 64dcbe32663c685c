package clusters

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// observeNode reads one member: the API's /cluster/status, then over SSH the
// services, both corosync.conf copies, votequorum, the runtime config_version,
// link status and corosync's log. The SSH commands after the first run
// concurrently on the node's one connection.
func (r *Remote) observeNode(ctx context.Context, m *api.Member) (state.Node, error) {
	n := state.Node{Name: m.Name, Corosync: state.Unknown, PVECluster: state.Unknown}
	var apiErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := r.api(m.Name)
		if c == nil {
			n.API = state.Reach{Error: "no API client"}
			return
		}
		st, err := c.ClusterStatus(ctx)
		if err != nil {
			n.API = state.Reach{Error: err.Error()}
			apiErr = err
			return
		}
		n.API = state.Reach{OK: true}
		n.PVE = st
	}()
	sshErr := r.observeSSH(ctx, m, &n)
	wg.Wait()
	for _, err := range []error{sshErr, apiErr} {
		if err != nil && mustStop(err) {
			return n, fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return n, nil
}

func (r *Remote) observeSSH(ctx context.Context, m *api.Member, n *state.Node) error {
	res, err := r.run(ctx, m, CmdServices, nil)
	if err != nil {
		n.SSH = state.Reach{Error: err.Error()}
		return err
	}
	n.SSH = state.Reach{OK: true}
	if units, perr := cmdout.ParseServices(res.Stdout, 2); perr == nil {
		n.Corosync, n.PVECluster = units[0], units[1]
	}
	// else both stay Unknown: a node we cannot read is never taken for healthy.
	type job struct {
		cmd  string
		done func(sshrun.Result)
	}
	jobs := []job{
		{CmdCat(ClusterConfPath), func(res sshrun.Result) {
			if res.Code == 0 {
				n.ClusterConf = state.NewConfCopy(res.Stdout)
			}
		}},
		{CmdCat(LocalConfPath), func(res sshrun.Result) {
			if res.Code == 0 {
				n.LocalConf = state.NewConfCopy(res.Stdout)
			}
		}},
		{CmdQuorum, func(res sshrun.Result) {
			// 0 quorate, 2 inquorate, 1 corosync not running (reference §3.6).
			if res.Code == 0 || res.Code == 2 {
				if q, err := cmdout.ParseQuorumtool(res.Stdout); err == nil {
					n.Quorum = q
				}
			}
		}},
		{CmdRuntimeVersion, func(res sshrun.Result) {
			if res.Code == 0 {
				if v, err := cmdout.ParseCmapUint(res.Stdout); err == nil {
					n.RuntimeVersion = &v
				}
			}
		}},
		{CmdLinks, func(res sshrun.Result) {
			if res.Code == 0 {
				if links, err := cmdout.ParseCfgtoolStatus(res.Stdout); err == nil {
					n.Links = links
				}
			}
		}},
		{CmdPVEVersion, func(res sshrun.Result) {
			if res.Code == 0 {
				n.PVEVersion = cmdout.ParsePVEVersion(res.Stdout)
			}
		}},
		{CmdCorosyncLog, func(res sshrun.Result) {
			if res.Code == 0 {
				n.CMAPRejection = cmdout.FindCMAPRejection(res.Stdout)
			}
		}},
	}
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.run(ctx, m, j.cmd, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", j.cmd, err))
				return
			}
			j.done(res)
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		// The connection answered once; a later failure leaves the node only
		// partly observed, which must not look like a healthy one.
		n.SSH = state.Reach{Error: strings.Join(errs, "; ")}
	}
	return nil
}
