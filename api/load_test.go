package api

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name, src string) *Cluster {
	t.Helper()
	c, err := LoadBytes(name, []byte(src))
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	return c
}

func TestLoad_AppliesDefaultsToOmittedFields(t *testing.T) {
	c := mustLoad(t, "cluster.yaml", validYAML)
	a := c.Spec.Access
	got := []struct {
		name      string
		got, want any
	}{
		{"api.port", a.API.Port, DefaultAPIPort},
		{"api.timeout", a.API.Timeout.D(), 10 * time.Second},
		{"ssh.user", a.SSH.User, "root"},
		{"ssh.port", a.SSH.Port, 22},
		{"ssh.maxSessions", a.SSH.MaxSessions, 8},
		{"ssh.timeout", a.SSH.Timeout.D(), 10 * time.Second},
		{"ssh.commandTimeout", a.SSH.CommandTimeout.D(), 60 * time.Second},
		{"members[0].votes", c.Spec.Members[0].Votes, 1},
		{"members[1].votes", c.Spec.Members[1].Votes, 1},
		{"qdevice", c.Spec.QDevice == nil, true},
	}
	for _, g := range got {
		if g.got != g.want {
			t.Errorf("%s = %v, want %v", g.name, g.got, g.want)
		}
	}
}

func TestLoad_KeepsWrittenValues(t *testing.T) {
	src := edit(t, "    ssh:\n", "    ssh:\n      user: ops\n      port: 2222\n      maxSessions: 4\n      timeout: 3s\n      commandTimeout: 2m\n")
	src = strings.Replace(src, "      nodeid: 2\n", "      nodeid: 2\n      votes: 3\n", 1)
	c := mustLoad(t, "cluster.yaml", src)
	s := c.Spec.Access.SSH
	if s.User != "ops" || s.Port != 2222 || s.MaxSessions != 4 || s.Timeout.D() != 3*time.Second || s.CommandTimeout.D() != 2*time.Minute {
		t.Errorf("ssh = %+v, written values lost", s)
	}
	if v := c.Spec.Members[1].Votes; v != 3 {
		t.Errorf("votes = %d, want 3", v)
	}
}

func TestLoad_NullMeansOmitted(t *testing.T) {
	c := mustLoad(t, "cluster.yaml", edit(t, "      nodeid: 1\n", "      nodeid: 1\n      votes: ~\n"))
	if v := c.Spec.Members[0].Votes; v != 1 {
		t.Errorf("votes: ~ gave %d, want the default 1", v)
	}
}

func TestLoad_QDeviceDefaults(t *testing.T) {
	c := mustLoad(t, "cluster.yaml", validYAML+"  qdevice:\n    host: 192.0.2.50\n")
	q := c.Spec.QDevice
	if q == nil || q.Algorithm != "ffsplit" || q.TieBreaker != "lowest" {
		t.Fatalf("qdevice = %+v, want ffsplit/lowest defaults", q)
	}
}

func TestLoad_NormalizesFingerprintToUpperCase_Ref1_1(t *testing.T) {
	c := mustLoad(t, "cluster.yaml", validYAML)
	if got, want := c.Spec.Members[0].Management.Fingerprint, strings.Repeat("AB:", 31)+"01"; got != want {
		t.Errorf("fingerprint = %s, want %s", got, want)
	}
}

func TestLoad_ResolvesRelativePaths(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "id")
	src := strings.Replace(validYAML, "privateKeyFile: id_ed25519", "privateKeyFile: "+abs, 1)
	cases := []struct {
		name, file    string
		secret, known string
	}{
		{"bare file name keeps paths", "cluster.yaml", "token.secret", "known_hosts"},
		{"relative dir", filepath.Join("conf", "cluster.yaml"), filepath.Join("conf", "token.secret"), filepath.Join("conf", "known_hosts")},
		{"absolute dir", "/etc/quorate/cluster.yaml", "/etc/quorate/token.secret", "/etc/quorate/known_hosts"},
		{"no name", "", "token.secret", "known_hosts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, tc.file, src)
			if c.Source != tc.file {
				t.Errorf("Source = %q, want %q", c.Source, tc.file)
			}
			a := c.Spec.Access
			if a.API.Token.SecretFile != tc.secret || a.SSH.KnownHostsFile != tc.known {
				t.Errorf("secretFile, knownHostsFile = %q, %q; want %q, %q", a.API.Token.SecretFile, a.SSH.KnownHostsFile, tc.secret, tc.known)
			}
			if a.SSH.PrivateKeyFile != abs {
				t.Errorf("absolute privateKeyFile changed to %q", a.SSH.PrivateKeyFile)
			}
		})
	}
}

func TestLoad_FileWhoseReferencedFilesDoNotExist(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte(validYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := filepath.Join(dir, "token.secret"); c.Spec.Access.API.Token.SecretFile != want {
		t.Errorf("secretFile = %q, want %q", c.Spec.Access.API.Token.SecretFile, want)
	}
}

func TestLoad_MissingFileIsAnOSError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	var fe *Errors
	if errors.As(err, &fe) {
		t.Errorf("a read failure should not be *Errors")
	}
}

func TestLoad_AliasesAreFollowed(t *testing.T) {
	src := edit(t, "        host: 127.0.0.1\n", "        host: &loop 127.0.0.1\n")
	src = strings.Replace(src, "        host: 127.0.0.1\n", "        host: *loop\n", 1)
	c := mustLoad(t, "cluster.yaml", src)
	if h := c.Spec.Members[1].Management.Host; h != "127.0.0.1" {
		t.Errorf("aliased host = %q", h)
	}
}

func TestLoad_ExampleConfig(t *testing.T) {
	c, err := Load(filepath.Join("..", "examples", "clusters", "lab.yaml"))
	if err != nil {
		t.Fatalf("examples/clusters/lab.yaml: %v", err)
	}
	if len(c.Spec.Members) != 3 || c.Metadata.Name != "lab" {
		t.Errorf("example declares %d members of %q, want the 3-node lab", len(c.Spec.Members), c.Metadata.Name)
	}
	for _, m := range c.Spec.Members {
		if m.Management.Host != "127.0.0.1" || m.Management.APIPort == 0 || m.Management.SSHPort == 0 {
			t.Errorf("member %s: management %+v, want 127.0.0.1 with its own ports", m.Name, m.Management)
		}
	}
}

// TestLoad_ExampleConfigDocumentsEveryField keeps examples/clusters/lab.yaml complete:
// every field of the schema must appear in it, written or commented out.
func TestLoad_ExampleConfigDocumentsEveryField(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "examples", "clusters", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, name := range allFieldNames() {
		if !strings.Contains(text, name+":") {
			t.Errorf("examples/clusters/lab.yaml does not mention %q", name)
		}
	}
}
