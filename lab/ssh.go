package lab

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHStartTimeout bounds the wait for a node's sshd to say it listens
// (OpenSSH needs milliseconds; a hang means a broken config or binary).
const SSHStartTimeout = 15 * time.Second

// Files of the lab's SSH setup. The lab-wide ones live in Dir/ssh, a node's
// in Dir/pveN/ssh. All are host paths; the node's mounts do not shadow them
// (only /etc/corosync, /var/lib/corosync, /var/log and /run are private), so
// sshd inside the node reads them under the same names.
const (
	sshSubdir      = "ssh"
	clientKeyName  = "id_ed25519"
	authorizedName = "authorized_keys"
	knownHostsName = "known_hosts"
	hostKeyName    = "ssh_host_ed25519_key"
	sshdConfigName = "sshd_config"
	sshdLogName    = "sshd.log"
	// sshdPidFile and privsepDir are inside the node's private /run: the
	// host's /run/sshd.pid (a system sshd) is never touched, and sshd
	// chroots its pre-auth child into privsepDir.
	sshdPidFile = "/run/sshd.pid"
	privsepDir  = "/run/sshd"
)

// SSHAvailable reports whether a lab with Options.SSH can run here:
// everything Available checks, plus OpenSSH's sshd binary and its
// privilege-separation user "sshd" (both come with the openssh-server
// package). When ok is false, why is one line for t.Skip.
//
// Available itself does not require sshd, so labs without SSH run on
// machines that lack it.
func SSHAvailable() (ok bool, why string) {
	if ok, why := Available(); !ok {
		return false, why
	}
	if _, err := sshdPath(); err != nil {
		return false, "lab: " + err.Error()
	}
	if _, err := user.Lookup("sshd"); err != nil {
		return false, "lab: sshd's privilege-separation user \"sshd\" does not exist (apt-get install -y openssh-server creates it)"
	}
	return true, ""
}

// sshdPath returns sshd's absolute path: sshd re-executes itself for every
// connection and refuses to run from a relative path.
func sshdPath() (string, error) {
	p, err := exec.LookPath("sshd")
	if err != nil {
		// root's PATH has /usr/sbin, other shells' may not.
		if _, serr := os.Stat("/usr/sbin/sshd"); serr != nil {
			return "", errors.New("sshd not found on PATH or at /usr/sbin/sshd (apt-get install -y openssh-server; " +
				"then make sure the package's own ssh.service is neither running nor enabled if the host should not run one)")
		}
		p = "/usr/sbin/sshd"
	}
	return filepath.Abs(p)
}

// SSHAddr returns the host:port of node's sshd, "10.99.k.N:22", or "" for an
// unknown node. Call CheckRoute on the address before dialling it.
func (l *Lab) SSHAddr(node string) string {
	a := l.Addr(node)
	if a == "" {
		return ""
	}
	return net.JoinHostPort(a, "22")
}

// SSHKnownHosts returns OpenSSH known_hosts lines, one per node, binding
// each node's address to its own ed25519 host key (the bare-address form
// OpenSSH uses for port 22). It is nil for a lab started without
// Options.SSH.
func (l *Lab) SSHKnownHosts() []byte {
	return append([]byte(nil), l.knownHosts...)
}

// KnownHostsFile returns the path of a file holding SSHKnownHosts, or ""
// without Options.SSH.
func (l *Lab) KnownHostsFile() string {
	if l.knownHosts == nil {
		return ""
	}
	return filepath.Join(l.Dir, sshSubdir, knownHostsName)
}

// ClientKeyFile returns the path of the lab's unencrypted ed25519 client key
// (OpenSSH format), the one key every node's sshd accepts for root; "" for a
// lab started without Options.SSH.
func (l *Lab) ClientKeyFile() string {
	if l.knownHosts == nil {
		return ""
	}
	return filepath.Join(l.Dir, sshSubdir, clientKeyName)
}

// SSHLog returns what node's sshd wrote to stderr (sshd -e) so far.
func (l *Lab) SSHLog(node string) []byte {
	n := l.nodes[node]
	if n == nil {
		return nil
	}
	b, _ := os.ReadFile(filepath.Join(n.dir, sshSubdir, sshdLogName))
	return b
}

// buildSSH writes the lab's client key and authorized_keys, gives every node
// a host key and an sshd_config, starts the sshds and writes known_hosts.
// It runs after the holders exist (sshd runs inside them).
func (l *Lab) buildSSH() error {
	sshd, err := sshdPath()
	if err != nil {
		return err
	}
	dir := filepath.Join(l.Dir, sshSubdir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pub, err := writeKey(filepath.Join(dir, clientKeyName), "quorate-lab-"+l.ID+"-client")
	if err != nil {
		return fmt.Errorf("client key: %w", err)
	}
	authorized := filepath.Join(dir, authorizedName)
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		return err
	}
	var known []byte
	for _, nm := range l.names {
		n := l.nodes[nm]
		hostPub, err := n.startSSHD(sshd, authorized)
		if err != nil {
			return fmt.Errorf("node %s: %w", nm, err)
		}
		known = append(known, knownHostsLine(l.SSHAddr(nm), hostPub)...)
	}
	if err := os.WriteFile(filepath.Join(dir, knownHostsName), known, 0o600); err != nil {
		return err
	}
	l.knownHosts = known
	return nil
}

// knownHostsLine is one known_hosts line for addr (host:port) and key.
func knownHostsLine(addr string, key ssh.PublicKey) []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n")
}

// writeKey generates an ed25519 key, writes its private half to path in
// OpenSSH format (0600: sshd refuses readable host keys, ssh readable
// client keys) and returns the public half.
func writeKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// sshdConfig is the lab's own sshd_config for one node. Nothing is
// inherited from /etc/ssh/sshd_config: sshd -f reads only this file.
func sshdConfig(addr, hostKey, authorized string) string {
	return strings.Join([]string{
		"# quorate lab: one node's sshd (not the host's); see lab/ssh.go",
		"Port 22", // before ListenAddress, which takes the ports set so far
		"ListenAddress " + addr,
		"HostKey " + quoteConf(hostKey),
		"PidFile " + sshdPidFile,
		"AuthorizedKeysFile " + quoteConf(authorized),
		"PermitRootLogin prohibit-password",
		"AllowUsers root",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		// The lab files sit under a world-writable temp dir, which
		// StrictModes would reject for authorized_keys.
		"StrictModes no",
		"UseDNS no",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		"AllowTcpForwarding no",
		"LogLevel INFO",
		"",
	}, "\n")
}

// quoteConf double-quotes a path for sshd_config (temp dirs may hold
// spaces).
func quoteConf(p string) string { return `"` + p + `"` }

// startSSHD writes node's host key and sshd_config, creates the
// privilege-separation directory in its private /run, and starts
// `sshd -D -e -f CONFIG` inside the node's namespaces, recorded like
// corosync. It returns once sshd says it listens, with the host's public
// key.
func (n *node) startSSHD(sshd, authorized string) (ssh.PublicKey, error) {
	for _, p := range []string{n.dir, authorized} {
		if strings.ContainsAny(p, "\"\n") {
			return nil, fmt.Errorf("path %q holds a quote or newline, which sshd_config cannot carry", p)
		}
	}
	dir := filepath.Join(n.dir, sshSubdir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	hostKey := filepath.Join(dir, hostKeyName)
	pub, err := writeKey(hostKey, "quorate-lab-"+n.lab.ID+"-"+n.name)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	conf := filepath.Join(dir, sshdConfigName)
	if err := os.WriteFile(conf, []byte(sshdConfig(n.lab.Addr(n.name), hostKey, authorized)), 0o600); err != nil {
		return nil, err
	}
	// sshd insists on a root-owned privsep dir that no group or other can
	// write; the explicit Chmod keeps a umask from mattering.
	priv := n.hostPath(privsepDir)
	if err := os.MkdirAll(priv, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(priv, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, sshdLogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	cmd := n.command(context.Background(), []string{sshd, "-D", "-e", "-f", conf})
	cmd.Stdout, cmd.Stderr = logf, pw
	c, err := n.spawn(cmd, "sshd "+n.name)
	pw.Close() // sshd holds its own copy; EOF comes when sshd and its children are gone
	if err != nil {
		pr.Close()
		logf.Close()
		return nil, fmt.Errorf("starting sshd: %w", err)
	}
	n.mu.Lock()
	n.sshd = c
	n.mu.Unlock()

	// Copy sshd's stderr to the log and notice the line that says it
	// listens: waiting for it avoids polling the port.
	listening := "Server listening on " + n.lab.Addr(n.name) + " port 22."
	ready, copied := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(copied)
		defer pr.Close()
		defer logf.Close()
		sc := bufio.NewScanner(pr)
		seen := false
		for sc.Scan() {
			logf.Write(append(sc.Bytes(), '\n'))
			if !seen && strings.Contains(sc.Text(), listening) {
				seen = true
				close(ready)
			}
		}
	}()
	logPath := filepath.Join(dir, sshdLogName)
	select {
	case <-ready:
		return pub, nil
	case <-c.done:
		select { // let the copier write sshd's last words first
		case <-copied:
		case <-time.After(2 * time.Second):
		}
		return nil, fmt.Errorf("sshd (%s -f %s) exited at once (%v); its output, in %s: %s",
			sshd, conf, c.state, logPath, lastLines(logPath, 5))
	case <-time.After(SSHStartTimeout):
		c.proc.signal(syscall.SIGKILL)
		return nil, fmt.Errorf("sshd did not report %q within %v; see %s", listening, SSHStartTimeout, logPath)
	}
}

// lastLines returns up to k last lines of a file, joined with " | ".
func lastLines(path string, k int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return strings.Join(lines, " | ")
}
