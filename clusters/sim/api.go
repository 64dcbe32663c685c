package sim

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// apiReply marshals {"data": data} with status 200.
func apiReply(data any) (int, []byte) {
	b, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return apiError(500, "simulator: cannot encode reply: "+err.Error())
	}
	return 200, b
}

// apiError is Proxmox's error envelope (reference §1.2).
func apiError(status int, msg string) (int, []byte) {
	b, _ := json.Marshal(map[string]any{"data": nil, "message": msg})
	return status, b
}

// notMounted is the error of every pmxcfs-backed endpoint while
// pve-cluster is stopped. Approximation: real pveproxy/pvedaemon need pmxcfs
// to run at all; they would not answer.
const notMounted = "pve configuration filesystem (pmxcfs) not mounted\n"

func (m *Model) api(n *node, method, path string, form url.Values) (int, []byte) {
	path = "/" + strings.Trim(path, "/")
	if method != "GET" {
		return apiError(501, "Method '"+method+" "+path+"' not implemented")
	}
	if path == "/version" {
		v := n.pveVersion()
		release := v
		if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
			release = parts[0] + "." + parts[1]
		}
		return apiReply(map[string]any{"version": v, "release": release, "repoid": "2a5fa54a"})
	}
	handlers := map[string]func(*node, url.Values) (int, []byte){
		"/cluster/status":            m.apiClusterStatus,
		"/cluster/config":            apiConfigIndex,
		"/cluster/config/apiversion": func(*node, url.Values) (int, []byte) { return apiReply(1) },
		"/cluster/config/nodes":      m.apiConfigNodes,
		"/cluster/config/join":       m.apiJoinInfo,
		"/cluster/config/totem":      m.apiTotem,
		"/cluster/config/qdevice":    m.apiQDevice,
		"/nodes":                     m.apiNodes,
		"/cluster/resources":         m.apiResources,
		"/cluster/ha/resources":      m.apiHAResources,
		"/cluster/ha/groups":         m.apiHAGroups,
		"/cluster/replication":       m.apiReplication,
	}
	h, ok := handlers[path]
	if !ok {
		return apiError(501, "Method '"+method+" "+path+"' not implemented")
	}
	if n.cfs == nil {
		return apiError(500, notMounted)
	}
	return h(n, form)
}

func apiConfigIndex(*node, url.Values) (int, []byte) {
	var out []map[string]string
	for _, nm := range []string{"nodes", "totem", "join", "qdevice", "apiversion"} {
		out = append(out, map[string]string{"name": nm})
	}
	return apiReply(out)
}

// members is pmxcfs's .members view on n: the cluster info from the last
// runtime cmap it saw (falling back to its DB's corosync.conf), or nil when
// standalone (reference §6.4).
func (m *Model) members(n *node) *rtConf {
	if n.cfs.clinfo != nil {
		return n.cfs.clinfo
	}
	if raw := n.db.files[clusterConf]; len(raw) > 0 {
		if c, err := parseRuntime(raw); err == nil {
			return c
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// online: the named node's pmxcfs is in n's CPG group (reference §2.1: not
// raw corosync membership).
func (n *node) sees(name string) bool {
	for _, x := range n.cfs.cpg {
		if x == name {
			return true
		}
	}
	return false
}

func (m *Model) hostIP(name string) string {
	if x := m.nodes[name]; x != nil {
		return x.spec.HostIP
	}
	return ""
}

// statusCluster and statusNode are the entries of /cluster/status. Fields
// are in alphabetical order, so they encode exactly as the equivalent maps
// would (encoding/json sorts map keys), only without a map per entry.
type statusCluster struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Nodes   int    `json:"nodes"`
	Quorate int    `json:"quorate"`
	Type    string `json:"type"`
	Version uint64 `json:"version"`
}

type statusNode struct {
	ID     string `json:"id"`
	IP     string `json:"ip,omitempty"`
	Level  string `json:"level"`
	Local  int    `json:"local"`
	Name   string `json:"name"`
	NodeID int    `json:"nodeid"`
	Online int    `json:"online"`
	Type   string `json:"type"`
}

// apiClusterStatus is GET /cluster/status (reference §2.1): runtime view,
// cluster entry first, then node entries in reverse nodeid order (real
// order is Perl hash order: fixed here, but deliberately unsorted).
func (m *Model) apiClusterStatus(n *node, _ url.Values) (int, []byte) {
	cl := m.members(n)
	if cl == nil {
		// A standalone node always reports its ip, even an empty one.
		return apiReply([]map[string]any{{"type": "node", "id": "node/" + n.spec.Name, "name": n.spec.Name,
			"ip": n.spec.HostIP, "local": 1, "nodeid": 0, "online": 1, "level": ""}})
	}
	out := []any{statusCluster{Type: "cluster", ID: "cluster", Name: cl.clusterName,
		Version: cl.version, Nodes: len(cl.nodes), Quorate: b2i(n.cfs.quorate)}}
	for i := len(cl.nodes) - 1; i >= 0; i-- {
		e := cl.nodes[i]
		out = append(out, statusNode{Type: "node", ID: "node/" + e.name, Name: e.name, NodeID: e.id,
			Local: b2i(e.name == n.spec.Name), Online: b2i(n.sees(e.name)), IP: m.hostIP(e.name)})
	}
	return apiReply(out)
}

// sectionJSON renders a parsed section as Proxmox returns it: every leaf a
// string, interface lists keyed by link number (reference §1.2, §2.8).
func sectionJSON(s *corosync.Section) map[string]any {
	out := map[string]any{}
	for _, k := range s.Keys() {
		if v, ok := s.Value(k); ok {
			out[k] = v
		} else if sub := s.Section(k); sub != nil {
			out[k] = sectionJSON(sub)
		} else if list := s.List(k); list != nil {
			keyed := map[string]any{}
			for _, item := range list {
				key, ok := item.Value("linknumber")
				if !ok {
					key, ok = item.Value("ringnumber")
				}
				if !ok {
					key, _ = item.Value("name")
				}
				keyed[key] = sectionJSON(item)
			}
			out[k] = keyed
		}
	}
	return out
}

// clusterFile parses n's /etc/pve/corosync.conf; nil when absent or empty.
func (m *Model) clusterFile(n *node) (*corosync.Config, []byte) {
	raw, ok := m.cfsRead(n, clusterConf)
	if !ok || len(raw) == 0 {
		return nil, nil
	}
	cfg, err := corosync.Parse(raw)
	if err != nil {
		return nil, raw
	}
	return cfg, raw
}

// nodeItems is the nodelist of the file, one map per node section plus
// "node" (its key: name, else ring0_addr), reference §2.5.
func nodeItems(cfg *corosync.Config) []map[string]any {
	var out []map[string]any
	for _, s := range cfg.Main.Section("nodelist").List("node") {
		item := sectionJSON(s)
		key, ok := s.Value("name")
		if !ok {
			key, _ = s.Value("ring0_addr")
		}
		item["node"] = key
		out = append(out, item)
	}
	return out
}

func (m *Model) apiConfigNodes(n *node, _ url.Values) (int, []byte) {
	cfg, raw := m.clusterFile(n)
	if cfg == nil {
		if raw != nil {
			return apiError(500, "unable to parse corosync.conf\n")
		}
		return apiReply([]any{})
	}
	items := nodeItems(cfg)
	if items == nil {
		items = []map[string]any{}
	}
	return apiReply(items)
}

func (m *Model) apiTotem(n *node, _ url.Values) (int, []byte) {
	cfg, _ := m.clusterFile(n)
	if cfg == nil || cfg.Main.Section("totem") == nil {
		return apiReply(nil)
	}
	return apiReply(sectionJSON(cfg.Main.Section("totem")))
}

// apiJoinInfo is GET /cluster/config/join (reference §2.8).
func (m *Model) apiJoinInfo(n *node, form url.Values) (int, []byte) {
	cfg, raw := m.clusterFile(n)
	if cfg == nil {
		return apiError(424, "node is not in a cluster, no join info available!\n")
	}
	want := form.Get("node")
	if want == "" {
		want = n.spec.Name
	}
	items := nodeItems(cfg)
	found := false
	for _, it := range items {
		name, _ := it["node"].(string)
		if name == want {
			found = true
		}
		it["pve_addr"] = m.hostIP(name)
		it["pve_fp"] = m.fingerprintOf(name)
	}
	if !found {
		return apiError(500, "unknown node '"+want+"'\n")
	}
	sum := sha1.Sum(raw)
	totem := map[string]any{}
	if t := cfg.Main.Section("totem"); t != nil {
		totem = sectionJSON(t)
	}
	return apiReply(map[string]any{"nodelist": items, "preferred_node": want, "totem": totem,
		"config_digest": hex.EncodeToString(sum[:])})
}

// apiNodes is GET /nodes (reference §2.12), without the RRD statistics.
func (m *Model) apiNodes(n *node, _ url.Values) (int, []byte) {
	cl := m.members(n)
	entry := func(name, status string) map[string]any {
		return map[string]any{"id": "node/" + name, "node": name, "type": "node", "status": status,
			"level": "", "ssl_fingerprint": m.fingerprintOf(name)}
	}
	if cl == nil {
		return apiReply([]map[string]any{entry(n.spec.Name, "online")})
	}
	var out []map[string]any
	for _, e := range cl.nodes {
		st := "offline"
		if n.sees(e.name) {
			st = "online"
		}
		out = append(out, entry(e.name, st))
	}
	return apiReply(out)
}

// apiQDevice is GET /cluster/config/qdevice (reference §2.10): {} while the
// daemon's socket is absent (not running), else the kept keys of its
// "status verbose" (never "Echo reply": the daemon's line is "Echo reply
// received:"). "Last poll call" is given only while the vote is cast, with
// the model's clock; the daemon's other poll results are not modelled.
func (m *Model) apiQDevice(n *node, _ url.Values) (int, []byte) {
	if n.qd == nil || n.cs == nil || n.cs.cfg.device == nil {
		return apiReply(map[string]any{})
	}
	d := n.cs.cfg.device
	out := map[string]any{"Model": "Net", "QNetd host": d.hostPort(), "Algorithm": d.algorithmName(),
		"Tie-breaker": d.tieBreakerName(), "State": n.qd.state}
	if n.cs.qdCast {
		out["Last poll call"] = m.now().Format("2006-01-02T15:04:05") + " (cast vote)"
	}
	return apiReply(out)
}
