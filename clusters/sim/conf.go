package sim

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"

	"github.com/quorate/quorate/state/corosync"
)

// BuildConf renders the corosync.conf that `pvecm create` followed by one
// addnode per further node would leave (reference §4.5, §2.6): Proxmox's
// logging and totem defaults, one interface section per link (priority only
// when non-zero), quorum_votes on every node (Votes 0 means 1), in Proxmox's
// write_conf layout.
func BuildConf(cluster string, links []corosync.Interface, nodes []NodeSpec, version uint64) []byte {
	c := &corosync.Config{Main: corosync.NewSection()}
	lg := c.Main.Ensure("logging")
	lg.Set("debug", "off")
	lg.Set("to_syslog", "yes")
	var list []*corosync.Section
	for _, s := range nodes {
		ns := corosync.NewSection()
		ns.Set("name", s.Name)
		ns.Set("nodeid", strconv.Itoa(s.NodeID))
		v := s.Votes
		if v == 0 {
			v = 1
		}
		ns.Set("quorum_votes", strconv.Itoa(v))
		for l, a := range s.Addrs {
			ns.Set(fmt.Sprintf("ring%d_addr", l), a)
		}
		list = append(list, ns)
	}
	c.Main.Ensure("nodelist").SetList("node", list)
	c.Main.Ensure("quorum").Set("provider", "corosync_votequorum")
	t := c.Main.Ensure("totem")
	t.Set("cluster_name", cluster)
	t.Set("config_version", strconv.FormatUint(version, 10))
	var ifs []*corosync.Section
	for _, l := range links {
		is := corosync.NewSection()
		if l.Priority != 0 {
			is.Set("knet_link_priority", strconv.Itoa(l.Priority))
		}
		is.Set("linknumber", strconv.Itoa(l.Number))
		ifs = append(ifs, is)
	}
	t.SetList("interface", ifs)
	t.Set("ip_version", "ipv4-6")
	t.Set("link_mode", "passive")
	t.Set("secauth", "on")
	t.Set("token_coefficient", "125")
	t.Set("version", "2")
	return c.Bytes()
}

// Authkey returns a deterministic 256-byte corosync authkey for a cluster
// (real keys are random; the simulator only compares them).
func Authkey(cluster string) []byte {
	var out []byte
	seed := []byte("authkey:" + cluster)
	for len(out) < 256 {
		sum := sha256.Sum256(seed)
		out = append(out, sum[:]...)
		seed = sum[:]
	}
	return out[:256]
}

// rtConf is what corosync holds in cmap after parsing its local file.
type rtConf struct {
	clusterName string
	version     uint64
	nodes       []rtNode // by nodeid
	expected    int      // quorum.expected_votes; 0 = not set
	twoNode     bool
	waitForAll  bool // explicit, or implied by two_node (reference §7.2)
	lms, atb    bool
	downscale   bool
	transport   string
	secauth     string

	// device is quorum.device (nil when absent), devVotes its votes as
	// votequorum derives them and devErr votequorum's consistency error
	// about them ("" when none; the device is then unusable), reference §7.4.
	device   *rtDevice
	devVotes int
	devErr   string
	// vqErr is a votequorum configuration error that is fatal at start and
	// makes a reload keep the runtime quorum data (two_node with a device,
	// reference §7.2).
	vqErr string

	// Indexes into nodes, built by index() once nodes is final: corosync
	// looks entries up by name and nodeid on every membership check, and a
	// linear scan per lookup made partitions cubic in the node count.
	nameIdx map[string]int // first entry (lowest nodeid) with that name
	idIdx   map[int]int
}

// rtNode is one nodelist entry as corosync uses it.
type rtNode struct {
	name  string
	id    int
	votes int // quorum_votes; absent counts 1
	addrs map[int]string
}

// index builds the lookup maps; parseRuntime calls it once nodes is final
// (nothing changes a parsed nodelist afterwards).
func (c *rtConf) index() {
	c.nameIdx = make(map[string]int, len(c.nodes))
	c.idIdx = make(map[int]int, len(c.nodes))
	for i := range c.nodes {
		if _, dup := c.nameIdx[c.nodes[i].name]; !dup {
			c.nameIdx[c.nodes[i].name] = i
		}
		c.idIdx[c.nodes[i].id] = i
	}
}

// byID returns the entry with that nodeid, nil when none.
func (c *rtConf) byID(id int) *rtNode {
	if c.idIdx == nil { // not built by parseRuntime: scan
		for i := range c.nodes {
			if c.nodes[i].id == id {
				return &c.nodes[i]
			}
		}
		return nil
	}
	if i, ok := c.idIdx[id]; ok {
		return &c.nodes[i]
	}
	return nil
}

// byName returns the first entry (in nodeid order) with that name, nil
// when none.
func (c *rtConf) byName(name string) *rtNode {
	if c.nameIdx == nil { // not built by parseRuntime: scan
		for i := range c.nodes {
			if c.nodes[i].name == name {
				return &c.nodes[i]
			}
		}
		return nil
	}
	if i, ok := c.nameIdx[name]; ok {
		return &c.nodes[i]
	}
	return nil
}

// sumVotes is the nodelist's votes, the default expected votes (§7.1).
func (c *rtConf) sumVotes() int {
	s := 0
	for _, n := range c.nodes {
		s += n.votes
	}
	return s
}

// configExpected is quorum.expected_votes if set, else the nodelist sum
// plus the device's votes when a usable device is configured (reference
// §7.1, §7.4: "expected = node_count + (node_count − 1)" for lms).
func (c *rtConf) configExpected() int {
	if c.expected > 0 {
		return c.expected
	}
	return c.sumVotes() + c.deviceVotes()
}

// deviceVotes is the votes a usable device may cast, 0 without one.
func (c *rtConf) deviceVotes() int {
	if !c.deviceUsable() {
		return 0
	}
	return c.devVotes
}

// deviceUsable: quorum.device is configured and votequorum accepted its
// votes (a rejected device "disables qdevice operations", reference §7.4).
func (c *rtConf) deviceUsable() bool { return c.device != nil && c.devErr == "" }

// twoNodeActive: two_node is disabled automatically with more than 2 nodes,
// and dropped while a device is configured (reference §7.2).
func (c *rtConf) twoNodeActive() bool { return c.twoNode && len(c.nodes) <= 2 && c.device == nil }

// firstAddr is the address on the lowest-numbered link ("" when none).
func (n *rtNode) firstAddr() string {
	best := -1
	for l := range n.addrs {
		if best < 0 || l < best {
			best = l
		}
	}
	if best < 0 {
		return ""
	}
	return n.addrs[best]
}

func (n *rtNode) links() []int {
	var out []int
	for l := range n.addrs {
		out = append(out, l)
	}
	sort.Ints(out)
	return out
}

// parseRuntime reads a corosync.conf the way corosync does for what the model
// needs. Errors are worded as corosync logs them after "parse error in
// config: " (reference §4.4, corosync-lab §2). Corosync's real parser is not
// Proxmox's; the model uses Proxmox's tokenizer for both (an approximation).
func parseRuntime(raw []byte) (*rtConf, error) {
	cfg, err := corosync.Parse(raw)
	if err != nil {
		return nil, err
	}
	totem := cfg.Main.Section("totem")
	if totem == nil {
		return nil, fmt.Errorf("No totem section found")
	}
	c := &rtConf{clusterName: cfg.ClusterName(), transport: "knet", secauth: "off"}
	c.version, _ = cfg.ConfigVersion()
	if v, ok := totem.Value("transport"); ok {
		c.transport = v
	}
	if v, ok := totem.Value("secauth"); ok {
		c.secauth = v
	}
	seen := map[int]bool{}
	typed := cfg.Nodes()
	for i, s := range cfg.Main.Section("nodelist").List("node") {
		n := rtNode{name: typed[i].Name, addrs: typed[i].Addrs, votes: 1}
		if v, ok := s.Value("quorum_votes"); ok {
			n.votes, _ = strconv.Atoi(v)
		}
		for l := range n.addrs {
			if l > 7 {
				return nil, fmt.Errorf("interface ring number %d is bigger than allowed maximum 7", l)
			}
		}
		v, ok := s.Value("nodeid")
		if !ok {
			return nil, fmt.Errorf("Knet requires an explicit nodeid to be specified for address '%s'.", n.firstAddr())
		}
		n.id, _ = strconv.Atoi(v)
		if n.id >= 65536 {
			return nil, fmt.Errorf("Knet requires nodeid to be less than 65536 (is %d)", n.id)
		}
		if seen[n.id] {
			return nil, fmt.Errorf("Nodeid %d appears twice in corosync.conf", n.id)
		}
		seen[n.id] = true
		c.nodes = append(c.nodes, n)
	}
	sort.Slice(c.nodes, func(i, j int) bool { return c.nodes[i].id < c.nodes[j].id })
	c.index()
	q := cfg.Main.Section("quorum")
	flag := func(k string) (bool, bool) {
		v, ok := q.Value(k)
		return v == "1", ok
	}
	if v, ok := q.Value("expected_votes"); ok {
		c.expected, _ = strconv.Atoi(v)
	}
	c.twoNode, _ = flag("two_node")
	wfa, set := flag("wait_for_all")
	c.waitForAll = wfa || (!set && c.twoNode)
	c.lms, _ = flag("last_man_standing")
	c.atb, _ = flag("auto_tie_breaker")
	c.downscale, _ = flag("allow_downscale")
	c.readDevice(q.Section("device"))
	return c, nil
}
