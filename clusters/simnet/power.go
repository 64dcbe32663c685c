package simnet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Power.
//
// A powered-off node must look like a machine that is off: connecting gives
// "connection refused". So its listeners are closed (and its open
// connections dropped) when the Backend reports it off, and reopened on the
// same ports when it is on again.
//
// The Backend has no change notification, so power is noticed three ways:
// Sync (called by tests and tools right after they change power, which makes
// the transition deterministic), a kick after every API request and SSH
// command (a command may power a node off), and a watcher polling every
// pollInterval as a fallback. Between a change and its noticing, a listener
// that is still open checks Powered on every accepted connection and closes
// it at once, so a powered-off node never answers.

// simNode is one node's listeners.
type simNode struct {
	name             string
	mat              *nodeMaterial
	apiPort, sshPort int

	// Guarded by Server.mu.
	on  bool
	api *http.Server // nil while off (or after a failed API restart)
	// apiLn is api's listener. It is closed here too, not only through
	// api.Close: an http.Server closed before its Serve goroutine has run
	// does not know the listener yet, and the port would stay bound until
	// that goroutine runs — a re-listen in between fails with EADDRINUSE.
	apiLn net.Listener
	sshLn net.Listener

	connMu   sync.Mutex
	sshConns map[net.Conn]struct{}
}

// Sync makes every node's listeners match Backend.Powered now. It returns
// the first error met while opening a listener (e.g. the port was taken
// meanwhile); the watcher retries on its next tick.
func (s *Server) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("simnet: server is closed")
	}
	var first error
	for _, name := range s.order {
		n := s.nodes[name]
		want := s.b.Powered(name)
		switch {
		case want && !n.on:
			if err := s.up(n); err != nil && first == nil {
				first = err
			}
		case !want && n.on:
			n.down()
		case want && n.on && n.api == nil:
			// A certificate renewal could not reopen the API port.
			if err := s.upAPI(n); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// kickSync asks the watcher to Sync soon, without waiting.
func (s *Server) kickSync() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) watch() {
	defer s.wg.Done()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		case <-s.kick:
		}
		_ = s.Sync()
	}
}

// up opens n's listeners. Caller holds s.mu.
func (s *Server) up(n *simNode) error {
	if err := s.upAPI(n); err != nil {
		return err
	}
	sshLn, err := net.Listen("tcp", loopback(n.sshPort))
	if err != nil {
		n.closeAPI()
		return fmt.Errorf("simnet: node %s: SSH port: %w", n.name, err)
	}
	n.sshLn = &gate{Listener: sshLn, open: func() bool { return s.powered(n.name) }}
	n.on = true
	s.wg.Add(1)
	go func(ln net.Listener) {
		defer s.wg.Done()
		s.serveSSH(n, ln)
	}(n.sshLn)
	return nil
}

// upAPI opens n's HTTPS listener and server (n.api). The certificate is
// looked up per handshake, so a renewed one is served at once. Caller
// holds s.mu.
func (s *Server) upAPI(n *simNode) error {
	apiLn, err := net.Listen("tcp", loopback(n.apiPort))
	if err != nil {
		return fmt.Errorf("simnet: node %s: API port: %w", n.name, err)
	}
	n.api = &http.Server{
		Handler: s.apiHandler(n.name),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				c := s.cert(n)
				return &c, nil
			}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // TLS handshake noise from pin mismatches
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	n.apiLn = apiLn
	api := n.api
	gated := &gate{Listener: apiLn, open: func() bool { return s.powered(n.name) }}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = api.ServeTLS(gated, "", "")
	}()
	return nil
}

// down closes n's listeners and connections. Caller holds s.mu.
func (n *simNode) down() {
	if !n.on {
		return
	}
	n.on = false
	n.closeAPI()
	n.sshLn.Close()
	n.connMu.Lock()
	for c := range n.sshConns {
		c.Close()
	}
	n.connMu.Unlock()
}

// closeAPI closes n's API server, its connections and its listener.
func (n *simNode) closeAPI() {
	if n.api != nil {
		n.api.Close() // every connection, and the listener once Serve tracks it
		n.api = nil
	}
	if n.apiLn != nil {
		n.apiLn.Close()
		n.apiLn = nil
	}
}

// powered asks the Backend and, when the node is off, has the watcher catch
// up.
func (s *Server) powered(node string) bool {
	if s.b.Powered(node) {
		return true
	}
	s.kickSync()
	return false
}

// gate is a listener that closes connections accepted while its node is off.
type gate struct {
	net.Listener
	open func() bool
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if g.open() {
			return c, nil
		}
		c.Close()
	}
}
