package simnet

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sshrun"
)

func startSim(t *testing.T, b Backend, opts Options) *Server {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := Start(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runnerFor builds an sshrun.Runner trusting every node of s, with the
// simulator's client key.
func runnerFor(t *testing.T, s *Server) *sshrun.Runner {
	t.Helper()
	var lines []string
	for _, name := range s.order {
		ep := s.Node(name)
		lines = append(lines, knownhosts.Line([]string{knownhosts.Normalize(loopback(ep.SSHPort))}, ep.SSHHostKey))
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := sshrun.LoadKey(filepath.Join(s.Dir(), ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sshrun.New(sshrun.Config{Signer: signer, KnownHostsFile: kh, CommandTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// apiFor builds a pveapi.Client for node with the given secret ("" = the
// simulator's).
func apiFor(t *testing.T, s *Server, node, secret string) *pveapi.Client {
	t.Helper()
	if secret == "" {
		secret = s.mat.secret
	}
	ep := s.Node(node)
	c, err := pveapi.New(pveapi.Config{BaseURL: ep.APIURL, Fingerprint: ep.Fingerprint, TokenID: TokenID, TokenSecret: secret, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// sshClient dials node with x/crypto directly (for protocol-level checks).
func sshClient(t *testing.T, s *Server, node string) *ssh.Client {
	t.Helper()
	signer, err := sshrun.LoadKey(filepath.Join(s.Dir(), ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ep := s.Node(node)
	c, err := ssh.Dial("tcp", loopback(ep.SSHPort), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(ep.SSHHostKey), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
