package simnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// maxSessions mirrors OpenSSH's MaxSessions default (dependencies.md §2.3).
const maxSessions = 10

// maxStdin bounds a command's standard input.
const maxStdin = 16 << 20

// handshakeTimeout mirrors sshd's LoginGraceTime, shortened.
const handshakeTimeout = 10 * time.Second

// sshConfigFor is node n's server config: its own host key, and only root
// with the simulator's client key may log in.
func (s *Server) sshConfigFor(n *simNode) *ssh.ServerConfig {
	want := s.mat.clientKey.Marshal()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == "root" && bytes.Equal(key.Marshal(), want) {
				return &ssh.Permissions{}, nil
			}
			return nil, fmt.Errorf("simnet: only root with %s may log in", ClientKeyFile)
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 quorate-simnet",
	}
	cfg.AddHostKey(n.mat.hostKey)
	return cfg
}

func (s *Server) serveSSH(n *simNode, ln net.Listener) {
	cfg := s.sshConfigFor(n)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		n.connMu.Lock()
		n.sshConns[c] = struct{}{}
		n.connMu.Unlock()
		go func() {
			defer func() {
				n.connMu.Lock()
				delete(n.sshConns, c)
				n.connMu.Unlock()
				c.Close()
			}()
			s.sshConn(n, c, cfg)
		}()
	}
}

func (s *Server) sshConn(n *simNode, c net.Conn, cfg *ssh.ServerConfig) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	_ = c.SetDeadline(time.Time{})
	// Global requests (keepalive@openssh.com, ...): OpenSSH answers
	// REQUEST_FAILURE; not replying would stall a client that wants one.
	go ssh.DiscardRequests(reqs)

	var mu sync.Mutex
	open := 0
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		mu.Lock()
		full := open >= maxSessions
		if !full {
			open++
		}
		mu.Unlock()
		if full {
			nch.Reject(ssh.Prohibited, "open failed") // OpenSSH's answer past MaxSessions
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			mu.Lock()
			open--
			mu.Unlock()
			continue
		}
		go func() {
			s.session(n, sc, ch, creqs)
			mu.Lock()
			open--
			mu.Unlock()
		}()
	}
}

// session serves one session channel: one exec, nothing else.
func (s *Server) session(n *simNode, sc *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	execs := make(chan string, 1)
	go func() {
		started := false
		for req := range reqs {
			switch req.Type {
			case "exec":
				var p struct{ Command string }
				if started || ssh.Unmarshal(req.Payload, &p) != nil {
					req.Reply(false, nil)
					continue
				}
				started = true
				req.Reply(true, nil)
				execs <- p.Command
			case "env":
				req.Reply(true, nil) // accepted and ignored, as AcceptEnv would drop it
			default:
				// pty-req, shell, subsystem, x11-req, signal...: refused.
				// A signal cannot stop a Backend call in progress.
				if req.WantReply {
					req.Reply(false, nil)
				}
			}
		}
		close(execs)
	}()
	cmd, ok := <-execs
	if !ok {
		return
	}
	stdin, err := io.ReadAll(io.LimitReader(ch, maxStdin+1))
	if err != nil || len(stdin) > maxStdin {
		fmt.Fprintf(ch.Stderr(), "simnet: standard input unreadable or over %d bytes\n", maxStdin)
		exit(ch, 1)
		return
	}
	if !sleep(context.Background(), s.opts.Latency) {
		return
	}
	if !s.powered(n.name) {
		// Off since this connection was made, and the watcher has not
		// caught up: a machine that is off runs nothing.
		sc.Close()
		return
	}
	stdout, stderr, code := s.b.Exec(n.name, cmd, stdin)
	ch.Write(stdout)
	ch.Stderr().Write(stderr)
	exit(ch, code)
	ch.Close()
	if !s.b.Powered(n.name) {
		// The command powered the node off: drop its connections now (after
		// the exit status went out), so no later command on a reused
		// connection runs.
		_ = s.Sync()
	}
}

func exit(ch ssh.Channel, code int) {
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
}
