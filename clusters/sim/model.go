package sim

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state/corosync"
)

// Paths the model gives meaning to. Everything else is plain local disk.
const (
	pveDir         = "/etc/pve"
	clusterConf    = "/etc/pve/corosync.conf"
	localConf      = "/etc/corosync/corosync.conf"
	authkeyPath    = "/etc/corosync/authkey"
	unitCorosync   = "corosync"
	unitPVECluster = "pve-cluster"
	unitQDevice    = "corosync-qdevice"
)

// Model is a simulated Proxmox VE cluster: per node the local disk, corosync
// (runtime cmap, membership, votequorum), pve-cluster (pmxcfs and its
// replicated DB) and the systemd journal. It is safe for concurrent use: every
// exported method takes the one mutex, so each Exec or API call is atomic and
// every consequence (membership change, pmxcfs sync, reload) has happened by
// the time it returns. See the package doc for what is not modelled.
type Model struct {
	// Clock stamps journal lines, the quorumtool Date: line and DB mtimes.
	// nil means time.Now. Set it before calling anything else.
	Clock func() time.Time

	// LockTimeout is how long a cluster lock (a directory in
	// /etc/pve/priv/lock, reference §6.6) lives after its last change
	// before an unlock request deletes it: pmxcfs's CFS_LOCK_TIMEOUT. 0
	// means the real 120 s. It is a test knob: tests and `quorate sim
	// serve` shorten it so expiry happens without a two-minute wait. Set it
	// before calling anything else.
	LockTimeout time.Duration

	// FailExec, when set, sees every Exec call first (without the model's lock
	// held). If it returns handled=true its result is returned as is and the
	// model does not run the command: fault injection for tests.
	FailExec func(node, cmd string) (stdout, stderr []byte, code int, handled bool)

	// FailAPI, when set, sees every API call first (without the lock held);
	// handled=true returns its status and body instead of the model's.
	FailAPI func(node, method, path string) (status int, body []byte, handled bool)

	// Fingerprints maps node name to its HTTPS certificate fingerprint, as
	// reported in pve_fp (/cluster/config/join) and ssl_fingerprint (/nodes)
	// and checked by pvecm add. simnet fills it; a node without an entry
	// reports the fingerprint of the model's own fake certificate (see
	// CertGeneration).
	Fingerprints map[string]string

	// RootPassword is root@pam's password on every machine, checked by the
	// API login of pvecm add. Empty means none was set: every login fails.
	// Set it before use, or with SetRootPassword.
	RootPassword string

	// OnCertChange, when set, is called with a node's name after its HTTPS
	// certificate was regenerated (pvecm add, reference §1.1, §9), once the
	// model's lock is released and before the Exec that caused it returns,
	// so the caller (simnet) can issue and serve a new certificate and update
	// Fingerprints. Set it with SetOnCertChange once the model is in use.
	OnCertChange func(node string)

	mu      sync.Mutex
	certGen map[string]int // certificate generation per node (0 = as installed)
	// certChanged lists nodes whose certificate changed during the current
	// Exec; Exec calls OnCertChange for them after unlocking.
	certChanged []string
	name        string
	nodes       map[string]*node
	order       []string // insertion order, for the unsorted API orders
	ringSeq     uint64
	// haDisarmed is the resource mode HA was disarmed with, "" while armed.
	haDisarmed string
	pidSeq     int
	qnetd      map[string]*qnetdHost // by IP (qnetd.go)
	// engine, when set, runs real corosync under the model (engine.go);
	// engineConf is the corosync.conf each node's engine copy holds and
	// engineEvents the lifecycle events not replayed yet.
	engine       Engine
	engineConf   map[string][]byte
	engineEvents []engineEvent
	// EngineErr is the first error the engine returned, if any.
	EngineErr error

	// locks holds, per cluster lock directory, its writer and the time of
	// its last change (pmxcfs_lock.go); nil until the first lock.
	locks map[string]cfsLock

	// settled is true when the last change ended with a settle that reached
	// a fixed point and nothing changed since (see commit): settling again
	// would do nothing, so read-only commands skip it, and parts (the
	// partitions that settle computed) is current. Every operation that may
	// change the model clears it first. The zero value means "settle first".
	settled bool
	stable  bool      // the last settle reached a fixed point
	parts   [][]*node // the partitions at the end of the last settle

	// intent, when set (by a scenario), edits what Declaration returns: the
	// state the scenario's declaration asks for, which may differ from the
	// cluster's.
	intent func(*api.Cluster)
}

// NodeSpec describes one machine. Addrs maps link number to the node's ring
// address on that link; HostIP is the address its hostname resolves to (what
// pmxcfs reports as the node's ip, reference §2.1). Votes 0 means 1.
// Interfaces lists the addresses configured on the machine; corosync can
// bind a link only to one of them. nil means the values of Addrs plus
// HostIP.
type NodeSpec struct {
	Name       string
	NodeID     int
	Votes      int
	Addrs      map[int]string
	HostIP     string
	Interfaces []string
	// PVEVersion is the pve-manager version the node reports (pveversion,
	// GET /version); "" means DefaultPVEVersion.
	PVEVersion string
	// WithoutQDevice is true when the corosync-qdevice package is not
	// installed on the machine (the default is installed).
	WithoutQDevice bool
}

// node is one machine.
type node struct {
	spec    NodeSpec
	powered bool
	cut     bool
	files   map[string][]byte // local disk, including /etc/pve/* shadowed by the mount
	dirs    map[string]bool   // local directories (loose: parents of files count too)
	db      *pveDB            // /var/lib/pve-cluster/config.db; nil = none
	cs      *corosyncProc     // nil when corosync is not running
	cfs     *pmxcfs           // nil when pve-cluster is not running
	units   map[string]string // systemd state per unit
	journal []journalLine     // this boot only (journalctl -b)
	ifaces  map[string]bool   // addresses configured on the machine
	ifList  []string          // the same, in configuration order (ip addr)

	// corosync-qdevice (qdevice.go): package installed, unit enabled, the
	// running daemon (nil when not running).
	qdInstalled bool
	qdEnabled   bool
	qd          *qdeviceProc
}

func (m *Model) now() time.Time {
	if m.Clock != nil {
		return m.Clock()
	}
	return time.Now()
}

func (m *Model) nextPID() int {
	m.pidSeq++
	return 1000 + m.pidSeq*17
}

// NewCluster returns a powered-off cluster whose nodes all hold the same
// Proxmox-layout corosync.conf (BuildConf, as `pvecm create` plus addnode
// would write it, reference §4.5) at config_version=version, both in their
// pmxcfs DB and in /etc/corosync/corosync.conf, plus /etc/corosync/authkey.
func NewCluster(name string, links []corosync.Interface, nodes []NodeSpec, version uint64) *Model {
	m := &Model{name: name, nodes: map[string]*node{}}
	conf := BuildConf(name, links, nodes, version)
	key := Authkey(name)
	for _, s := range nodes {
		n := m.addNode(s)
		n.files[localConf] = conf
		n.files[authkeyPath] = key
		// The DB version counter is arbitrary but larger than a freshly
		// imported DB's, as on a cluster that has lived a while.
		n.db = newDB(100+version, time.Unix(0, 0))
		n.db.files[clusterConf] = conf
		seedLayout(n.db, nodes, time.Unix(0, 0))
	}
	return m
}

func (m *Model) addNode(s NodeSpec) *node {
	n := &node{
		spec:   s,
		files:  map[string][]byte{},
		dirs:   map[string]bool{},
		units:  map[string]string{unitCorosync: "inactive", unitPVECluster: "inactive", unitQDevice: "inactive"},
		ifaces: map[string]bool{},

		qdInstalled: !s.WithoutQDevice,
	}
	addrs := s.Interfaces
	if addrs == nil {
		// The host IP first (the management interface), then the ring
		// addresses by link number.
		if s.HostIP != "" {
			addrs = append(addrs, s.HostIP)
		}
		for l := 0; l <= 7; l++ {
			if a, ok := s.Addrs[l]; ok {
				addrs = append(addrs, a)
			}
		}
	}
	for _, a := range addrs {
		n.addIface(a)
	}
	for _, d := range []string{"/", "/etc", "/etc/corosync", "/etc/pve", "/var", "/var/lib",
		"/var/lib/pve-cluster", "/var/lib/corosync", "/root", "/tmp"} {
		n.dirs[d] = true
	}
	m.nodes[s.Name] = n
	m.order = append(m.order, s.Name)
	return n
}

// AddNode adds a new powered-off machine with no cluster files (no
// corosync.conf, no authkey, no pmxcfs DB). Give it files with WriteFile.
// A name already present is replaced by a fresh machine.
func (m *Model) AddNode(spec NodeSpec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settled = false
	if _, ok := m.nodes[spec.Name]; ok {
		delete(m.nodes, spec.Name)
		for i, nm := range m.order {
			if nm == spec.Name {
				m.order = append(m.order[:i], m.order[i+1:]...)
				break
			}
		}
		m.settle()
	}
	m.addNode(spec)
}

// AddInterface configures another address on the machine (ip addr add).
// corosync does not notice by itself: a link whose address could not be
// bound is tried again at the next corosync start or reload.
func (m *Model) AddInterface(node, addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.nodes[node]; n != nil {
		m.settled = false
		n.addIface(addr)
		m.commit()
	}
}

// addIface configures addr on the machine unless it already is.
func (n *node) addIface(addr string) {
	if addr == "" || n.ifaces[addr] {
		return
	}
	n.ifaces[addr] = true
	n.ifList = append(n.ifList, addr)
}

// ClusterName returns the name the cluster was created with.
func (m *Model) ClusterName() string { return m.name }

// Nodes returns the machines' names, sorted.
func (m *Model) Nodes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sortedNames()
}

func (m *Model) sortedNames() []string {
	out := make([]string, 0, len(m.nodes))
	for nm := range m.nodes {
		out = append(out, nm)
	}
	sort.Strings(out)
	return out
}

// sortedNodes returns the nodes by name.
func (m *Model) sortedNodes() []*node {
	var out []*node
	for _, nm := range m.sortedNames() {
		out = append(out, m.nodes[nm])
	}
	return out
}

// Powered reports whether the machine is on (false for an unknown name).
func (m *Model) Powered(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nodes[name]
	return n != nil && n.powered
}

func (m *Model) lookup(name string) (*node, error) {
	n := m.nodes[name]
	if n == nil {
		return nil, fmt.Errorf("sim: no node %q (nodes: %s)", name, strings.Join(m.sortedNames(), ", "))
	}
	return n, nil
}

// PowerOn boots the machine: a new journal (journalctl -b), then pve-cluster
// starts, then corosync (pve-cluster is Before=corosync, reference §2.3 step 6).
// Powering on a running machine does nothing.
func (m *Model) PowerOn(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return err
	}
	if n.powered {
		return nil
	}
	m.settled = false
	n.powered = true
	n.journal = nil
	m.startPmxcfs(n)
	m.settle()
	m.startCorosync(n)
	m.bootQDevice(n)
	m.commit()
	m.flushEngine()
	return nil
}

// PowerOff cuts the power: both processes vanish without a leave message,
// local files and the pmxcfs DB stay as they are.
func (m *Model) PowerOff(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return err
	}
	m.settled = false
	n.powered = false
	if n.cs != nil {
		m.engineNote(n, "kill")
	}
	n.cs = nil
	n.cfs = nil
	n.qd = nil
	n.units[unitCorosync] = "inactive"
	n.units[unitPVECluster] = "inactive"
	n.units[unitQDevice] = "inactive"
	m.commit()
	m.flushEngine()
	return nil
}

// Cut pulls (cut=true) or replugs the machine's network cable: it can reach no
// peer on any link while cut.
func (m *Model) Cut(name string, cut bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.nodes[name]; n != nil {
		m.settled = false
		n.cut = cut
		m.commit()
	}
}

// ReadFile returns a file as stored: local disk for ordinary paths, and the
// node's own pmxcfs DB (running or not) for /etc/pve paths. ok is false when
// the node or file does not exist.
func (m *Model) ReadFile(name, path string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nodes[name]
	if n == nil {
		return nil, false
	}
	if isPVE(path) {
		if n.db == nil {
			return nil, false
		}
		b, ok := n.db.files[path]
		return clone(b), ok
	}
	b, ok := n.files[path]
	return clone(b), ok
}

// WriteFile writes a file for scenario building, with no pmxcfs semantics:
// ordinary paths go to local disk (parents are created); /etc/pve paths edit
// the node's own pmxcfs DB in place, as if config.db were edited offline (no
// replication, no copy rule, no version bump; a DB is created if missing).
func (m *Model) WriteFile(name, path string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nodes[name]
	if n == nil {
		return
	}
	m.settled = false // the next command settles first, as it always did
	if isPVE(path) {
		if n.db == nil {
			n.db = newDB(0, m.now())
		}
		n.db.mkdirAll(parentDir(path), m.now())
		n.db.files[path] = clone(b)
		return
	}
	n.mkdirAll(parentDir(path))
	n.files[path] = clone(b)
}

// Exec runs one command line on a node as root's shell would (see shell.go
// for the supported surface) and returns its output and exit status. A
// powered-off or unknown node answers code 255, like ssh failing to connect.
func (m *Model) Exec(name, cmd string, stdin []byte) (stdout, stderr []byte, code int) {
	if f := m.FailExec; f != nil {
		if o, e, c, ok := f(name, cmd); ok {
			return o, e, c
		}
	}
	m.mu.Lock()
	n := m.nodes[name]
	if n == nil || !n.powered {
		m.mu.Unlock()
		return nil, []byte(fmt.Sprintf("ssh: connect to host %s port 22: No route to host\n", name)), 255
	}
	stdout, stderr, code = m.runLine(n, cmd, stdin)
	m.flushEngine()
	changed, hook := m.certChanged, m.OnCertChange
	m.certChanged = nil
	m.mu.Unlock()
	if hook != nil {
		for _, nm := range changed {
			hook(nm)
		}
	}
	return stdout, stderr, code
}

// API answers GET path (the part after /api2/json) on a node's pveproxy as
// JSON, with the status code and error envelope of reference §1.2. A
// powered-off or unknown node answers 595.
func (m *Model) API(name, method, path string, form url.Values) (status int, body []byte) {
	if f := m.FailAPI; f != nil {
		if s, b, ok := f(name, method, path); ok {
			return s, b
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nodes[name]
	if n == nil || !n.powered {
		return apiError(595, fmt.Sprintf("Connection refused: %s is not reachable", name))
	}
	defer m.flushEngine()
	return m.api(n, method, path, form)
}

func isPVE(path string) bool { return path == pveDir || strings.HasPrefix(path, pveDir+"/") }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func (n *node) mkdirAll(d string) {
	for d != "/" && d != "" {
		n.dirs[d] = true
		d = parentDir(d)
	}
}

// dirExists is loose: a directory exists when created or when a file lies
// under it.
func (n *node) dirExists(d string) bool {
	if n.dirs[d] {
		return true
	}
	for p := range n.files {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// SetFingerprints replaces Fingerprints under the model's lock, so a server
// already answering requests can be told its certificates' fingerprints.
func (m *Model) SetFingerprints(fp map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Fingerprints = fp
}
