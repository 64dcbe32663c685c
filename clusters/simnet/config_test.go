package simnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sshrun"
)

func TestDirReuseKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	b := newFake("pve1", "pve2")
	s1, err := Start(b, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fp1 := s1.Fingerprints()
	hk1 := string(s1.Node("pve2").SSHHostKey.Marshal())
	secret1 := s1.mat.secret
	s1.Close()

	s2, err := Start(b, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for n, fp := range fp1 {
		if s2.Fingerprints()[n] != fp {
			t.Errorf("%s: fingerprint %s -> %s", n, fp, s2.Fingerprints()[n])
		}
	}
	if string(s2.Node("pve2").SSHHostKey.Marshal()) != hk1 || s2.mat.secret != secret1 {
		t.Error("host key or token secret changed")
	}
	// A fresh directory gives a different identity (so the test can fail).
	s3 := startSim(t, b, Options{})
	if s3.Fingerprints()["pve1"] == fp1["pve1"] {
		t.Error("a new Dir reproduced the old fingerprint")
	}
}

func TestStartRejects(t *testing.T) {
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("pve%d", i)
	}
	tests := []struct {
		name    string
		b       Backend
		opts    Options
		wantErr string
	}{
		{name: "no nodes", b: newFake(), wantErr: "no nodes"},
		{name: "duplicate node", b: newFake("pve1", "pve1"), wantErr: "listed twice"},
		{name: "path in node name", b: newFake("../x"), wantErr: "cannot name a directory"},
		{name: "too many nodes for BasePort", b: newFake(many...), opts: Options{BasePort: 20000}, wantErr: "at most 99 nodes"},
		{name: "BasePort too high", b: newFake("pve1"), opts: Options{BasePort: 65500}, wantErr: "cannot fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = t.TempDir()
			s, err := Start(tt.b, tt.opts)
			if err == nil {
				s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func declFor(nodes ...string) api.Cluster {
	c := api.Cluster{Spec: api.ClusterSpec{Links: []api.Link{{Number: 0}}}}
	for i, n := range nodes {
		c.Spec.Members = append(c.Spec.Members, api.Member{
			Name: n, NodeID: i + 1,
			Addresses: []api.LinkAddress{{Link: 0, Address: fmt.Sprintf("10.10.10.%d", i+1)}},
		})
	}
	return c
}

// TestWriteConfigLoadsAndWorks: the YAML loads with api.Load, its relative
// access paths resolve to files written beside it, and the real clients built
// from it reach every node.
func TestWriteConfigLoadsAndWorks(t *testing.T) {
	s := startSim(t, newFake("pve1", "pve2", "pve3"), Options{})
	out := filepath.Join(t.TempDir(), "conf", "cluster.yaml")
	decl := declFor("pve1", "pve2", "pve3")
	if err := s.WriteConfig(out, decl); err != nil {
		t.Fatal(err)
	}
	if decl.Spec.Members[0].Management.Host != "" {
		t.Error("WriteConfig modified the caller's members")
	}
	raw, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(raw), "# Written by `quorate sim serve`") {
		t.Errorf("no header:\n%s", raw)
	}
	c, err := api.Load(out)
	if err != nil {
		t.Fatalf("api.Load:\n%v\n--- file ---\n%s", err, raw)
	}
	if c.Metadata.Name != "lab" || c.Spec.Access.API.Token.ID != TokenID {
		t.Errorf("metadata/access: %+v %+v", c.Metadata, c.Spec.Access)
	}
	secret, err := c.TokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sshrun.LoadKey(c.Spec.Access.SSH.PrivateKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sshrun.New(sshrun.Config{User: c.Spec.Access.SSH.User, Signer: signer, KnownHostsFile: c.Spec.Access.SSH.KnownHostsFile})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range c.Spec.Members {
		m := &c.Spec.Members[i]
		ep := s.Node(m.Name)
		if m.Management.Host != "127.0.0.1" || c.APIPort(m) != ep.APIPort || c.SSHPort(m) != ep.SSHPort ||
			!strings.EqualFold(m.Management.Fingerprint, ep.Fingerprint) {
			t.Errorf("%s: management %+v; endpoint %+v", m.Name, m.Management, ep)
		}
		res, err := r.Run(context.Background(), fmt.Sprintf("%s:%d", m.Management.Host, c.SSHPort(m)), "hostname", nil)
		if err != nil || string(res.Stdout) != m.Name+"\n" {
			t.Errorf("%s: ssh hostname = %q, %v", m.Name, res.Stdout, err)
		}
		pc, err := pveapi.New(pveapi.Config{BaseURL: fmt.Sprintf("https://%s:%d", m.Management.Host, c.APIPort(m)),
			Fingerprint: m.Management.Fingerprint, TokenID: c.Spec.Access.API.Token.ID, TokenSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.Version(context.Background()); err != nil {
			t.Errorf("%s: api: %v", m.Name, err)
		}
		pc.CloseIdleConnections()
	}
}
