package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// Node certificates and root@pam's password: what pvecm add checks on the
// peer and changes on the joiner (reference §1.1, §2.9, §9).

// CertGeneration returns how many times the node's HTTPS certificate was
// regenerated since the machine was installed (0 = the original one). A
// join forces a new one (reference §1.1: finish_join's
// updatecerts_and_ssh(1)).
func (m *Model) CertGeneration(node string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.certGen[node]
}

// SetOnCertChange sets OnCertChange under the model's lock, for a server that
// attaches to a model already in use.
func (m *Model) SetOnCertChange(f func(node string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.OnCertChange = f
}

// SetRootPassword sets RootPassword under the model's lock.
func (m *Model) SetRootPassword(pw string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.RootPassword = pw
}

// fingerprintOf is the node's current HTTPS certificate fingerprint: the
// one the server (simnet) reported, else that of the model's own fake
// certificate of the node's current generation.
func (m *Model) fingerprintOf(name string) string {
	if fp, ok := m.Fingerprints[name]; ok {
		return fp
	}
	return fakeFingerprint(name, m.certGen[name])
}

// regenerateCert gives n a new certificate generation: a new
// nodes/<name>/pve-ssl.pem is the caller's to write (certPEM). With no
// OnCertChange hook nobody serves certificates, so a fingerprint recorded
// for the node is dropped and the fake certificate's applies; with a hook,
// Exec calls it once the lock is released.
func (m *Model) regenerateCert(n *node) int {
	if m.certGen == nil {
		m.certGen = map[string]int{}
	}
	m.certGen[n.spec.Name]++
	if m.OnCertChange == nil {
		if _, ok := m.Fingerprints[n.spec.Name]; ok {
			fp := make(map[string]string, len(m.Fingerprints))
			for k, v := range m.Fingerprints {
				if k != n.spec.Name {
					fp[k] = v
				}
			}
			m.Fingerprints = fp // a copy: the map may be the caller's
		}
	}
	m.certChanged = append(m.certChanged, n.spec.Name)
	return m.certGen[n.spec.Name]
}

// certPEM is a placeholder certificate of the given generation: PEM armour
// around text that is not DER (nothing in the simulator parses it).
// Generation 0 keeps the text earlier versions of the model wrote.
func certPEM(name string, gen int) string {
	text := "simulated pve-ssl certificate for " + name
	if gen > 0 {
		text += fmt.Sprintf(" (generation %d)", gen)
	}
	body := base64.StdEncoding.EncodeToString([]byte(text))
	return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
}

// fakeFingerprint is the SHA-256 of certPEM(name, gen) in Proxmox's form:
// upper-case hex pairs joined by colons (reference §1.1).
func fakeFingerprint(name string, gen int) string {
	sum := sha256.Sum256([]byte(certPEM(name, gen)))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
