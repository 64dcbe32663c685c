package pveapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowLimit is the "a few seconds" bound for calls that must not pay
// Telmate's 1+2+3 s retry sleeps (dependencies.md §1.9). The structural
// guarantee is tested in TestTransportFailuresReachTelmateAsFinal.
const slowLimit = 3 * time.Second

func TestFingerprintMismatchFailsOnceWithoutRetry(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"data":{}}`) })
	wrong := FormatFingerprint(make([]byte, 32))
	c := newTestClient(t, f.srv.URL, wrong)
	start := time.Now()
	_, err := c.Version(context.Background())
	elapsed := time.Since(start)
	var fe *FingerprintError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T); want *FingerprintError", err, err)
	}
	if fe.Got != f.fingerprint() || fe.Want != wrong || fe.URL != f.srv.URL {
		t.Errorf("FingerprintError = %+v; want Got %s", fe, f.fingerprint())
	}
	for _, s := range []string{f.srv.URL, "members[].management.fingerprint", "nothing was changed"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if n := f.handshakes.Load(); n != 1 {
		t.Errorf("server saw %d TLS handshakes; want 1 (a pin mismatch must not be retried)", n)
	}
	if n := f.hitCount("GET /api2/json/version"); n != 0 {
		t.Errorf("server answered %d requests; want 0", n)
	}
	if elapsed > slowLimit {
		t.Errorf("took %s", elapsed)
	}
}

func TestAPIErrorsKeepPVEMessage(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     APIError
		wantHits int // GET attempts: 5xx (not 501) are retried twice
		wantText string
	}{
		{name: "401 authentication failure", status: 401, body: `{"data":null,"message":"authentication failure\n"}`,
			want: APIError{Status: 401, Message: "authentication failure"}, wantHits: 1, wantText: "access.api.token"},
		{name: "403 permission", status: 403, body: `{"data":null,"message":"Permission check failed (/, Sys.Audit)\n"}`,
			want: APIError{Status: 403, Message: "Permission check failed (/, Sys.Audit)"}, wantHits: 1, wantText: "Sys.Audit on /"},
		{name: "400 parameter errors", status: 400, body: `{"data":null,"message":"Parameter verification failed.\n","errors":{"node":"invalid format\n"}}`,
			want: APIError{Status: 400, Message: "Parameter verification failed.", Errors: map[string]string{"node": "invalid format"}}, wantHits: 1, wantText: "node: invalid format"},
		{name: "500 die text", status: 500, body: `{"data":null,"message":"unknown node 'pve7'\n"}`,
			want: APIError{Status: 500, Message: "unknown node 'pve7'"}, wantHits: 3},
		{name: "501 not implemented is not retried", status: 501, body: `{"data":null,"message":"Method 'GET /x' not implemented"}`,
			want: APIError{Status: 501, Message: "Method 'GET /x' not implemented"}, wantHits: 1},
		{name: "502 from a proxy, HTML body", status: 502, body: `<html>bad gateway</html>`,
			want: APIError{Status: 502, Message: "Bad Gateway"}, wantHits: 3},
		{name: "errors of the wrong type (Telmate would panic)", status: 500, body: `{"data":null,"message":7,"errors":null}`,
			want: APIError{Status: 500, Message: "Internal Server Error"}, wantHits: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, tt.body) })
			c := newTestClient(t, f.srv.URL, f.fingerprint())
			start := time.Now()
			err := c.Get(context.Background(), "/cluster/status", nil, nil)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T); want *APIError", err, err)
			}
			if !reflect.DeepEqual(*ae, tt.want) {
				t.Errorf("APIError = %+v; want %+v", *ae, tt.want)
			}
			if !strings.Contains(err.Error(), "GET "+f.srv.URL+"/api2/json/cluster/status") || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error text %q", err)
			}
			if n := f.hitCount("GET /api2/json/cluster/status"); n != tt.wantHits {
				t.Errorf("server hit %d times; want %d", n, tt.wantHits)
			}
			if d := time.Since(start); d > slowLimit {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestRetriesOnlyIdempotentMethods: deps §4.3–4.4, a 5xx on GET is retried,
// on POST/DELETE never (PVE answers most refusals with 500).
func TestRetriesOnlyIdempotentMethods(t *testing.T) {
	tests := []struct {
		name     string
		call     func(c *Client) error
		key      string
		failures int // 503s before a 200
		wantHits int
		wantErr  bool
	}{
		{name: "GET recovers after two 503", key: "GET /api2/json/cluster/status", failures: 2, wantHits: 3,
			call: func(c *Client) error { return c.Get(context.Background(), "/cluster/status", nil, nil) }},
		{name: "GET gives up after three 503", key: "GET /api2/json/cluster/status", failures: 10, wantHits: 3, wantErr: true,
			call: func(c *Client) error { return c.Get(context.Background(), "/cluster/status", nil, nil) }},
		{name: "POST is sent once", key: "POST /api2/json/cluster/config/nodes/pve4", failures: 10, wantHits: 1, wantErr: true,
			call: func(c *Client) error {
				return c.Post(context.Background(), Path("cluster", "config", "nodes", "pve4"), url.Values{"force": {"1"}}, nil)
			}},
		{name: "DELETE is sent once", key: "DELETE /api2/json/cluster/config/nodes/pve4", failures: 10, wantHits: 1, wantErr: true,
			call: func(c *Client) error {
				return c.Delete(context.Background(), Path("cluster", "config", "nodes", "pve4"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fakePVE
			f = newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
				if f.hitCount(r.Method+" "+r.URL.Path) <= tt.failures {
					writeJSON(w, 503, `{"data":null,"message":"service busy"}`)
					return
				}
				writeJSON(w, 200, `{"data":null}`)
			})
			c := newTestClient(t, f.srv.URL, f.fingerprint())
			err := tt.call(c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; wantErr %t", err, tt.wantErr)
			}
			var ae *APIError
			if tt.wantErr && (!errors.As(err, &ae) || ae.Status != 503 || ae.Message != "service busy") {
				t.Errorf("err = %v; want APIError 503 service busy", err)
			}
			if n := f.hitCount(tt.key); n != tt.wantHits {
				t.Errorf("server hit %d times; want %d", n, tt.wantHits)
			}
		})
	}
}

func TestPostSendsFormAndDecodesData(t *testing.T) {
	var got url.Values
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = r.PostForm
		writeJSON(w, 200, `{"data":{"corosync_conf":"totem {}","warnings":[]}}`)
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	var out struct {
		CorosyncConf string `json:"corosync_conf"`
	}
	err := c.Post(context.Background(), "/cluster/config/nodes/pve4", url.Values{"link0": {"10.0.0.4"}, "force": {"1"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.CorosyncConf != "totem {}" || got.Get("link0") != "10.0.0.4" || got.Get("force") != "1" {
		t.Errorf("out %+v, form %v", out, got)
	}
}

func TestConnectionRefusedIsPrompt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, "https://"+addr, FormatFingerprint(make([]byte, 32)))
	start := time.Now()
	_, err = c.ClusterStatus(context.Background())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v; want ECONNREFUSED", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
	if d := time.Since(start); d > slowLimit {
		t.Errorf("took %s; Telmate's retry sleeps must not apply", d)
	}
}

func TestContextDeadlineIsPrompt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Get(ctx, "/cluster/status", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > slowLimit {
		t.Errorf("took %s; want about the 200ms deadline (no 6 s tail, deps §1.9)", d)
	}
}

func TestNonJSONSuccessIsAnError(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>login</html>")) })
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	err := c.Get(context.Background(), "/version", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("err = %v; want a not-JSON error", err)
	}
}
