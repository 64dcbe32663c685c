package simnet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// Certificate renewal: a node that joins a cluster gets a new certificate
// (reference §1.1, §9), so its fingerprint changes while the simulator runs.

// CertBackend is implemented by a Backend whose nodes' certificates can be
// regenerated (clusters/sim's Model, by pvecm add). Start gives it the
// servers' fingerprints and a hook; the Backend calls the hook, without
// holding any lock of its own, after a node's certificate was regenerated.
type CertBackend interface {
	SetFingerprints(map[string]string)
	SetOnCertChange(func(node string))
}

// RootPasswordBackend is implemented by a Backend that checks root@pam's
// password (pvecm add's login); WriteConfig tells it the password it writes.
type RootPasswordBackend interface {
	SetRootPassword(string)
}

// attachCerts wires a CertBackend to this server.
func (s *Server) attachCerts() {
	if cb, ok := s.b.(CertBackend); ok {
		cb.SetFingerprints(s.Fingerprints())
		cb.SetOnCertChange(func(node string) { _ = s.RenewCert(node) })
	}
}

// detachCerts removes the hook (Close): a closed server renews nothing.
func (s *Server) detachCerts() {
	if cb, ok := s.b.(CertBackend); ok {
		cb.SetOnCertChange(nil)
	}
}

// RenewCert issues node a new leaf certificate signed by the same CA (new
// key, same names), serves it from now on and, for a CertBackend, updates
// the Backend's fingerprints (Fingerprints reflects it at once). The API
// server restarts, as pveproxy's reload-or-restart after a join does: open
// API connections are dropped, SSH sessions are not. The new certificate is
// kept in memory only; a server started again on the same Dir serves the
// original one.
func (s *Server) RenewCert(node string) error {
	n := s.nodes[node]
	if n == nil {
		return fmt.Errorf("simnet: RenewCert: node %q is not served", node)
	}
	key, err := newECDSA()
	if err != nil {
		return err
	}
	der, err := newLeaf(node, key, s.mat.ca, s.mat.caKey)
	if err != nil {
		return fmt.Errorf("simnet: node %s: new certificate: %w", node, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("simnet: server is closed")
	}
	s.certMu.Lock()
	n.mat.setLeaf(leaf, key, s.mat.ca)
	s.certMu.Unlock()
	var restartErr error
	if n.on {
		n.closeAPI()
		restartErr = s.upAPI(n) // on failure Sync retries
	}
	s.mu.Unlock()
	if cb, ok := s.b.(CertBackend); ok {
		cb.SetFingerprints(s.Fingerprints())
	}
	return restartErr
}

// cert is n's current certificate.
func (s *Server) cert(n *simNode) tls.Certificate {
	s.certMu.RLock()
	defer s.certMu.RUnlock()
	return n.mat.cert
}

// fingerprint is n's current certificate fingerprint.
func (s *Server) fingerprint(n *simNode) string {
	s.certMu.RLock()
	defer s.certMu.RUnlock()
	return n.mat.fingerprint
}
