package sshrun

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testServer is a small in-process SSH server on 127.0.0.1 (the recipe of
// dependencies.md §2.8). It understands a few test commands:
//
//	echo WORDS   prints WORDS and a newline
//	cat          copies stdin to stdout
//	fail N MSG   prints MSG on stderr and exits N
//	hold         reports on started, then waits for gate, a signal or the
//	             channel closing
type testServer struct {
	addr     string
	ln       net.Listener
	cfg      *ssh.ServerConfig
	hostKeys []ssh.Signer

	gate    chan struct{} // closing it releases every "hold"
	started chan string   // receives "hold" when one starts (buffered)
	signals chan string   // receives signal names sent by the client (buffered)

	mu       sync.Mutex
	conns    []net.Conn
	accepted int // TCP connections that completed the handshake
	active   int // open session channels right now
	peak     int // highest active ever seen
	wg       sync.WaitGroup
}

func newKeyEd25519(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newKeyECDSA(t *testing.T) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startServer serves on 127.0.0.1:0 with the given host keys, accepting only
// clientKey.
func startServer(t *testing.T, clientKey ssh.PublicKey, hostKeys ...ssh.Signer) *testServer {
	t.Helper()
	s := &testServer{
		hostKeys: hostKeys,
		gate:     make(chan struct{}),
		started:  make(chan string, 100),
		signals:  make(chan string, 100),
	}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(clientKey.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	for _, k := range hostKeys {
		s.cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
		}()
	}
}

func (s *testServer) serveConn(c net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		c.Close()
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.accepted++
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs) // replies false to any WantReply request
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.active++
		s.peak = max(s.peak, s.active)
		s.mu.Unlock()
		go s.serveSession(ch, creqs)
	}
}

func (s *testServer) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	defer ch.Close()
	execs := make(chan string, 1)
	gone := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		var once sync.Once
		for req := range reqs {
			switch req.Type {
			case "exec":
				var p struct{ Command string }
				if err := ssh.Unmarshal(req.Payload, &p); err != nil {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				execs <- p.Command
			case "signal":
				var p struct{ Signal string }
				_ = ssh.Unmarshal(req.Payload, &p)
				s.signals <- p.Signal
				once.Do(func() { close(killed) })
			default:
				if req.WantReply {
					req.Reply(false, nil)
				}
			}
		}
		close(gone)
	}()
	var cmd string
	select {
	case cmd = <-execs:
	case <-gone:
		return
	}
	code := s.exec(cmd, ch, gone, killed)
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
}

func (s *testServer) exec(cmd string, ch ssh.Channel, gone, killed chan struct{}) int {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return 127
	}
	switch f[0] {
	case "echo":
		fmt.Fprintln(ch, strings.Join(f[1:], " "))
		return 0
	case "cat":
		io.Copy(ch, ch)
		return 0
	case "fail":
		n, _ := strconv.Atoi(f[1])
		fmt.Fprintln(ch.Stderr(), strings.Join(f[2:], " "))
		return n
	case "hold":
		s.started <- "hold"
		select {
		case <-s.gate:
			return 0
		case <-killed:
			return 128 + 9
		case <-gone:
			return 255
		}
	}
	fmt.Fprintf(ch.Stderr(), "bash: %s: command not found\n", f[0])
	return 127
}

// dropAll closes every TCP connection, as a restarting sshd would.
func (s *testServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *testServer) stats() (accepted, active, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, s.active, s.peak
}

func (s *testServer) close() {
	s.ln.Close()
	s.dropAll()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
	s.wg.Wait()
}

// writeKnownHosts writes a known_hosts file with one line per key for addr.
func writeKnownHosts(t *testing.T, addr string, keys ...ssh.PublicKey) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test known_hosts\n")
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(addr)}, k) + "\n")
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixture is a server plus a Runner that trusts it.
type fixture struct {
	srv    *testServer
	runner *Runner
	client ssh.Signer
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	client := newKeyEd25519(t)
	host := newKeyEd25519(t)
	srv := startServer(t, client.PublicKey(), host)
	cfg := Config{Signer: client, KnownHostsFile: writeKnownHosts(t, srv.addr, host.PublicKey())}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &fixture{srv: srv, runner: r, client: client}
}

// recv receives from ch, failing the test if nothing arrives within 10 s.
// The limit only turns a hang (a broken implementation) into a failure; the
// tests never rely on it for ordering.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
