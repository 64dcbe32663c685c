package simnet

import (
	"context"
	"errors"
	"fmt"
	"github.com/quorate/quorate/api"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sim"
)

// joinSim serves sim's join-member scenario and writes its YAML, which sets
// the model's root password.
func joinSim(t *testing.T) (*sim.Model, *Server, string) {
	t.Helper()
	m, err := sim.Scenario("join-member")
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, m, Options{})
	cfg := filepath.Join(t.TempDir(), "lab.yaml")
	if err := s.WriteConfig(cfg, m.Declaration()); err != nil {
		t.Fatal(err)
	}
	return m, s, cfg
}

// The joiner, declared but not in the cluster, is served like any node, and
// WriteConfig gives the declaration root@pam's password from root.password.
func TestJoiner_ServedAndRootPasswordWritten(t *testing.T) {
	_, s, cfg := joinSim(t)
	yaml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	decl, err := api.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if decl.Spec.Access.RootPassword == nil || filepath.Base(decl.Spec.Access.RootPassword.File) != RootPasswordFile {
		t.Fatalf("YAML has no rootPassword file reference:\n%s", yaml)
	}
	// The file stays in the simulator's key directory; the YAML names it.
	pw, err := os.ReadFile(decl.Spec.Access.RootPassword.File)
	if err != nil || strings.TrimSpace(string(pw)) != s.RootPassword() || len(s.RootPassword()) < 16 {
		t.Errorf("root.password %q (err %v), server's %q", pw, err, s.RootPassword())
	}
	ep := s.Node("pve4")
	if !strings.Contains(string(yaml), fmt.Sprintf("apiPort: %d", ep.APIPort)) || !strings.Contains(string(yaml), ep.Fingerprint) {
		t.Errorf("pve4's management is not in the YAML:\n%s", yaml)
	}
	res, err := runnerFor(t, s).Run(context.Background(), loopback(ep.SSHPort), "hostname", nil)
	if err != nil || string(res.Stdout) != "pve4\n" {
		t.Fatalf("ssh pve4 hostname: %q %v", res.Stdout, err)
	}
	_, err = apiFor(t, s, "pve4", "").JoinInfo(context.Background())
	if !pveapi.IsNotInCluster(err) {
		t.Errorf("join info on the standalone pve4: %v, want 424", err)
	}
}

// The root password is generated once per Dir and kept across restarts.
func TestRootPassword_KeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	s1, err := Start(newFake("pve1"), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pw := s1.RootPassword()
	s1.Close()
	s2 := startSim(t, newFake("pve1"), Options{Dir: dir})
	if s2.RootPassword() != pw || pw == "" {
		t.Errorf("root password %q -> %q", pw, s2.RootPassword())
	}
	if s3 := startSim(t, newFake("pve1"), Options{}); s3.RootPassword() == pw {
		t.Errorf("a new Dir reproduced the root password")
	}
}

// A join through SSH, as quorate runs it (clusters.CmdJoin's form, password
// on stdin): pve4 gets a new certificate, served at once; the old pin fails,
// Fingerprints, Node and the cluster's pve_fp report the new one.
func TestJoin_RenewsCertificate(t *testing.T) {
	_, s, _ := joinSim(t)
	old := s.Node("pve4").Fingerprint
	oldClient := apiFor(t, s, "pve4", "")
	if _, err := oldClient.ClusterStatus(context.Background()); err != nil {
		t.Fatalf("pve4 before the join: %v", err)
	}
	cmd := fmt.Sprintf("pvecm add 'pve1' --fingerprint '%s' --nodeid 4 --votes 1 --link0 '10.10.10.4'", s.Node("pve1").Fingerprint)
	res, err := runnerFor(t, s).Run(context.Background(), loopback(s.Node("pve4").SSHPort), cmd, []byte(s.RootPassword()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || len(res.Stderr) != 0 || !strings.HasSuffix(string(res.Stdout), "successfully added node 'pve4' to cluster.\n") {
		t.Fatalf("join: exit %d, stderr %q, stdout:\n%s", res.Code, res.Stderr, res.Stdout)
	}
	now := s.Node("pve4").Fingerprint
	if now == old || s.Fingerprints()["pve4"] != now {
		t.Fatalf("fingerprint %s -> %s (Fingerprints: %s)", old, now, s.Fingerprints()["pve4"])
	}
	if s.Fingerprints()["pve1"] != s.Node("pve1").Fingerprint {
		t.Errorf("pve1's fingerprint changed")
	}
	// The pin taken before the join no longer matches (a new connection:
	// the API server restarted).
	_, err = oldClient.ClusterStatus(context.Background())
	var fe *pveapi.FingerprintError
	if !errors.As(err, &fe) || fe.Got != now {
		t.Errorf("old pin: %v, want a FingerprintError with got %s", err, now)
	}
	st, err := apiFor(t, s, "pve4", "").ClusterStatus(context.Background())
	if err != nil || len(st.Nodes) != 4 {
		t.Fatalf("pve4 with the new pin: %+v %v", st, err)
	}
	ji, err := apiFor(t, s, "pve1", "").JoinInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ji.Nodelist {
		if n.Name == "pve4" && n.PVEFingerprint != now {
			t.Errorf("pve_fp for pve4 %s, want %s", n.PVEFingerprint, now)
		}
	}
}

// A wrong password is refused by the model the server told the password.
func TestJoin_WrongPassword(t *testing.T) {
	_, s, _ := joinSim(t)
	cmd := fmt.Sprintf("pvecm add 'pve1' --fingerprint '%s' --nodeid 4 --votes 1 --link0 '10.10.10.4'", s.Node("pve1").Fingerprint)
	res, err := runnerFor(t, s).Run(context.Background(), loopback(s.Node("pve4").SSHPort), cmd, []byte("not-"+s.RootPassword()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || string(res.Stderr) != "401 authentication failure\n" {
		t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	if s.Node("pve4").Fingerprint != s.Fingerprints()["pve4"] {
		t.Errorf("inconsistent fingerprints")
	}
}

// RenewCert refuses a node it does not serve and a closed server.
func TestRenewCert_Errors(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	if err := s.RenewCert("pve9"); err == nil {
		t.Error("RenewCert of an unknown node succeeded")
	}
	old := s.Node("pve1").Fingerprint
	if err := s.RenewCert("pve1"); err != nil || s.Node("pve1").Fingerprint == old {
		t.Errorf("RenewCert: %v, fingerprint unchanged %v", err, s.Node("pve1").Fingerprint == old)
	}
	s.Close()
	if err := s.RenewCert("pve1"); err == nil {
		t.Error("RenewCert on a closed server succeeded")
	}
}

// sim's Model is the Backend these optional interfaces are for.
var (
	_ CertBackend         = (*sim.Model)(nil)
	_ RootPasswordBackend = (*sim.Model)(nil)
)
