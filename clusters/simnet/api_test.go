package simnet

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters/pveapi"
)

func TestAPIEndToEnd(t *testing.T) {
	s := startSim(t, newFake("pve1", "pve2"), Options{})
	c := apiFor(t, s, "pve2", "")
	st, err := c.ClusterStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.ClusterName != "lab" || st.Version != 3 || !st.Quorate || len(st.Nodes) != 2 || !st.Nodes[1].Local || st.Nodes[1].Name != "pve2" {
		t.Errorf("ClusterStatus = %+v", st)
	}
	var echo struct {
		Node, Method, Path string
		Form               url.Values
	}
	err = c.Post(context.Background(), pveapi.Path("cluster", "config", "nodes", "pve3"), url.Values{"link0": {"10.0.0.3"}}, &echo)
	if err != nil {
		t.Fatal(err)
	}
	if echo.Node != "pve2" || echo.Method != "POST" || echo.Path != "/cluster/config/nodes/pve3" || echo.Form.Get("link0") != "10.0.0.3" {
		t.Errorf("echo = %+v", echo)
	}
}

// rawRequest sends a request with full control of headers (pinning the
// simulator's certificate by fingerprint, like the real client).
func rawRequest(t *testing.T, s *Server, node, method, path, auth, body string) (int, string) {
	t.Helper()
	ep := s.Node(node)
	pin, _ := pveapi.ParseFingerprint(ep.Fingerprint)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := pveapi.FormatFingerprint(sha(cs.PeerCertificates[0].Raw)); got != pveapi.FormatFingerprint(pin) {
				return errors.New("pin mismatch")
			}
			return nil
		},
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequest(method, ep.APIURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPIAuthentication(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	good := TokenID + "=" + s.mat.secret
	tests := []struct {
		name       string
		auth       string
		wantStatus int
	}{
		{name: "token with =", auth: "PVEAPIToken=" + good, wantStatus: 200},
		{name: "token with space (reference §1.3)", auth: "PVEAPIToken " + good, wantStatus: 200},
		{name: "no header", auth: "", wantStatus: 401},
		{name: "wrong secret", auth: "PVEAPIToken=" + TokenID + "=00000000-0000-4000-8000-000000000000", wantStatus: 401},
		{name: "other token id", auth: "PVEAPIToken=root@pam!other=" + s.mat.secret, wantStatus: 401},
		{name: "ticket cookie", auth: "PVEAuthCookie=PVE:root@pam:0000", wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, s, "pve1", "GET", "/api2/json/version", tt.auth, "")
			if status != tt.wantStatus {
				t.Fatalf("status %d (%s); want %d", status, body, tt.wantStatus)
			}
			if status == 401 && body != `{"data":null,"message":"authentication failure\n"}` {
				t.Errorf("401 body %s", body)
			}
		})
	}
}

func TestAPIWrongSecretThroughClient(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	c := apiFor(t, s, "pve1", "not-the-secret")
	_, err := c.Version(context.Background())
	var ae *pveapi.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Message != "authentication failure" {
		t.Fatalf("err = %v; want APIError 401 authentication failure", err)
	}
}

// TestAPIFormWithoutContentType: the body is parsed whatever the
// Content-Type (dependencies.md §1.5), and merged with the query string.
func TestAPIFormWithoutContentType(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	status, body := rawRequest(t, s, "pve1", "POST", "/api2/json/access/ticket?realm=pam", "PVEAPIToken="+TokenID+"="+s.mat.secret, "username=root&password=x")
	if status != 200 {
		t.Fatalf("status %d %s", status, body)
	}
	var env struct {
		Data struct{ Form url.Values }
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	f := env.Data.Form
	if f.Get("username") != "root" || f.Get("password") != "x" || f.Get("realm") != "pam" {
		t.Errorf("form = %v", f)
	}
}

func TestAPIOutsidePrefixNotImplemented(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	status, body := rawRequest(t, s, "pve1", "GET", "/pve2/ext6/", "", "")
	if status != 501 || !strings.Contains(body, "not implemented") {
		t.Errorf("status %d body %s", status, body)
	}
}
