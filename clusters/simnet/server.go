package simnet

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Backend is what the simulated nodes answer; clusters/sim's Model implements
// it. Calls may come concurrently from many connections.
type Backend interface {
	// ClusterName names the cluster (used for the YAML written by WriteConfig).
	ClusterName() string
	// Nodes lists the machines to serve, in a stable order (it fixes ports
	// when Options.BasePort is set).
	Nodes() []string
	// Powered reports whether the machine is on. It is called often (per
	// accepted connection and on every power check), so it must be cheap.
	Powered(node string) bool
	// Exec runs one command line as root on node, with stdin fully read.
	Exec(node, cmd string, stdin []byte) (stdout, stderr []byte, code int)
	// API answers one request; path is what follows /api2/json (e.g.
	// "/cluster/status"), form holds query and body parameters. body is the
	// complete JSON response.
	API(node, method, path string, form url.Values) (status int, body []byte)
}

// Options configures Start. The zero value is valid.
type Options struct {
	// Dir holds keys, certificates and the token secret; files present there
	// are reused, so fingerprints and host keys survive restarts. "" means a
	// temporary directory removed by Close.
	Dir string
	// Latency is added before answering each API request and before running
	// each SSH command (for benchmarks); 0 = none.
	Latency time.Duration
	// BasePort 0 picks free ports. Otherwise the i-th node of Nodes()
	// (counting from 1) gets API port BasePort+i and SSH port BasePort+100+i.
	BasePort int
}

// NodeEndpoint is where one simulated node listens.
type NodeEndpoint struct {
	// APIURL is https://127.0.0.1:APIPort.
	APIURL           string
	APIPort, SSHPort int
	// Fingerprint is the SHA-256 fingerprint of the node's HTTPS certificate,
	// upper-case colon hex as Proxmox shows it.
	Fingerprint string
	// SSHHostKey is the node's ed25519 host key.
	SSHHostKey ssh.PublicKey
}

// pollInterval is how often the power watcher asks the Backend; see power.go.
const pollInterval = 100 * time.Millisecond

// Server is a running simulated cluster. Its methods are safe for concurrent
// use.
type Server struct {
	b       Backend
	opts    Options
	mat     *material
	tempDir string // removed by Close when Dir was ""

	order []string
	nodes map[string]*simNode

	mu     sync.Mutex // serialises power transitions, certificate renewals and Close
	closed bool
	// certMu guards every node's cert and fingerprint (RenewCert changes
	// them while handshakes and Node calls read them).
	certMu sync.RWMutex
	kick   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
}

// Start creates or loads the key material, opens the listeners of every
// powered node and starts the power watcher. Close stops everything.
func Start(b Backend, opts Options) (*Server, error) {
	names := b.Nodes()
	if len(names) == 0 {
		return nil, errors.New("simnet: the backend has no nodes")
	}
	if opts.BasePort != 0 && (len(names) > 99 || opts.BasePort < 1 || opts.BasePort+100+len(names) > 65535) {
		return nil, fmt.Errorf("simnet: base port %d cannot fit %d nodes (API BasePort+1.., SSH BasePort+101..; at most 99 nodes)", opts.BasePort, len(names))
	}
	s := &Server{b: b, opts: opts, order: names, nodes: map[string]*simNode{},
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	if opts.Dir == "" {
		d, err := os.MkdirTemp("", "quorate-simnet-")
		if err != nil {
			return nil, err
		}
		s.tempDir, s.opts.Dir = d, d
	}
	mat, err := loadMaterial(s.opts.Dir, names)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	s.mat = mat
	for i, name := range names {
		if _, dup := s.nodes[name]; dup {
			s.cleanup()
			return nil, fmt.Errorf("simnet: node %q listed twice", name)
		}
		n := &simNode{name: name, mat: mat.nodes[name], sshConns: map[net.Conn]struct{}{}}
		if opts.BasePort != 0 {
			n.apiPort, n.sshPort = opts.BasePort+i+1, opts.BasePort+100+i+1
		}
		s.nodes[name] = n
	}
	if err := s.reservePorts(); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.firstSync(); err != nil {
		s.Close()
		return nil, err
	}
	s.attachCerts()
	s.wg.Add(1)
	go s.watch()
	return s, nil
}

// firstSync opens the powered nodes' listeners. A picked port can be taken
// between the probe and the bind (another process's outgoing connection gets
// it as its source port); with picked ports (BasePort 0) the nodes that could
// not bind get new ones, a few times. Once started, a node keeps its ports.
func (s *Server) firstSync() error {
	for attempt := 0; ; attempt++ {
		err := s.Sync()
		if err == nil || s.opts.BasePort != 0 || attempt == 4 || !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
		s.mu.Lock()
		for _, name := range s.order {
			if n := s.nodes[name]; !n.on && s.b.Powered(name) {
				n.apiPort, n.sshPort = 0, 0
			}
		}
		err = s.reservePorts()
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// reservePorts picks free ports for nodes that have none yet (BasePort 0):
// the port must be known, and stay the same, even while a node is off. All
// probe listeners stay open until every port is picked, so no two nodes get
// the same one.
func (s *Server) reservePorts() error {
	var probes []net.Listener
	defer func() {
		for _, ln := range probes {
			ln.Close()
		}
	}()
	for _, name := range s.order {
		n := s.nodes[name]
		for _, p := range []*int{&n.apiPort, &n.sshPort} {
			if *p != 0 {
				continue
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("simnet: node %s: %w", name, err)
			}
			probes = append(probes, ln)
			*p = ln.Addr().(*net.TCPAddr).Port
		}
	}
	return nil
}

// Node returns where name listens; the zero value for an unknown name.
func (s *Server) Node(name string) NodeEndpoint {
	n := s.nodes[name]
	if n == nil {
		return NodeEndpoint{}
	}
	return NodeEndpoint{
		APIURL:      "https://" + loopback(n.apiPort),
		APIPort:     n.apiPort,
		SSHPort:     n.sshPort,
		Fingerprint: s.fingerprint(n),
		SSHHostKey:  n.mat.hostKey.PublicKey(),
	}
}

// Fingerprints maps every node to its current HTTPS certificate fingerprint
// (for the model's pve_fp answers); RenewCert changes a node's.
func (s *Server) Fingerprints() map[string]string {
	s.certMu.RLock()
	defer s.certMu.RUnlock()
	out := make(map[string]string, len(s.nodes))
	for name, n := range s.nodes {
		out[name] = n.mat.fingerprint
	}
	return out
}

// RootPassword returns root@pam's password kept in Dir (RootPasswordFile).
func (s *Server) RootPassword() string { return s.mat.rootPassword }

// Dir returns the directory holding the key material.
func (s *Server) Dir() string { return s.opts.Dir }

// Close stops the watcher, closes every listener and connection, and removes
// the key directory if Start created a temporary one. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, name := range s.order {
		s.nodes[name].down()
	}
	s.mu.Unlock()
	s.detachCerts() // outside s.mu: it takes the Backend's lock
	s.wg.Wait()
	s.cleanup()
	return nil
}

func (s *Server) cleanup() {
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
