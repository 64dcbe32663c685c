package simnet

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/quorate/quorate/clusters/pveapi"
)

// Files kept in Options.Dir. They are created when missing and reused when
// present, so fingerprints and host keys stay the same across restarts.
const (
	ClientKeyFile = "id_ed25519"   // the only key the SSH servers accept (user root)
	TokenFile     = "token.secret" // the API token's secret, one line
	TokenID       = "root@pam!quorate"
	// RootPasswordFile holds root@pam's password (one line), which pvecm add
	// logs in with (reference §2.9); the model is told it by WriteConfig.
	RootPasswordFile = "root.password"
	caCertFile       = "pve-root-ca.pem"
	caKeyFile        = "pve-root-ca.key"
	nodesDir         = "nodes"
	nodeCertFile     = "pve-ssl.pem"
	nodeKeyFile      = "pve-ssl.key"
	nodeSSHKeyFile   = "ssh_host_ed25519_key"
)

// material is everything cryptographic the servers need.
type material struct {
	clientKey    ssh.PublicKey
	secret       string
	rootPassword string
	ca           *x509.Certificate // signs new leaves (RenewCert)
	caKey        any
	nodes        map[string]*nodeMaterial
}

// nodeMaterial is one node's keys. cert and fingerprint change when the node
// gets a new certificate: read and write them under Server.certMu.
type nodeMaterial struct {
	cert        tls.Certificate
	fingerprint string // colon hex, as Proxmox shows it
	hostKey     ssh.Signer
}

// loadMaterial reads or creates the files in dir for the given nodes.
func loadMaterial(dir string, nodes []string) (*material, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	clientPriv, err := loadOrCreateKey(filepath.Join(dir, ClientKeyFile), newEd25519)
	if err != nil {
		return nil, err
	}
	clientSigner, err := ssh.NewSignerFromKey(clientPriv)
	if err != nil {
		return nil, err
	}
	if err := writeIfMissing(filepath.Join(dir, ClientKeyFile+".pub"), ssh.MarshalAuthorizedKey(clientSigner.PublicKey()), 0o644); err != nil {
		return nil, err
	}
	secret, err := loadOrCreateSecret(filepath.Join(dir, TokenFile), newUUID)
	if err != nil {
		return nil, err
	}
	rootPassword, err := loadOrCreateSecret(filepath.Join(dir, RootPasswordFile), newPassword)
	if err != nil {
		return nil, err
	}
	caKey, err := loadOrCreateKey(filepath.Join(dir, caKeyFile), newECDSA)
	if err != nil {
		return nil, err
	}
	ca, err := loadOrCreateCert(filepath.Join(dir, caCertFile), func() ([]byte, error) { return newCA(caKey) })
	if err != nil {
		return nil, err
	}
	m := &material{clientKey: clientSigner.PublicKey(), secret: secret, rootPassword: rootPassword,
		ca: ca, caKey: caKey, nodes: map[string]*nodeMaterial{}}
	for _, name := range nodes {
		if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return nil, fmt.Errorf("simnet: node name %q cannot name a directory", name)
		}
		nd := filepath.Join(dir, nodesDir, name)
		if err := os.MkdirAll(nd, 0o700); err != nil {
			return nil, err
		}
		leafKey, err := loadOrCreateKey(filepath.Join(nd, nodeKeyFile), newECDSA)
		if err != nil {
			return nil, err
		}
		leaf, err := loadOrCreateCert(filepath.Join(nd, nodeCertFile), func() ([]byte, error) {
			return newLeaf(name, leafKey, ca, caKey)
		})
		if err != nil {
			return nil, err
		}
		hostPriv, err := loadOrCreateKey(filepath.Join(nd, nodeSSHKeyFile), newEd25519)
		if err != nil {
			return nil, err
		}
		host, err := ssh.NewSignerFromKey(hostPriv)
		if err != nil {
			return nil, err
		}
		nm := &nodeMaterial{hostKey: host}
		nm.setLeaf(leaf, leafKey, ca)
		m.nodes[name] = nm
	}
	return m, nil
}

func newEd25519() (any, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

func newECDSA() (any, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// loadOrCreateKey reads an OpenSSH-format private key, or creates one with gen.
func loadOrCreateKey(path string, gen func() (any, error)) (any, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ssh.ParseRawPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("simnet: %s: %w (delete it to have a new one made)", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err := gen()
	if err != nil {
		return nil, err
	}
	blk, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		return nil, err
	}
	return k, writeIfMissing(path, pem.EncodeToMemory(blk), 0o600)
}

// setLeaf makes leaf (with its key, chained to ca) the node's certificate.
func (nm *nodeMaterial) setLeaf(leaf *x509.Certificate, key any, ca *x509.Certificate) {
	sum := sha256.Sum256(leaf.Raw)
	nm.cert = tls.Certificate{Certificate: [][]byte{leaf.Raw, ca.Raw}, PrivateKey: key, Leaf: leaf}
	nm.fingerprint = pveapi.FormatFingerprint(sum[:])
}

// loadOrCreateSecret reads a one-line secret, or creates it with gen.
func loadOrCreateSecret(path string, gen func() (string, error)) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("simnet: %s is empty (delete it to have a new one made)", path)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	s, err := gen()
	if err != nil {
		return "", err
	}
	return s, writeIfMissing(path, []byte(s+"\n"), 0o600)
}

// newUUID returns a version 4 UUID, the form PVE token secrets take.
func newUUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// newPassword returns 24 random URL-safe characters.
func newPassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func loadOrCreateCert(path string, gen func() ([]byte, error)) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("simnet: %s: no PEM certificate (delete it to have a new one made)", path)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("simnet: %s: %w (delete it to have a new one made)", path, err)
		}
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	der, err := gen()
	if err != nil {
		return nil, err
	}
	if err := writeIfMissing(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

func newCA(key any) ([]byte, error) {
	k := key.(*ecdsa.PrivateKey)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Proxmox Virtual Environment (quorate simulator)", Organization: []string{"PVE Cluster Manager CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
}

// newLeaf mirrors gen_pve_ssl_cert's SANs (reference §1.1) for a loopback node.
func newLeaf(name string, key any, ca *x509.Certificate, caKey any) ([]byte, error) {
	k := key.(*ecdsa.PrivateKey)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"PVE Cluster Node"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost", name},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
}

// writeIfMissing creates path with b; it never overwrites.
func writeIfMissing(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
