package lab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state/corosync"
)

// Options configures Start. The zero value is a 3-node cluster "lab" at
// config_version 1 under os.TempDir().
type Options struct {
	// Nodes is the number of nodes, named pve1..pveN with nodeid 1..N.
	// 0 means 3; at most 99 (the host-side veth name must fit in 15 bytes).
	Nodes int
	// ClusterName is totem.cluster_name; "" means "lab".
	ClusterName string
	// ConfigVersion is totem.config_version of the initial corosync.conf;
	// 0 means 1.
	ConfigVersion uint64
	// TempDir is where the lab's directory is created; "" means os.TempDir().
	TempDir string
	// Links is the number of corosync links, 1 or 2; 0 means 1. With 2,
	// every node gets a second veth (eth1) on a second private bridge
	// (Bridge1, 10.99.k1.0/24 with k1 chosen like k), and Conf writes two
	// interface sections and ring1_addr, as Proxmox does for a second link
	// (sim.BuildConf with two corosync.Interface entries).
	Links int
	// QNetd, when set, adds a qnetd host (QNetdHost, namespace
	// qlab<ID>-qnetd) on link 0's bridge at 10.99.k.200 with its own private
	// mounts, its NSS database initialized (corosync-qnetd-certutil -i,
	// corosync-lab §4) and `corosync-qnetd -f` running. The nodes are not
	// touched: SetupQDevice does their part once corosync runs. Start then
	// needs QNetdAvailable.
	QNetd bool
	// SSH, when set, gives every node an OpenSSH server on its address,
	// port 22, that accepts root with the lab's client key (ClientKeyFile)
	// and proves itself with the node's own ed25519 host key
	// (SSHKnownHosts). Start then needs SSHAvailable.
	SSH bool
	// Logf, when set, receives one line per setup or teardown step (t.Logf).
	Logf func(format string, args ...any)
}

// Lab is a running set of network namespaces, one per node, joined by a
// private bridge, each with private /etc/corosync, /var/lib/corosync,
// /var/log and /run (corosync-lab.md "How the lab ... was built"). Corosync
// is not started by Start; see StartCorosync. Methods are safe for
// concurrent use. Close releases everything; a lab not closed (a crashed
// test) is torn down by the next Start.
type Lab struct {
	// ID is the 6-hex-digit id in every name the lab creates.
	ID string
	// Bridge is the host-side bridge of link 0, qlab<ID>b0.
	Bridge string
	// Bridge1 is the host-side bridge of link 1, qlab<ID>b1, or "" for a
	// lab with one link.
	Bridge1 string
	// Dir is the lab's directory; node pveN lives in Dir/pveN.
	Dir string

	cluster string
	version uint64 // the initial config_version
	subnet  int    // k of 10.99.k.0/24 (link 0)
	subnet1 int    // k1 of 10.99.k1.0/24 (link 1); 0 with one link
	links   int    // 1 or 2
	logf    func(string, ...any)
	names   []string
	nodes   map[string]*node // the cluster nodes by name, plus QNetdHost with Options.QNetd
	qnetd   *node            // the qnetd host (Options.QNetd), else nil
	// knownHosts is set once by buildSSH (Options.SSH), before Start returns.
	knownHosts []byte

	mu           sync.Mutex // guards rec, closed and qdeviceSetup
	rec          *record
	closed       bool
	qdeviceSetup bool // SetupQDevice ran
}

// Start creates the lab: it first tears down leftovers of crashed runs
// (cleanLeftovers), then the bridge, one namespace and veth per node, the
// node directories with the initial corosync.conf (Conf(ConfigVersion)) and
// a shared authkey, and one mount-namespace holder per node. It checks that
// every node address routes through the lab's own bridge. On error
// everything created so far is removed again.
func Start(opts Options) (*Lab, error) {
	for _, avail := range []struct {
		want bool
		f    func() (bool, string)
	}{{true, Available}, {opts.SSH, SSHAvailable}, {opts.QNetd, QNetdAvailable}} {
		if !avail.want {
			continue
		}
		if ok, why := avail.f(); !ok {
			return nil, errors.New(why)
		}
	}
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.Nodes < 1 || opts.Nodes > 99 {
		return nil, fmt.Errorf("lab: Options.Nodes = %d; use 1..99", opts.Nodes)
	}
	if opts.Links == 0 {
		opts.Links = 1
	}
	if opts.Links < 1 || opts.Links > 2 {
		return nil, fmt.Errorf("lab: Options.Links = %d; the lab builds 1 or 2 links", opts.Links)
	}
	if opts.ClusterName == "" {
		opts.ClusterName = "lab"
	}
	if opts.ConfigVersion == 0 {
		opts.ConfigVersion = 1
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	unlock, err := lockState()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := cleanLeftovers(); err != nil {
		return nil, fmt.Errorf("lab: cleaning up a previous run failed, nothing new was created: %w", err)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	owner, err := newProc(os.Getpid(), "owner (go test)")
	if err != nil {
		return nil, err
	}
	ks, err := pickSubnets(opts.Links)
	if err != nil {
		return nil, err
	}
	k := ks[0]
	dir, err := os.MkdirTemp(opts.TempDir, dirPrefix+id+"-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l := &Lab{
		ID: id, Bridge: prefix + id + "b0", Dir: dir,
		cluster: opts.ClusterName, version: opts.ConfigVersion, subnet: k, links: opts.Links, logf: logf,
		nodes: map[string]*node{},
		rec:   &record{ID: id, Owner: owner, Dir: dir, Subnet: k, Bridge: prefix + id + "b0"},
	}
	if opts.Links == 2 {
		l.subnet1, l.Bridge1 = ks[1], prefix+id+"b1"
		l.rec.Subnet1 = ks[1]
	}
	for i := 1; i <= opts.Nodes; i++ {
		nm := fmt.Sprintf("pve%d", i)
		l.names = append(l.names, nm)
		l.nodes[nm] = &node{name: nm, id: i, ns: prefix + id + "-" + nm, dir: filepath.Join(dir, nm), lab: l}
	}
	if opts.QNetd {
		l.qnetd = &node{name: QNetdHost, id: qnetdOctet, ns: prefix + id + "-" + QNetdHost, dir: filepath.Join(dir, QNetdHost), lab: l, isQNetd: true}
		l.nodes[QNetdHost] = l.qnetd
	}
	// The record goes to disk before anything exists, so a crash at any
	// later point leaves enough for the next Start to clean up.
	if err := l.saveRecord(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := l.build(opts.SSH); err != nil {
		cerr := l.Close()
		return nil, errors.Join(fmt.Errorf("lab %s: setup failed, everything created was removed: %w", id, err), cerr)
	}
	logf("lab %s: %d nodes, %s, dir %s", id, opts.Nodes, l.describeNets(), dir)
	return l, nil
}

// build creates the network, the node files and the holders, and with ssh
// every node's sshd.
func (l *Lab) build(ssh bool) error {
	if err := l.buildNetwork(); err != nil {
		return err
	}
	key := make([]byte, 256) // corosync-keygen's default size (2048 bits)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	for _, nm := range l.names {
		n := l.nodes[nm]
		if err := n.makeDirs(key, l.Conf(l.version)); err != nil {
			return fmt.Errorf("node %s: %w", nm, err)
		}
		if err := n.startHolder(); err != nil {
			return fmt.Errorf("node %s: %w", nm, err)
		}
	}
	if ssh {
		if err := l.buildSSH(); err != nil {
			return fmt.Errorf("sshd: %w", err)
		}
	}
	if l.qnetd != nil {
		if err := l.buildQNetd(); err != nil {
			return fmt.Errorf("qnetd host: %w", err)
		}
	}
	for _, a := range l.allAddrs() {
		if err := l.CheckRoute(a); err != nil {
			return err
		}
	}
	return nil
}

// allAddrs lists every address the lab gives a namespace: each node's on
// each link, then the qnetd host's.
func (l *Lab) allAddrs() []string {
	var out []string
	for _, nm := range l.names {
		for link := 0; link < l.links; link++ {
			out = append(out, l.AddrOn(nm, link))
		}
	}
	if l.qnetd != nil {
		out = append(out, l.QNetdAddr())
	}
	return out
}

// describeNets is the lab's networks for the log: "10.99.7.0/24 via
// qlab…b0, 10.99.8.0/24 via qlab…b1".
func (l *Lab) describeNets() string {
	s := fmt.Sprintf("10.99.%d.0/24 via %s", l.subnet, l.Bridge)
	if l.links == 2 {
		s += fmt.Sprintf(", 10.99.%d.0/24 via %s", l.subnet1, l.Bridge1)
	}
	if l.qnetd != nil {
		s += ", qnetd at " + l.QNetdAddr()
	}
	return s
}

// Nodes returns the node names pve1..pveN in nodeid order.
func (l *Lab) Nodes() []string { return append([]string(nil), l.names...) }

// Addr returns node's link-0 address, 10.99.k.<nodeid>, or "" for an
// unknown node. For QNetdHost it is the qnetd host's address, 10.99.k.200.
func (l *Lab) Addr(node string) string { return l.AddrOn(node, 0) }

// AddrOn returns node's address on link (0 or 1), 10.99.k.<nodeid> or
// 10.99.k1.<nodeid>; "" for an unknown node, a link the lab does not have,
// or the qnetd host on link 1 (it sits on link 0's bridge only).
func (l *Lab) AddrOn(node string, link int) string {
	n := l.nodes[node]
	k := l.subnetOf(link)
	if n == nil || k == 0 || (n.isQNetd && link != 0) {
		return ""
	}
	return fmt.Sprintf("10.99.%d.%d", k, n.id)
}

// subnetOf returns k of link's 10.99.k.0/24, or 0 for a link the lab does
// not have.
func (l *Lab) subnetOf(link int) int {
	switch {
	case link == 0:
		return l.subnet
	case link == 1 && l.links == 2:
		return l.subnet1
	}
	return 0
}

// HostAddr returns the host's address on link 0's bridge, 10.99.k.254.
func (l *Lab) HostAddr() string { return fmt.Sprintf("10.99.%d.254", l.subnet) }

// LinkCount returns the number of corosync links the lab has (Options.Links).
func (l *Lab) LinkCount() int { return l.links }

// Interfaces returns the lab's corosync links as totem interface sections
// (link 0, and link 1 with Options.Links = 2, no priorities): what Conf
// writes and what sim.NewCluster needs for the simulator twin.
func (l *Lab) Interfaces() []corosync.Interface {
	var out []corosync.Interface
	for link := 0; link < l.links; link++ {
		out = append(out, corosync.Interface{Number: link})
	}
	return out
}

// Namespace returns the network namespace name of node (qlab<ID>-pveN).
func (l *Lab) Namespace(node string) string {
	if n := l.nodes[node]; n != nil {
		return n.ns
	}
	return ""
}

// Specs returns the nodes as clusters/sim describes them (same names,
// nodeids, votes and addresses on every link of the lab), so a test can
// build the simulator twin of the lab with
// sim.NewCluster(l.ClusterName(), l.Interfaces(), l.Specs(), v).
func (l *Lab) Specs() []sim.NodeSpec {
	var out []sim.NodeSpec
	for _, nm := range l.names {
		addrs := map[int]string{}
		for link := 0; link < l.links; link++ {
			addrs[link] = l.AddrOn(nm, link)
		}
		out = append(out, sim.NodeSpec{Name: nm, NodeID: l.nodes[nm].id, Votes: 1, Addrs: addrs, HostIP: l.Addr(nm)})
	}
	return out
}

// ClusterName returns totem.cluster_name of the lab's corosync.conf.
func (l *Lab) ClusterName() string { return l.cluster }

// Close stops every process the lab started (SIGKILL, by recorded PID and
// start time, plus anything left inside its namespaces), deletes its
// namespaces, veths and bridge, its directory and its state record. It is
// idempotent: later calls return nil.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	rec := *l.rec
	l.mu.Unlock()
	err := teardown(&rec)
	for _, n := range l.nodes {
		n.waitChildren()
	}
	if err != nil {
		return fmt.Errorf("lab %s: teardown incomplete (run the tests again to retry the cleanup): %w", l.ID, err)
	}
	l.logf("lab %s: torn down", l.ID)
	return nil
}

// node looks a node up, with an error naming the valid ones.
func (l *Lab) node(name string) (*node, error) {
	n := l.nodes[name]
	if n == nil {
		return nil, fmt.Errorf("lab %s: no node %q (nodes: %s)", l.ID, name, strings.Join(l.names, ", "))
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("lab %s: node %s: the lab is closed", l.ID, name)
	}
	return n, nil
}

// clusterNode is node for the methods that concern corosync, which the
// qnetd host does not run.
func (l *Lab) clusterNode(name string) (*node, error) {
	n, err := l.node(name)
	if err == nil && n.isQNetd {
		return nil, fmt.Errorf("lab %s: %s is the qnetd host, not a cluster node (nodes: %s)", l.ID, name, strings.Join(l.names, ", "))
	}
	return n, err
}

// addProc records a started process in the state file.
func (l *Lab) addProc(p Proc) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec.Procs = append(l.rec.Procs, p)
	return l.rec.save()
}

// noteCreated records a namespace or link before it is created.
func (l *Lab) noteCreated(ns, link string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ns != "" {
		l.rec.Namespaces = append(l.rec.Namespaces, ns)
	}
	if link != "" {
		l.rec.Links = append(l.rec.Links, link)
	}
	return l.rec.save()
}

func (l *Lab) saveRecord() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec.save()
}

// newID returns 6 random hex digits.
func newID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lab: random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
