package clusters_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state"
)

// listBodies are PVE-shaped answers for the four list endpoints, numbers as
// numbers or strings (reference §1.2).
var listBodies = map[string]string{
	"/cluster/resources":    `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve3","name":"web"},{"id":"lxc/200","type":"lxc","vmid":"200","node":"pve1"}]}`,
	"/cluster/ha/resources": `{"data":[{"sid":"vm:100","type":"vm","state":"started","group":"g"}]}`,
	"/cluster/ha/groups":    `{"data":[{"group":"g","nodes":"pve3:2,pve2","type":"group"}]}`,
	"/cluster/replication":  `{"data":[{"id":"100-0","guest":100,"target":"pve2","type":"local","jobnum":0}]}`,
}

// serveLists answers the list endpoints from bodies (status 200, or the
// status in fail for a path) and counts calls per node and path.
func serveLists(m *sim.Model, fail map[string]int) (calls func() map[string]int) {
	var mu sync.Mutex
	seen := map[string]int{}
	m.FailAPI = func(node, method, path string) (int, []byte, bool) {
		body, ok := listBodies[path]
		if !ok {
			return 0, nil, false
		}
		mu.Lock()
		seen[node+" "+path]++
		mu.Unlock()
		if code := fail[path]; code != 0 {
			return code, []byte(`{"data":null,"message":"simulated failure\n"}`), true
		}
		return http.StatusOK, []byte(body), true
	}
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

// TestObserveSharedFromAuthority: Shared is read once, from the authority:
// node dirs and key files over SSH, the lists over its API.
func TestObserveSharedFromAuthority(t *testing.T) {
	m, remote, _ := healthyRemote(t)
	calls := serveLists(m, nil)
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sh := obs.Shared
	if sh == nil {
		t.Fatal("Shared is nil on a healthy cluster")
	}
	if sh.From != "pve1" {
		t.Errorf("From = %q, want pve1 (the authority: equal versions, first by name)", sh.From)
	}
	if want := []string{"pve1", "pve2", "pve3"}; !reflect.DeepEqual(sh.NodeDirs, want) {
		t.Errorf("NodeDirs = %q, want %q", sh.NodeDirs, want)
	}
	keys, _ := m.ReadFile("pve1", clusters.AuthorizedKeysPath)
	if !sh.AuthorizedKeys.Present || sh.AuthorizedKeys.Content != string(keys) || sh.AuthorizedKeys.Digest != sha(keys) {
		t.Errorf("AuthorizedKeys = %+v, want the file's %d bytes", sh.AuthorizedKeys, len(keys))
	}
	if sh.APIError != "" {
		t.Fatalf("APIError = %s", sh.APIError)
	}
	wantGuests := []state.Guest{{VMID: 100, Type: "qemu", Node: "pve3", Name: "web"}, {VMID: 200, Type: "lxc", Node: "pve1"}}
	if !reflect.DeepEqual(sh.Guests, wantGuests) {
		t.Errorf("Guests = %+v", sh.Guests)
	}
	if want := []state.HAGroup{{Group: "g", Nodes: []string{"pve3", "pve2"}}}; !reflect.DeepEqual(sh.HAGroups, want) {
		t.Errorf("HAGroups = %+v", sh.HAGroups)
	}
	refs, ok := sh.References("pve3")
	if want := []string{"qemu 100", "HA resource vm:100", "HA group g"}; !ok || !reflect.DeepEqual(refs, want) {
		t.Errorf("References(pve3) = %q, %t; want %q", refs, ok, want)
	}
	want := map[string]int{}
	for p := range listBodies {
		want["pve1 "+p] = 1
	}
	if got := calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("list calls %v, want one per endpoint on pve1", got)
	}
}

// TestObserveSharedAPIFailure: one failed API read leaves every list nil and
// says why; the SSH-read parts are still there.
func TestObserveSharedAPIFailure(t *testing.T) {
	m, remote, _ := healthyRemote(t)
	serveLists(m, map[string]int{"/cluster/ha/groups": http.StatusInternalServerError})
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sh := obs.Shared
	if sh == nil {
		t.Fatal("Shared is nil")
	}
	if !strings.Contains(sh.APIError, "/cluster/ha/groups") {
		t.Errorf("APIError = %q, want it to name /cluster/ha/groups", sh.APIError)
	}
	if sh.Guests != nil || sh.HAResources != nil || sh.HAGroups != nil || sh.Replication != nil {
		t.Errorf("lists not nil after an API failure: %+v", sh)
	}
	if _, ok := sh.References("pve3"); ok {
		t.Errorf("References claims to know after an API failure")
	}
	if len(sh.NodeDirs) == 0 {
		t.Errorf("NodeDirs lost with the API failure")
	}
}

// TestObserveSharedAbsentAndUnreadable: a missing known_hosts is
// Present=false; an SSH read that fails makes Shared nil (unknown, never
// empty); no quorate node means no Shared at all.
func TestObserveSharedAbsentAndUnreadable(t *testing.T) {
	t.Run("known_hosts absent", func(t *testing.T) {
		m, remote, _ := healthyRemote(t)
		serveLists(m, nil)
		if _, errb, code := m.Exec("pve1", "rm -f "+clusters.KnownHostsPath, nil); code != 0 {
			t.Fatalf("rm: %s", errb)
		}
		obs, err := remote.Observe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if obs.Shared == nil || obs.Shared.KnownHosts.Present || !obs.Shared.AuthorizedKeys.Present {
			t.Errorf("Shared = %+v, want known_hosts absent and authorized_keys present", obs.Shared)
		}
	})
	t.Run("node dirs unreadable", func(t *testing.T) {
		m, remote, runner := healthyRemote(t)
		serveLists(m, nil)
		runner.failOn = func(node, cmd string) error {
			if cmd == clusters.CmdListNodeDirs {
				return errors.New("session closed")
			}
			return nil
		}
		obs, err := remote.Observe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if obs.Shared != nil {
			t.Errorf("Shared = %+v, want nil when a read failed", obs.Shared)
		}
	})
	t.Run("no authority", func(t *testing.T) {
		m, remote, _ := healthyRemote(t)
		serveLists(m, nil)
		for _, n := range []string{"pve2", "pve3"} {
			if err := m.PowerOff(n); err != nil {
				t.Fatal(err)
			}
		}
		obs, err := remote.Observe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if obs.Shared != nil {
			t.Errorf("Shared = %+v without a quorate node", obs.Shared)
		}
	})
}

// trustFailAPI is a node API whose HA groups read hits a changed TLS
// certificate.
type trustFailAPI struct{ memAPI }

func (trustFailAPI) HAGroups(context.Context) ([]state.HAGroup, error) {
	return nil, &pveapi.FingerprintError{URL: "https://pve1.sim:8006", Got: "AA", Want: "BB"}
}

// TestObserveSharedTrustFailureStops: a fingerprint mismatch on the
// authority's list reads stops the observation.
func TestObserveSharedTrustFailureStops(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	serveLists(m, nil)
	decl, _, runner := inMemory(t, m)
	apis := map[string]clusters.NodeAPI{}
	for _, mem := range decl.Spec.Members {
		apis[mem.Name] = memAPI{m: m, node: mem.Name}
	}
	apis["pve1"] = trustFailAPI{memAPI{m: m, node: "pve1"}}
	_, err = clusters.NewRemote(decl, runner, apis).Observe(context.Background())
	var fe *pveapi.FingerprintError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FingerprintError", err)
	}
}

// TestObserveSharedFromSimulatorData reads what the simulator's pmxcfs holds
// (guest configs under /etc/pve/nodes, ha/*.cfg, replication.cfg) through its
// own API answers, so the parsers meet the simulator's shapes.
func TestObserveSharedFromSimulatorData(t *testing.T) {
	m, remote, _ := healthyRemote(t)
	for _, err := range []error{
		m.AddGuest("pve3", 100, "qemu"),
		m.AddGuest("pve2", 101, "lxc"),
		m.AddHAGroup("g", "pve3:2", "pve1"),
		m.AddHAResource("vm:100", "g"),
		m.AddReplication("100-0", 100, "pve2"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sh := obs.Shared
	if sh == nil || sh.APIError != "" {
		t.Fatalf("Shared = %+v", sh)
	}
	// The job's source is the guest's node (the simulator fills it in).
	refs, ok := sh.References("pve3")
	if want := []string{"qemu 100", "HA resource vm:100", "HA group g", "replication job 100-0"}; !ok || !reflect.DeepEqual(refs, want) {
		t.Errorf("References(pve3) = %q, %t; want %q", refs, ok, want)
	}
	refs, _ = sh.References("pve2")
	if want := []string{"lxc 101", "replication job 100-0"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("References(pve2) = %q; want %q", refs, want)
	}
}
