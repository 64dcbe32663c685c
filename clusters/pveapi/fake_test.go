package pveapi

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crypto/tls"
)

// fakePVE is an httptest TLS server standing in for pveproxy. It counts TLS
// handshakes (to prove what was not retried) and requests per method+path.
type fakePVE struct {
	srv        *httptest.Server
	handshakes atomic.Int32

	mu   sync.Mutex
	hits map[string]int
	auth []string
	form []string
}

func newFakePVE(t *testing.T, h http.HandlerFunc) *fakePVE {
	t.Helper()
	f := &fakePVE{hits: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.Method+" "+r.URL.Path]++
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		h(w, r)
	}))
	f.srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		f.handshakes.Add(1)
		return nil, nil
	}}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePVE) fingerprint() string {
	sum := sha256.Sum256(f.srv.Certificate().Raw)
	return FormatFingerprint(sum[:])
}

func (f *fakePVE) hitCount(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

const (
	testTokenID     = "root@pam!quorate"
	testTokenSecret = "5f0c7b2e-8d7a-4a43-9f5e-0b1d2c3e4f5a"
)

// newTestClient returns a client for f with a very short retry backoff.
func newTestClient(t *testing.T, baseURL, fingerprint string) *Client {
	t.Helper()
	c, err := New(Config{
		BaseURL: baseURL, Fingerprint: fingerprint,
		TokenID: testTokenID, TokenSecret: testTokenSecret,
		Timeout: 5 * time.Second,
		retry:   &retryTuning{min: time.Millisecond, max: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// writeJSON answers like pveproxy: status line reason = message (reference §1.2).
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(body))
}
