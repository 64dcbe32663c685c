package sim

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func apiGet(t *testing.T, m *Model, node, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	st, body := m.API(node, "GET", path, form)
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", node, path, body, err)
	}
	return st, env
}

// TestAPI_ClusterStatus_Ref2_1: cluster entry first, numbers as numbers,
// runtime version, online from pmxcfs, ip = host IP.
func TestAPI_ClusterStatus_Ref2_1(t *testing.T) {
	m := scenario(t, "healthy")
	_ = m.PowerOff("pve3")
	st, env := apiGet(t, m, "pve1", "/cluster/status", nil)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	data := env["data"].([]any)
	cl := data[0].(map[string]any)
	if cl["type"] != "cluster" || cl["name"] != "lab" || cl["version"] != 3.0 || cl["nodes"] != 3.0 || cl["quorate"] != 1.0 {
		t.Errorf("cluster entry %v", cl)
	}
	online := map[string]float64{}
	for _, e := range data[1:] {
		n := e.(map[string]any)
		online[n["name"].(string)] = n["online"].(float64)
		if n["type"] != "node" || n["level"] != "" || !strings.HasPrefix(n["ip"].(string), "192.0.2.") {
			t.Errorf("node entry %v", n)
		}
		if n["name"] == "pve1" && n["local"] != 1.0 {
			t.Errorf("pve1 not local: %v", n)
		}
	}
	if online["pve1"] != 1 || online["pve2"] != 1 || online["pve3"] != 0 {
		t.Errorf("online = %v", online)
	}
}

// TestAPI_ConfigNodesAndJoin_Ref2_5_Ref2_8: file view, values as strings.
func TestAPI_ConfigNodesAndJoin_Ref2_5_Ref2_8(t *testing.T) {
	m := scenario(t, "healthy")
	m.Fingerprints = map[string]string{"pve2": "AA:BB"}
	_, env := apiGet(t, m, "pve1", "/cluster/config/nodes", nil)
	var found bool
	for _, e := range env["data"].([]any) {
		n := e.(map[string]any)
		if n["node"] == "pve2" {
			found = true
			if n["nodeid"] != "2" || n["quorum_votes"] != "1" || n["ring0_addr"] != "10.10.10.2" || n["name"] != "pve2" {
				t.Errorf("pve2 item %v", n)
			}
		}
	}
	if !found {
		t.Errorf("pve2 missing from %v", env)
	}
	_, env = apiGet(t, m, "pve1", "/cluster/config/join", url.Values{"node": {"pve2"}})
	d := env["data"].(map[string]any)
	raw, _ := m.ReadFile("pve1", clusterConf)
	sum := sha1.Sum(raw)
	if d["config_digest"] != hex.EncodeToString(sum[:]) || d["preferred_node"] != "pve2" {
		t.Errorf("join info %v", d)
	}
	totem := d["totem"].(map[string]any)
	if iface := totem["interface"].(map[string]any)["0"].(map[string]any); iface["linknumber"] != "0" || totem["config_version"] != "3" {
		t.Errorf("totem %v", totem)
	}
	for _, e := range d["nodelist"].([]any) {
		n := e.(map[string]any)
		if n["name"] == "pve2" && (n["pve_fp"] != "AA:BB" || n["pve_addr"] != "192.0.2.2") {
			t.Errorf("pve2 join item %v", n)
		}
	}
	if st, env := apiGet(t, m, "pve1", "/cluster/config/join", url.Values{"node": {"pve9"}}); st != 500 || env["message"] != "unknown node 'pve9'\n" {
		t.Errorf("unknown node: %d %v", st, env)
	}
}

func TestAPI_Errors_Ref1_2(t *testing.T) {
	m := scenario(t, "healthy")
	if st, env := apiGet(t, m, "pve1", "/cluster/nope", nil); st != 501 || env["message"] != "Method 'GET /cluster/nope' not implemented" || env["data"] != nil {
		t.Errorf("501: %d %v", st, env)
	}
	if st, env := apiGet(t, m, "pve1", "/version", nil); st != 200 || env["data"].(map[string]any)["release"] != "8.4" {
		t.Errorf("/version: %d %v", st, env)
	}
	// A machine that was never in a cluster: pmxcfs in local mode.
	m.AddNode(NodeSpec{Name: "fresh", HostIP: "192.0.2.99"})
	_ = m.PowerOn("fresh")
	if st, env := apiGet(t, m, "fresh", "/cluster/config/join", nil); st != 424 || env["message"] != "node is not in a cluster, no join info available!\n" {
		t.Errorf("424: %d %v", st, env)
	}
	if _, env := apiGet(t, m, "fresh", "/cluster/status", nil); len(env["data"].([]any)) != 1 {
		t.Errorf("standalone status %v", env)
	}
	if o, _, _ := run(t, m, "fresh", "systemctl is-active corosync pve-cluster"); o != "inactive\nactive\n" {
		t.Errorf("fresh node services %q: corosync is skipped without a config", o)
	}
}

// /cluster/status encodes its entries exactly as maps would (keys sorted),
// which is what it did before it used structs.
func TestAPI_ClusterStatusEncodesAsMaps(t *testing.T) {
	m := scenario(t, "stale-node")
	for _, nm := range m.Nodes() {
		st, body := m.API(nm, "GET", "/cluster/status", nil)
		if st != 200 {
			continue
		}
		var env map[string][]map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: %v", nm, err)
		}
		if len(env["data"]) < 2 {
			t.Fatalf("%s: %s", nm, body)
		}
		again, _ := json.Marshal(env)
		if string(again) != string(body) {
			t.Errorf("%s:\n got %s\nwant %s", nm, body, again)
		}
	}
}
