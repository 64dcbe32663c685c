package clusters_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// memRunner runs node commands on a simulator model in memory, with the same
// contract as *sshrun.Runner: a powered-off node is a transport error, a
// non-zero exit is data. Latency is added per command (benchmarks).
type memRunner struct {
	m       *sim.Model
	node    map[string]string // addr → node name
	latency time.Duration

	mu    sync.Mutex
	calls int
	// log holds "node: cmd" for every command that reached a node, and
	// stdins the standard input each of them was given.
	log    []string
	stdins [][]byte
	// failOn makes the n-th matching command fail as a transport error.
	failOn func(node, cmd string) error
	// reply, when it returns true, answers a command instead of the model
	// (canned output of tools whose failures the model does not produce).
	reply func(node, cmd string) (sshrun.Result, bool)
}

func (r *memRunner) Run(ctx context.Context, addr, cmd string, stdin []byte) (sshrun.Result, error) {
	name, ok := r.node[addr]
	if !ok {
		return sshrun.Result{}, fmt.Errorf("dial %s: no such host", addr)
	}
	if r.latency > 0 {
		select {
		case <-time.After(r.latency):
		case <-ctx.Done():
			return sshrun.Result{}, ctx.Err()
		}
	}
	r.mu.Lock()
	r.calls++
	r.log = append(r.log, name+": "+cmd)
	r.stdins = append(r.stdins, append([]byte(nil), stdin...))
	fail, reply := r.failOn, r.reply
	r.mu.Unlock()
	if fail != nil {
		if err := fail(name, cmd); err != nil {
			return sshrun.Result{}, err
		}
	}
	if reply != nil {
		if res, ok := reply(name, cmd); ok {
			return res, nil
		}
	}
	if !r.m.Powered(name) {
		return sshrun.Result{}, fmt.Errorf("dial tcp %s: connect: connection refused", addr)
	}
	out, errb, code := r.m.Exec(name, cmd, stdin)
	return sshrun.Result{Stdout: out, Stderr: errb, Code: code}, nil
}

func (r *memRunner) Close() error { return nil }

// since returns the commands logged after the first n.
func (r *memRunner) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log[n:]...)
}

// mark returns the log position for since.
func (r *memRunner) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// stdinOf returns the standard input of the last logged command that
// starts with prefix, and whether there was one.
func (r *memRunner) stdinOf(prefix string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.log) - 1; i >= 0; i-- {
		l := r.log[i]
		if strings.HasPrefix(l[strings.Index(l, ": ")+2:], prefix) {
			return r.stdins[i], true
		}
	}
	return nil, false
}

// memAPI answers the NodeAPI reads from the model's API.
type memAPI struct {
	m    *sim.Model
	node string
	// pin, when set, is checked as pveapi checks its TLS pin: against the
	// certificate fingerprint the node reports for itself (GET /nodes,
	// ssl_fingerprint); a mismatch is a *pveapi.FingerprintError and nothing
	// else is asked.
	pin string
}

// checkPin fails like a TLS handshake with the wrong certificate.
func (a memAPI) checkPin() error {
	if a.pin == "" {
		return nil
	}
	code, body := a.m.API(a.node, http.MethodGet, "/nodes", nil)
	if code != http.StatusOK {
		return fmt.Errorf("%s: GET /nodes: HTTP %d: %s", a.node, code, body)
	}
	var env struct {
		Data []struct {
			Node           string `json:"node"`
			SSLFingerprint string `json:"ssl_fingerprint"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	for _, n := range env.Data {
		if n.Node == a.node && !strings.EqualFold(n.SSLFingerprint, a.pin) {
			return &pveapi.FingerprintError{URL: "https://" + a.node + ".sim:8006", Got: n.SSLFingerprint, Want: a.pin}
		}
	}
	return nil
}

// Repin returns a copy pinned to fingerprint (clusters.Repinner).
func (a memAPI) Repin(fingerprint string) (clusters.NodeAPI, error) {
	if _, err := pveapi.ParseFingerprint(fingerprint); err != nil {
		return nil, err
	}
	a.pin = fingerprint
	return a, nil
}

// JoinInfo is GET /cluster/config/join, values as pveapi returns them.
func (a memAPI) JoinInfo(context.Context) (*pveapi.JoinInfo, error) {
	if !a.m.Powered(a.node) {
		return nil, fmt.Errorf("%s: connection refused", a.node)
	}
	if err := a.checkPin(); err != nil {
		return nil, err
	}
	code, body := a.m.API(a.node, http.MethodGet, "/cluster/config/join", nil)
	if code != http.StatusOK {
		return nil, fmt.Errorf("%s: GET /cluster/config/join: HTTP %d: %s", a.node, code, body)
	}
	var env struct {
		Data struct {
			PreferredNode string           `json:"preferred_node"`
			Nodelist      []map[string]any `json:"nodelist"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	ji := &pveapi.JoinInfo{PreferredNode: env.Data.PreferredNode}
	for _, n := range env.Data.Nodelist {
		f := map[string]string{}
		for k, v := range n {
			f[k] = fmt.Sprint(v)
		}
		name := f["name"]
		if name == "" {
			name = f["node"]
		}
		ji.Nodelist = append(ji.Nodelist, pveapi.JoinNode{Name: name, NodeID: f["nodeid"], QuorumVotes: f["quorum_votes"],
			PVEAddr: f["pve_addr"], PVEFingerprint: f["pve_fp"], Fields: f})
	}
	return ji, nil
}

func (a memAPI) ClusterStatus(context.Context) (*state.PVEStatus, error) {
	if !a.m.Powered(a.node) {
		return nil, fmt.Errorf("%s: connection refused", a.node)
	}
	if err := a.checkPin(); err != nil {
		return nil, err
	}
	code, body := a.m.API(a.node, http.MethodGet, "/cluster/status", nil)
	if code != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", a.node, code, body)
	}
	return cmdout.ParseClusterStatus(body)
}

// memGet calls GET path on the model and parses the body.
func memGet[T any](a memAPI, path string, query url.Values, parse func([]byte) ([]T, error)) ([]T, error) {
	if !a.m.Powered(a.node) {
		return nil, fmt.Errorf("%s: connection refused", a.node)
	}
	if err := a.checkPin(); err != nil {
		return nil, err
	}
	code, body := a.m.API(a.node, http.MethodGet, path, query)
	if code != http.StatusOK {
		// The same error type the real client returns, so callers can tell
		// an absent endpoint (501) from a failure.
		return nil, &pveapi.APIError{Status: code, Message: fmt.Sprintf("%s: GET %s: %s", a.node, path, body)}
	}
	return parse(body)
}

func (a memAPI) Resources(_ context.Context, typ string) ([]state.Guest, error) {
	return memGet(a, "/cluster/resources", url.Values{"type": {typ}}, cmdout.ParseResources)
}

func (a memAPI) HARules(context.Context) ([]state.HARule, error) {
	return memGet(a, "/cluster/ha/rules", nil, cmdout.ParseHARules)
}

func (a memAPI) HAResources(context.Context) ([]state.HAResource, error) {
	return memGet(a, "/cluster/ha/resources", nil, cmdout.ParseHAResources)
}

func (a memAPI) HAGroups(context.Context) ([]state.HAGroup, error) {
	return memGet(a, "/cluster/ha/groups", nil, cmdout.ParseHAGroups)
}

func (a memAPI) Replication(context.Context) ([]state.ReplicationJob, error) {
	return memGet(a, "/cluster/replication", nil, cmdout.ParseReplication)
}

// inMemory returns a Remote over model m, declared as the model intends.
func inMemory(t testing.TB, m *sim.Model) (*api.Cluster, *clusters.Remote, *memRunner) {
	t.Helper()
	decl := m.Declaration()
	decl.Spec.Access.SSH.Port = 22
	decl.ApplyDefaults()
	r := &memRunner{m: m, node: map[string]string{}}
	apis := map[string]clusters.NodeAPI{}
	for i := range decl.Spec.Members {
		mem := &decl.Spec.Members[i]
		mem.Management.Host = mem.Name + ".sim"
		apis[mem.Name] = memAPI{m: m, node: mem.Name}
	}
	remote := clusters.NewRemote(&decl, r, apis)
	for i := range decl.Spec.Members {
		r.node[remote.SSHAddr(&decl.Spec.Members[i])] = decl.Spec.Members[i].Name
	}
	return &decl, remote, r
}
