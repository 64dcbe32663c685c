package sshrun

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError is returned when a node's host key is not in the known_hosts
// file (Unknown) or differs from the key(s) recorded there. Nothing is run on
// the node in either case.
type HostKeyError struct {
	// Addr is the host:port that was dialled.
	Addr string
	// Unknown is true when known_hosts has no line for Addr at all.
	Unknown bool
	// Got is the SHA256:... fingerprint the server offered ("" when the server
	// offered no key of a type known_hosts lists for it).
	Got string
	// Want lists the SHA256:... fingerprints known_hosts holds for Addr.
	Want []string
	// File is the known_hosts file consulted.
	File string
}

// Error says what happened and what the operator should do about it.
func (e *HostKeyError) Error() string {
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		host, port = e.Addr, "22"
	}
	if e.Unknown {
		return fmt.Sprintf("ssh %s: host key not in known_hosts (%s): add the node's key "+
			"(ssh-keyscan -p %s %s, verified out of band); nothing was changed", e.Addr, e.File, port, host)
	}
	offered := "server offered " + e.Got
	if e.Got == "" {
		offered = "server offered no key of the types known_hosts has for it"
	}
	return fmt.Sprintf("ssh %s: host key mismatch: %s, known_hosts (%s) has %s for this host. "+
		"If the node was reinstalled, verify the new key out of band and replace the line; nothing was changed.",
		e.Addr, offered, e.File, strings.Join(e.Want, ", "))
}

// hostKeys wraps the parsed known_hosts database.
type hostKeys struct {
	file  string
	check ssh.HostKeyCallback
	probe ssh.PublicKey // a key no known_hosts file contains, see known
}

func loadHostKeys(file string) (*hostKeys, error) {
	if file == "" {
		return nil, errors.New("sshrun: KnownHostsFile is required (access.ssh.knownHostsFile): host keys are always verified")
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", file, err)
	}
	// A fresh random ed25519 key: asking the database about it can never
	// match, so the KeyError lists every key recorded for the host.
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &hostKeys{file: file, check: cb, probe: probe}, nil
}

// known returns the keys known_hosts holds for addr (host:port).
func (h *hostKeys) known(addr string) []ssh.PublicKey {
	err := h.check(addr, dummyRemote(addr), h.probe)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	keys := make([]ssh.PublicKey, 0, len(ke.Want))
	for _, k := range ke.Want {
		keys = append(keys, k.Key)
	}
	return keys
}

// algorithms lists the host key algorithms to offer for addr: only the types
// known_hosts has for it. Otherwise the server may pick a type we hold no key
// for (x/crypto prefers ECDSA over ed25519) and the check fails with a false
// "mismatch" (the key-type trap, dependencies.md §2.2). nil means the library
// default (host unknown; the check will fail anyway, with a clear error).
func algorithms(keys []ssh.PublicKey) []string {
	var algs []string
	add := func(a ...string) {
		for _, x := range a {
			if !contains(algs, x) {
				algs = append(algs, x)
			}
		}
	}
	for _, k := range keys {
		switch t := k.Type(); t {
		case ssh.KeyAlgoRSA:
			// An RSA key signs with SHA-2 when the server supports it.
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// callback returns a HostKeyCallback for one dial that turns knownhosts
// errors into *HostKeyError and records it in *got (the handshake error
// wraps it, but keeping our own copy does not depend on that).
func (h *hostKeys) callback(addr string, got **HostKeyError) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := h.check(addr, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &ke):
			e := &HostKeyError{Addr: addr, Unknown: len(ke.Want) == 0, Got: ssh.FingerprintSHA256(key), File: h.file}
			for _, w := range ke.Want {
				e.Want = append(e.Want, ssh.FingerprintSHA256(w.Key))
			}
			*got = e
			return e
		case errors.As(err, &re):
			return fmt.Errorf("ssh %s: host key %s is marked @revoked in %s (line %d); nothing was changed",
				addr, ssh.FingerprintSHA256(key), re.Revoked.Filename, re.Revoked.Line)
		default:
			return fmt.Errorf("ssh %s: checking host key against %s: %w", addr, h.file, err)
		}
	}
}

// dummyRemote gives knownhosts a net.Addr for a lookup. knownhosts parses it
// but prefers the address string, which ours never leaves empty; using a fixed
// value avoids a DNS lookup just to ask about known keys.
func dummyRemote(string) net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }
