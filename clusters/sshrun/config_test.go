package sshrun

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, blk *pem.Block) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("not a key\n"), 0o600)

	tests := []struct {
		name    string
		path    string
		wantErr string // "" = success
	}{
		{name: "openssh ed25519", path: write("id_ed25519", plain)},
		{name: "missing file", path: filepath.Join(dir, "nope"), wantErr: "file not found"},
		{name: "encrypted", path: write("enc", enc), wantErr: "encrypted with a passphrase"},
		{name: "not a key", path: garbage, wantErr: "not a private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadKey(tt.path)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("LoadKey: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("err = %v; want it to name %s and say %q", err, tt.path, tt.wantErr)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	signer := newKeyEd25519(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad_known_hosts")
	os.WriteFile(bad, []byte("[127.0.0.1]:22 ssh-ed25519 !!!notbase64\n"), 0o600)
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "no signer", cfg: Config{KnownHostsFile: bad}, wantErr: "LoadKey"},
		{name: "no known_hosts", cfg: Config{Signer: signer}, wantErr: "KnownHostsFile is required"},
		{name: "missing known_hosts", cfg: Config{Signer: signer, KnownHostsFile: filepath.Join(dir, "nope")}, wantErr: filepath.Join(dir, "nope")},
		{name: "unparsable known_hosts", cfg: Config{Signer: signer, KnownHostsFile: bad}, wantErr: bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.User != DefaultUser || c.MaxSessions != DefaultMaxSessions || c.DialTimeout != DefaultDialTimeout || c.CommandTimeout != DefaultCommandTimeout {
		t.Errorf("defaults = %+v", c)
	}
}
