package sshrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultUser           = "root"
	DefaultMaxSessions    = 8
	DefaultDialTimeout    = 10 * time.Second
	DefaultCommandTimeout = 60 * time.Second
)

// Config configures a Runner. Signer and KnownHostsFile are required; zero
// values of the other fields mean the defaults above.
type Config struct {
	// User is the login name; "" means DefaultUser.
	User string
	// Signer is the client key (see LoadKey).
	Signer ssh.Signer
	// KnownHostsFile is an OpenSSH known_hosts file holding every node's host
	// key. It is read once, by New.
	KnownHostsFile string
	// MaxSessions caps concurrent sessions on one connection; 0 means
	// DefaultMaxSessions. Keep it below the server's MaxSessions (OpenSSH: 10).
	MaxSessions int
	// DialTimeout bounds TCP connect plus the SSH handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// CommandTimeout bounds one command (unless the caller's ctx is shorter);
	// 0 means DefaultCommandTimeout.
	CommandTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	return c
}

// LoadKey reads an unencrypted private key (OpenSSH, PKCS#1 or PKCS#8 format;
// ed25519, ECDSA or RSA). The error names the file and says what to do when it
// is missing, encrypted or not a key.
func LoadKey(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ssh private key %s: file not found; point access.ssh.privateKeyFile at an existing key", path)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh private key %s: %w", path, err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var pass *ssh.PassphraseMissingError
	if errors.As(err, &pass) {
		return nil, fmt.Errorf("ssh private key %s is encrypted with a passphrase; quorate needs an unencrypted key "+
			"(make a dedicated one, e.g. ssh-keygen -t ed25519 -N '' -f FILE, and authorize it on the nodes)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh private key %s: not a private key quorate can read: %w", path, err)
	}
	return signer, nil
}
