package simnet

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// fakeBackend is a tiny Backend: enough to see that requests reach the right
// node with the right input.
//
// SSH commands: "hostname", "cat" (echo stdin), "exit N", "poweroff".
// API: GET /version, GET /cluster/status, anything else echoes
// {method, path, form} as data.
type fakeBackend struct {
	nodes []string

	mu  sync.Mutex
	off map[string]bool
}

func newFake(nodes ...string) *fakeBackend {
	return &fakeBackend{nodes: nodes, off: map[string]bool{}}
}

func (f *fakeBackend) ClusterName() string { return "lab" }
func (f *fakeBackend) Nodes() []string     { return append([]string(nil), f.nodes...) }

func (f *fakeBackend) Powered(node string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.off[node]
}

func (f *fakeBackend) setPower(node string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.off[node] = !on
}

func (f *fakeBackend) Exec(node, cmd string, stdin []byte) ([]byte, []byte, int) {
	fields := strings.Fields(cmd)
	switch {
	case cmd == "hostname":
		return []byte(node + "\n"), nil, 0
	case cmd == "cat":
		return stdin, nil, 0
	case len(fields) == 2 && fields[0] == "exit":
		n, _ := strconv.Atoi(fields[1])
		return nil, []byte(fmt.Sprintf("exiting %d\n", n)), n
	case cmd == "poweroff":
		f.setPower(node, false)
		return nil, nil, 0
	}
	return nil, []byte("bash: " + fields[0] + ": command not found\n"), 127
}

func (f *fakeBackend) API(node, method, path string, form url.Values) (int, []byte) {
	switch {
	case method == "GET" && path == "/version":
		return 200, []byte(`{"data":{"version":"9.1.2","release":"9.1","repoid":"deadbeef"}}`)
	case method == "GET" && path == "/cluster/status":
		var b strings.Builder
		fmt.Fprintf(&b, `{"data":[{"type":"cluster","id":"cluster","name":"lab","version":"3","nodes":%d,"quorate":1}`, len(f.nodes))
		for i, n := range f.nodes {
			local := 0
			if n == node {
				local = 1
			}
			fmt.Fprintf(&b, `,{"type":"node","id":"node/%s","name":%q,"nodeid":%d,"local":%d,"online":1}`, n, n, i+1, local)
		}
		b.WriteString("]}")
		return 200, []byte(b.String())
	}
	data, _ := json.Marshal(map[string]any{"node": node, "method": method, "path": path, "form": form})
	return 200, []byte(`{"data":` + string(data) + `}`)
}
