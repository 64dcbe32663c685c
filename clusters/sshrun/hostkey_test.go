package sshrun

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHostKeyVerification(t *testing.T) {
	client := newKeyEd25519(t)
	ed := newKeyEd25519(t)
	ec := newKeyECDSA(t)
	other := newKeyEd25519(t)

	tests := []struct {
		name        string
		serverKeys  []ssh.Signer
		known       func(addr string) []ssh.PublicKey
		wantOK      bool
		wantUnknown bool
		wantGot     string
		wantWant    []string
		wantText    []string
	}{
		{
			name:       "known key accepted",
			serverKeys: []ssh.Signer{ed},
			known:      func(string) []ssh.PublicKey { return []ssh.PublicKey{ed.PublicKey()} },
			wantOK:     true,
		},
		{
			// deps §2.2: x/crypto prefers ECDSA, so without HostKeyAlgorithms the
			// server would show its ECDSA key and the check would fail.
			name:       "key-type trap: only ed25519 known, server also has ecdsa",
			serverKeys: []ssh.Signer{ec, ed},
			known:      func(string) []ssh.PublicKey { return []ssh.PublicKey{ed.PublicKey()} },
			wantOK:     true,
		},
		{
			name:        "unknown host",
			serverKeys:  []ssh.Signer{ed},
			known:       func(string) []ssh.PublicKey { return nil },
			wantUnknown: true,
			wantGot:     ssh.FingerprintSHA256(ed.PublicKey()),
			wantText:    []string{"host key not in known_hosts", "ssh-keyscan -p ", " 127.0.0.1", "nothing was changed"},
		},
		{
			name:       "changed key",
			serverKeys: []ssh.Signer{ed},
			known:      func(string) []ssh.PublicKey { return []ssh.PublicKey{other.PublicKey()} },
			wantGot:    ssh.FingerprintSHA256(ed.PublicKey()),
			wantWant:   []string{ssh.FingerprintSHA256(other.PublicKey())},
			wantText: []string{"host key mismatch: server offered " + ssh.FingerprintSHA256(ed.PublicKey()),
				"has " + ssh.FingerprintSHA256(other.PublicKey()), "replace the line", "nothing was changed"},
		},
		{
			name:       "server has none of the known key types",
			serverKeys: []ssh.Signer{ed},
			known:      func(string) []ssh.PublicKey { return []ssh.PublicKey{ec.PublicKey()} },
			wantGot:    "",
			wantWant:   []string{ssh.FingerprintSHA256(ec.PublicKey())},
			wantText:   []string{"host key mismatch: server offered no key of the types"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, client.PublicKey(), tt.serverKeys...)
			file := writeKnownHosts(t, srv.addr, tt.known(srv.addr)...)
			r, err := New(Config{Signer: client, KnownHostsFile: file})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			res, err := r.Run(context.Background(), srv.addr, "echo ok", nil)
			if tt.wantOK {
				if err != nil || string(res.Stdout) != "ok\n" {
					t.Fatalf("Run = %q, %v; want ok", res.Stdout, err)
				}
				return
			}
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("err = %v (%T); want *HostKeyError", err, err)
			}
			if hk.Unknown != tt.wantUnknown || hk.Got != tt.wantGot || hk.File != file || hk.Addr != srv.addr ||
				strings.Join(hk.Want, ",") != strings.Join(tt.wantWant, ",") {
				t.Errorf("HostKeyError = %+v", hk)
			}
			_, port, _ := net.SplitHostPort(srv.addr)
			msg := err.Error()
			for _, s := range append(tt.wantText, file, srv.addr) {
				if tt.wantUnknown && s == "ssh-keyscan -p " {
					s += port
				}
				if !strings.Contains(msg, s) {
					t.Errorf("error text %q lacks %q", msg, s)
				}
			}
			if accepted, _, _ := srv.stats(); accepted != 0 {
				t.Errorf("server completed %d handshakes; want 0", accepted)
			}
		})
	}
}
