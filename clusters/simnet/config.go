package simnet

import (
	"bytes"
	"fmt"
	"github.com/quorate/quorate/state"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/quorate/quorate/api"
)

// KnownHostsFile is the name WriteConfig gives the known_hosts file.
const KnownHostsFile = "known_hosts"

const configHeader = `# Written by ` + "`quorate sim serve`" + ` (clusters/simnet) for a simulated cluster on
# 127.0.0.1. Ports, fingerprints and the files beside this one (token.secret,
# id_ed25519, known_hosts) belong to the simulator's key directory; restarting
# it with the same directory keeps them valid.
`

// WriteConfig writes decl as a YAML declaration at path, pointing it at this
// simulator: spec.access uses token root@pam!quorate with secretFile
// token.secret, rootPassword from the file root.password (and a Backend that
// is a RootPasswordBackend is told that password, so joins can log in), and
// SSH user root with id_ed25519 and known_hosts, and every
// member that simnet serves (a joiner not yet in the cluster included) gets
// management host 127.0.0.1, its API and SSH ports and its current
// certificate fingerprint. Members simnet does not serve are written as
// given. The access files stay in the simulator's key directory (Options.Dir)
// and the YAML names them relative to its own directory, so that several
// simulators can write their declarations into one directory of cluster
// files; with a temporary key directory (Options.Dir "") they are copied
// beside the YAML instead, which outlives the simulator.
// Empty apiVersion, kind and metadata.name are filled in.
func (s *Server) WriteConfig(path string, decl api.Cluster) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := s.opts.Dir
	if s.tempDir != "" {
		files = dir
	}
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{ClientKeyFile, 0o600}, {ClientKeyFile + ".pub", 0o644}, {TokenFile, 0o600}, {RootPasswordFile, 0o600}} {
		if err := s.copyInto(files, f.name, f.mode); err != nil {
			return err
		}
	}
	if err := state.WriteFileAtomic(filepath.Join(files, KnownHostsFile), s.knownHosts(), 0o644); err != nil {
		return err
	}
	ref := func(name string) string {
		if rel, err := filepath.Rel(absPath(dir), absPath(filepath.Join(files, name))); err == nil {
			return rel
		}
		return absPath(filepath.Join(files, name))
	}

	if decl.APIVersion == "" {
		decl.APIVersion = api.APIVersion
	}
	if decl.Kind == "" {
		decl.Kind = api.KindCluster
	}
	if decl.Metadata.Name == "" {
		decl.Metadata.Name = s.b.ClusterName()
	}
	acc := &decl.Spec.Access
	acc.API.Token = api.APIToken{ID: TokenID, SecretFile: ref(TokenFile)}
	acc.SSH.User = "root"
	acc.SSH.PrivateKeyFile = ref(ClientKeyFile)
	acc.SSH.KnownHostsFile = ref(KnownHostsFile)
	acc.RootPassword = &api.SecretRef{File: ref(RootPasswordFile)}
	if pb, ok := s.b.(RootPasswordBackend); ok {
		pb.SetRootPassword(s.mat.rootPassword)
	}
	// Copy the members so the caller's slice is not modified.
	decl.Spec.Members = append([]api.Member(nil), decl.Spec.Members...)
	for i := range decl.Spec.Members {
		m := &decl.Spec.Members[i]
		if n := s.nodes[m.Name]; n != nil {
			m.Management = api.Management{Host: "127.0.0.1", APIPort: n.apiPort, SSHPort: n.sshPort, Fingerprint: s.fingerprint(n)}
		}
	}

	var buf bytes.Buffer
	buf.WriteString(configHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&decl); err != nil {
		return fmt.Errorf("simnet: encoding the declaration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return state.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// knownHosts renders one line per node: [127.0.0.1]:PORT ssh-ed25519 AAAA...
func (s *Server) knownHosts() []byte {
	var b bytes.Buffer
	b.WriteString("# quorate simulator host keys\n")
	for _, name := range s.order {
		n := s.nodes[name]
		fmt.Fprintf(&b, "# %s\n%s\n", name, knownhosts.Line([]string{knownhosts.Normalize(loopback(n.sshPort))}, n.mat.hostKey.PublicKey()))
	}
	return b.Bytes()
}

// copyInto copies a file of the key directory into dir (nothing to do when
// dir is the key directory).
func (s *Server) copyInto(dir, name string, mode os.FileMode) error {
	src, dst := filepath.Join(s.opts.Dir, name), filepath.Join(dir, name)
	if a, b := absPath(src), absPath(dst); a == b {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(dst, data, mode)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return filepath.Clean(a)
	}
	return filepath.Clean(p)
}
