package sshrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// node is the Runner's state for one address: the current connection and the
// session semaphore. Because there is at most one connection per address at a
// time, a per-address semaphore is a per-connection semaphore.
type node struct {
	addr string
	// lock is a one-slot mutex that a waiter can abandon when its ctx ends.
	// It is held while checking, dialling or replacing client.
	lock chan struct{}
	// sem holds one token per open session.
	sem chan struct{}

	client *ssh.Client   // guarded by lock; nil = not connected
	dead   chan struct{} // closed when client's connection ends
}

func newNode(addr string, maxSessions int) *node {
	return &node{addr: addr, lock: make(chan struct{}, 1), sem: make(chan struct{}, maxSessions)}
}

// acquire takes a session slot; onQueue (a test hook) is told when the caller
// has to wait for one.
func (n *node) acquire(ctx context.Context, onQueue func(addr string)) error {
	select {
	case n.sem <- struct{}{}:
		return nil
	default:
	}
	if onQueue != nil {
		onQueue(n.addr)
	}
	select {
	case n.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *node) release() { <-n.sem }

// get returns the live connection, dialling a new one when there is none or
// the last one died.
func (n *node) get(ctx context.Context, r *Runner) (*ssh.Client, error) {
	select {
	case n.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-n.lock }()
	if n.client != nil {
		select {
		case <-n.dead:
			n.client.Close()
			n.client = nil
		default:
			return n.client, nil
		}
	}
	c, err := r.dial(ctx, n.addr)
	if err != nil {
		return nil, err
	}
	if err := r.adopt(c); err != nil {
		return nil, err
	}
	n.client, n.dead = c, make(chan struct{})
	go func(dead chan struct{}) {
		_ = c.Wait() // returns when the connection ends, for whatever reason
		close(dead)
	}(n.dead)
	return c, nil
}

// drop forgets c (if it is still the current connection) and closes it, so
// the next command dials afresh.
func (n *node) drop(c *ssh.Client) {
	n.lock <- struct{}{}
	if n.client == c {
		n.client = nil
	}
	<-n.lock
	c.Close()
}

// close closes the current connection, if any.
func (n *node) close() {
	n.lock <- struct{}{}
	c := n.client
	n.client = nil
	<-n.lock
	if c != nil {
		c.Close()
	}
}

// dial connects to addr and does the SSH handshake, both within DialTimeout
// and ctx. ssh.ClientConfig.Timeout covers only the TCP connect, so the
// handshake is bounded by a deadline on the raw connection (dependencies.md
// §2.4), and a ctx cancel closes the connection.
func (r *Runner) dial(ctx context.Context, addr string) (*ssh.Client, error) {
	known := r.hosts.known(addr)
	var hkErr *HostKeyError
	cfg := &ssh.ClientConfig{
		User:              r.cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(r.cfg.Signer)},
		HostKeyCallback:   r.hosts.callback(addr, &hkErr),
		HostKeyAlgorithms: algorithms(known),
		Timeout:           r.cfg.DialTimeout,
	}
	d := net.Dialer{Timeout: r.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: connect: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(r.cfg.DialTimeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	notFired := stop()
	switch {
	case err != nil && hkErr != nil:
		return nil, hkErr
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("ssh %s: handshake: %w", addr, ctx.Err())
	case err != nil && strings.Contains(err.Error(), "no common algorithm for host key") && len(known) > 0:
		// The server has none of the key types known_hosts lists for it:
		// as much a changed key as a different key of the same type.
		e := &HostKeyError{Addr: addr, File: r.hosts.file}
		for _, k := range known {
			e.Want = append(e.Want, ssh.FingerprintSHA256(k))
		}
		return nil, e
	case err != nil && strings.Contains(err.Error(), "unable to authenticate"):
		return nil, fmt.Errorf("ssh %s: login as %s with key %s was refused: authorize that public key for %s on the node: %w",
			addr, r.cfg.User, ssh.FingerprintSHA256(r.cfg.Signer.PublicKey()), r.cfg.User, err)
	case err != nil:
		return nil, fmt.Errorf("ssh %s: handshake: %w", addr, err)
	case !notFired:
		sc.Close()
		return nil, fmt.Errorf("ssh %s: handshake: %w", addr, ctx.Err())
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// connLost reports whether a NewSession error means the connection is gone
// (as opposed to the server refusing this one channel, which it says with an
// OpenChannelError on a healthy connection).
func connLost(err error) bool {
	var oce *ssh.OpenChannelError
	return !errors.As(err, &oce)
}
