package sshrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// killGrace is how long a cancelled session may take to wind down after
// SIGKILL and close before its whole connection is closed instead (a session
// that does not end holds a MaxSessions slot forever).
const killGrace = 5 * time.Second

// Result is what a command produced. A non-zero Code is not an error.
type Result struct {
	Stdout, Stderr []byte
	// Code is the exit status; 128+N when the command was killed by signal N
	// (as a shell reports it).
	Code int
}

// Runner runs commands over SSH, one connection per address, reused. It is
// safe for concurrent use. The zero value is not usable; call New.
type Runner struct {
	cfg   Config
	hosts *hostKeys

	mu     sync.Mutex
	nodes  map[string]*node
	closed bool

	// onQueue, when set (tests), is called when a command waits for a
	// session slot on addr.
	onQueue func(addr string)
}

// New checks cfg, applies defaults and reads the known_hosts file once. It does
// not connect to anything.
func New(cfg Config) (*Runner, error) {
	if cfg.Signer == nil {
		return nil, errors.New("sshrun: no client key (Config.Signer is nil); load one with LoadKey")
	}
	hosts, err := loadHostKeys(cfg.KnownHostsFile)
	if err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg.withDefaults(), hosts: hosts, nodes: map[string]*node{}}, nil
}

// Run runs cmd (one line for the remote user's login shell) on addr
// ("host:port"), with stdin as its standard input when non-nil, and returns
// its output and exit status. It connects (or reconnects) as needed and waits
// for a session slot when MaxSessions commands are already running on addr.
//
// Errors: *HostKeyError for host key problems; ctx.Err() (wrapped, with the
// address) when ctx ends or CommandTimeout passes, after the remote command was
// sent SIGKILL and its session closed; otherwise transport errors wrapped with
// the address.
func (r *Runner) Run(ctx context.Context, addr, cmd string, stdin []byte) (Result, error) {
	n, err := r.node(addr)
	if err != nil {
		return Result{}, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.cfg.CommandTimeout)
	defer cancel()

	if err := n.acquire(ctx, r.onQueue); err != nil {
		return Result{}, r.ctxErr(parent, addr)
	}
	// One retry when the session cannot be opened because the connection
	// died (the server dropped it, or it was half-open): no command was sent,
	// so trying again on a fresh connection is safe.
	for attempt := 0; ; attempt++ {
		c, err := n.get(ctx, r)
		if err != nil {
			n.release()
			if ctx.Err() != nil {
				return Result{}, r.ctxErr(parent, addr)
			}
			return Result{}, err
		}
		sess, err := c.NewSession()
		if err == nil {
			return r.runSession(ctx, parent, n, c, sess, cmd, stdin)
		}
		lost := connLost(err)
		if lost {
			n.drop(c)
		}
		if !lost || attempt > 0 || ctx.Err() != nil {
			n.release()
			return Result{}, fmt.Errorf("ssh %s: open session: %w", addr, err)
		}
	}
}

// runSession runs cmd on sess and owns the session slot from here on: it is
// released when the session has ended, which after a cancel may be later
// than Run returns.
func (r *Runner) runSession(ctx, parent context.Context, n *node, c *ssh.Client, sess *ssh.Session, cmd string, stdin []byte) (Result, error) {
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if stdin != nil {
		sess.Stdin = bytes.NewReader(stdin)
	}
	done := make(chan error, 1)
	go func() {
		err := sess.Run(cmd)
		sess.Close()
		n.release()
		done <- err
	}()

	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// Without a pty sshd may not kill the remote process when the channel
		// closes (dependencies.md §2.4), so ask for SIGKILL first.
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		go func() {
			select {
			case <-done:
			case <-time.After(killGrace):
				n.drop(c)
			}
		}()
		return Result{}, r.ctxErr(parent, n.addr)
	}

	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exitErr):
		res.Code = exitErr.ExitStatus()
		return res, nil
	case errors.As(err, &missing):
		return res, fmt.Errorf("ssh %s: command ended without an exit status (sshd or the connection dropped it); its effect is unknown", n.addr)
	default:
		return res, fmt.Errorf("ssh %s: %w", n.addr, err)
	}
}

// ctxErr explains why the (derived) ctx ended: the caller's ctx, or our
// CommandTimeout.
func (r *Runner) ctxErr(parent context.Context, addr string) error {
	if err := parent.Err(); err != nil {
		return fmt.Errorf("ssh %s: %w", addr, err)
	}
	return fmt.Errorf("ssh %s: command did not finish within %s (CommandTimeout) and was killed: %w",
		addr, r.cfg.CommandTimeout, context.DeadlineExceeded)
}

func (r *Runner) node(addr string) (*node, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("ssh %s: runner is closed", addr)
	}
	n := r.nodes[addr]
	if n == nil {
		n = newNode(addr, r.cfg.MaxSessions)
		r.nodes[addr] = n
	}
	return n, nil
}

// adopt refuses a freshly dialled connection when the Runner was closed
// meanwhile, so Close leaves nothing open.
func (r *Runner) adopt(c *ssh.Client) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return errors.New("sshrun: runner is closed")
	}
	return nil
}

// Close closes every connection. Commands still running fail with a
// transport error; later calls to Run fail at once. Close is idempotent.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	nodes := make([]*node, 0, len(r.nodes))
	for _, n := range r.nodes {
		nodes = append(nodes, n)
	}
	r.mu.Unlock()
	for _, n := range nodes {
		n.close()
	}
	return nil
}
