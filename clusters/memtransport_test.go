package clusters_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
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
	// log holds "node: cmd" for every command that reached a node.
	log []string
	// failOn makes the n-th matching command fail as a transport error.
	failOn func(node, cmd string) error
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
	fail := r.failOn
	r.mu.Unlock()
	if fail != nil {
		if err := fail(name, cmd); err != nil {
			return sshrun.Result{}, err
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

// memAPI answers the NodeAPI reads from the model's API.
type memAPI struct {
	m    *sim.Model
	node string
}

func (a memAPI) ClusterStatus(context.Context) (*state.PVEStatus, error) {
	if !a.m.Powered(a.node) {
		return nil, fmt.Errorf("%s: connection refused", a.node)
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
	code, body := a.m.API(a.node, http.MethodGet, path, query)
	if code != http.StatusOK {
		return nil, fmt.Errorf("%s: GET %s: HTTP %d: %s", a.node, path, code, body)
	}
	return parse(body)
}

func (a memAPI) Resources(_ context.Context, typ string) ([]state.Guest, error) {
	return memGet(a, "/cluster/resources", url.Values{"type": {typ}}, cmdout.ParseResources)
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
