package sshrun

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRunOutputAndExitCodes(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name       string
		cmd        string
		stdin      []byte
		wantOut    string
		wantErrOut string
		wantCode   int
	}{
		{name: "exit 0 with stdout", cmd: "echo hello world", wantOut: "hello world\n"},
		{name: "non-zero exit is data", cmd: "fail 2 Cannot initialize QUORUM service", wantErrOut: "Cannot initialize QUORUM service\n", wantCode: 2},
		{name: "exit 3 like systemctl is-active", cmd: "fail 3 inactive", wantErrOut: "inactive\n", wantCode: 3},
		{name: "unknown command 127", cmd: "pvecm-nope", wantErrOut: "bash: pvecm-nope: command not found\n", wantCode: 127},
		{name: "stdin round trip", cmd: "cat", stdin: []byte("totem {\n  config_version: 4\n}\n"), wantOut: "totem {\n  config_version: 4\n}\n"},
		{name: "nil stdin is empty", cmd: "cat", wantOut: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.runner.Run(context.Background(), f.srv.addr, tt.cmd, tt.stdin)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if string(res.Stdout) != tt.wantOut || string(res.Stderr) != tt.wantErrOut || res.Code != tt.wantCode {
				t.Errorf("got stdout %q stderr %q code %d; want %q %q %d",
					res.Stdout, res.Stderr, res.Code, tt.wantOut, tt.wantErrOut, tt.wantCode)
			}
		})
	}
	if accepted, _, _ := f.srv.stats(); accepted != 1 {
		t.Errorf("server saw %d connections for %d commands; want 1 (connection reuse)", accepted, len(tests))
	}
}

func TestRunCommandTimeoutKills(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.CommandTimeout = 200 * time.Millisecond })
	_, err := f.runner.Run(context.Background(), f.srv.addr, "hold", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "CommandTimeout") || !strings.Contains(err.Error(), f.srv.addr) {
		t.Errorf("error %q should name the address and CommandTimeout", err)
	}
	// The runner asks for SIGKILL before closing the session (deps §2.4).
	if sig := recv(t, f.srv.signals, "SIGKILL"); sig != "KILL" {
		t.Errorf("server got signal %q; want KILL", sig)
	}
	// The connection is still usable afterwards.
	res, err := f.runner.Run(context.Background(), f.srv.addr, "echo again", nil)
	if err != nil || string(res.Stdout) != "again\n" {
		t.Fatalf("after timeout: %q, %v", res.Stdout, err)
	}
}

func TestRunCallerCancel(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.runner.Run(ctx, f.srv.addr, "hold", nil)
		errc <- err
	}()
	recv(t, f.srv.started, "hold to start")
	cancel()
	if err := recv(t, errc, "Run to return"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if sig := recv(t, f.srv.signals, "SIGKILL"); sig != "KILL" {
		t.Errorf("server got signal %q; want KILL", sig)
	}
}

func TestRunReconnectsAfterServerDropsConnection(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.runner.Run(context.Background(), f.srv.addr, "echo one", nil); err != nil {
		t.Fatal(err)
	}
	f.srv.dropAll()
	res, err := f.runner.Run(context.Background(), f.srv.addr, "echo two", nil)
	if err != nil {
		t.Fatalf("Run after drop: %v", err)
	}
	if string(res.Stdout) != "two\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	if accepted, _, _ := f.srv.stats(); accepted != 2 {
		t.Errorf("server saw %d connections; want 2 (one redial)", accepted)
	}
}

func TestRunConnectionRefused(t *testing.T) {
	f := newFixture(t, nil)
	addr := f.srv.addr
	f.srv.close()
	_, err := f.runner.Run(context.Background(), addr, "echo x", nil)
	if err == nil || !strings.Contains(err.Error(), "ssh "+addr+": connect") {
		t.Fatalf("err = %v; want a connect error naming %s", err, addr)
	}
}

func TestRunAfterClose(t *testing.T) {
	f := newFixture(t, nil)
	f.runner.Close()
	if _, err := f.runner.Run(context.Background(), f.srv.addr, "echo x", nil); err == nil {
		t.Fatal("Run after Close succeeded")
	}
}

func TestRunWrongClientKey(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Signer = newKeyEd25519(t) })
	_, err := f.runner.Run(context.Background(), f.srv.addr, "echo x", nil)
	if err == nil || !strings.Contains(err.Error(), "was refused") {
		t.Fatalf("err = %v; want a login refused error", err)
	}
}
