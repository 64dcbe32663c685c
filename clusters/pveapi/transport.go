package pveapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	cleanhttp "github.com/hashicorp/go-cleanhttp"
	retryablehttp "github.com/hashicorp/go-retryablehttp"
)

// How Telmate's retry sleeps are avoided.
//
// Telmate's GET helpers retry (and sleep 1 s, 2 s, 3 s, without looking at
// ctx) whenever the HTTP client returns an error, the status is non-2xx with a
// body that is not JSON, or a 2xx body is not JSON (dependencies.md §1.9,
// §1.10). With GetJsonRetryable(..., tries=1) it still sleeps once after the
// only try. It does not retry a non-2xx answer whose body is a JSON object:
// that becomes an ApiError with retry=false.
//
// So the outermost RoundTripper (apiTransport) never lets anything else reach
// Telmate. Each adapter call puts a holder in the request context. When the
// request fails (transport error, certificate pin, a non-2xx answer, a 2xx
// answer that is not JSON) the RoundTripper stores our own error in the
// holder and hands Telmate a synthetic 599 with {"data":null,"message":...}.
// Telmate turns that into an ApiError without sleeping, and the adapter
// returns the stored error instead, so *FingerprintError, *APIError and
// *net.OpError reach the caller with their types. Below this layer sits the
// method router: GET/HEAD through retryablehttp, everything else once.

// syntheticStatus is the status of the stand-in response (AnyEvent::HTTP uses
// 59x for client-side failures, so PVE users read it as "not from the server").
const syntheticStatus = 599

// maxBody bounds how much of a response is read (PVE answers are small).
const maxBody = 32 << 20

type holderKey struct{}

// holder carries the real outcome of a request past Telmate.
type holder struct {
	mu  sync.Mutex
	err error
}

func (h *holder) set(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
}

func (h *holder) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// apiTransport is the RoundTripper given to Telmate.
type apiTransport struct {
	plain *http.Transport             // mutations, once
	retry *retryablehttp.RoundTripper // GET/HEAD
	// timeout bounds one attempt of a mutation (retryable requests get it from
	// the inner http.Client).
	timeout time.Duration
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var resp *http.Response
	var err error
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		resp, err = t.retry.RoundTrip(req)
		if err != nil && resp != nil {
			resp.Body.Close()
			resp = nil
		}
		if err == nil {
			resp, err = readAll(resp)
		}
	default:
		resp, err = t.once(req)
	}
	h, _ := req.Context().Value(holderKey{}).(*holder)
	if h == nil {
		return resp, err
	}
	if err == nil {
		err = checkResponse(resp)
	}
	if err != nil {
		h.set(err)
		return synthetic(req, err), nil
	}
	return resp, nil
}

// once sends a mutation exactly once, bounded by the per-attempt timeout; the
// body is read before the timeout's context is released.
func (t *apiTransport) once(req *http.Request) (*http.Response, error) {
	if t.timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := t.plain.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	return readAll(resp)
}

func readAll(resp *http.Response) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// checkResponse turns a non-2xx answer into *APIError and a 2xx answer that
// is not JSON into an error. The body has been buffered by readAll.
func checkResponse(resp *http.Response) error {
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if !json.Valid(body) {
			return fmt.Errorf("HTTP %d answer is not JSON (%d bytes); is this a Proxmox VE API?", resp.StatusCode, len(body))
		}
		return nil
	}
	ae := &APIError{Status: resp.StatusCode}
	var env struct {
		Message any            `json:"message"`
		Errors  map[string]any `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		if m, ok := env.Message.(string); ok {
			ae.Message = strings.TrimRight(m, "\n")
		}
		for k, v := range env.Errors {
			if ae.Errors == nil {
				ae.Errors = map[string]string{}
			}
			ae.Errors[k] = strings.TrimRight(stringify(v), "\n")
		}
	}
	if ae.Message == "" {
		ae.Message = strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
	}
	if ae.Message == "" {
		ae.Message = http.StatusText(resp.StatusCode)
	}
	return ae
}

// synthetic is the stand-in answer Telmate sees for a failed request. Its body
// is a JSON object with a string message and no "errors" key, the one shape
// Telmate neither retries nor panics on (§1.7).
func synthetic(req *http.Request, err error) *http.Response {
	body, _ := json.Marshal(struct {
		Data    any    `json:"data"`
		Message string `json:"message"`
	}{nil, err.Error()})
	return &http.Response{
		Status:        fmt.Sprintf("%d quorate transport failure", syntheticStatus),
		StatusCode:    syntheticStatus,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// retryTuning is the backoff range for retried GETs; tests shorten it.
type retryTuning struct{ min, max time.Duration }

var defaultRetry = retryTuning{min: 250 * time.Millisecond, max: time.Second}

// newTransport builds the RoundTripper stack for one node.
func newTransport(baseURL string, pin []byte, pinText string, timeout time.Duration, rt retryTuning, logger *slog.Logger) *apiTransport {
	plain := cleanhttp.DefaultPooledTransport()
	plain.Proxy = nil // PVE nodes are reached directly; cleanhttp honours HTTPS_PROXY
	plain.TLSClientConfig = pinnedTLS(baseURL, pin, pinText)
	plain.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	plain.TLSHandshakeTimeout = timeout

	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: plain, Timeout: timeout}
	rc.RetryMax = 2 // Telmate adds no retries of its own here (tries=1)
	rc.RetryWaitMin, rc.RetryWaitMax = rt.min, rt.max
	rc.Backoff = retryablehttp.LinearJitterBackoff
	rc.CheckRetry = checkRetry
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler // keep PVE's error body (§4.3)
	rc.Logger = nil
	if logger != nil {
		rc.Logger = logger
	}
	return &apiTransport{plain: plain, retry: &retryablehttp.RoundTripper{Client: rc}, timeout: timeout}
}

// checkRetry is the retry policy for GET/HEAD. It never retries a certificate
// problem (a pin mismatch will not fix itself) or a refused connection (the
// node or pveproxy is down; the next observation round asks again, and
// retrying only delays reporting it). Otherwise it retries transport errors,
// 429 and 5xx except 501 (PVE's "not implemented" for unknown paths).
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var cve *tls.CertificateVerificationError
		var fe *FingerprintError
		if errors.As(err, &cve) || errors.As(err, &fe) || errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		return true, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests ||
		(resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented) {
		return true, nil
	}
	return false, nil
}

// pinnedTLS accepts exactly the certificate whose SHA-256 is pin.
// InsecureSkipVerify turns off only chain and name checks; the pin replaces
// them (PVE's CA is self-signed; reference §1.1). The mismatch error is a
// *tls.CertificateVerificationError so that no retry layer treats it as
// transient (dependencies.md §1.4). No session cache is configured, so every
// connection runs VerifyPeerCertificate (resumed sessions would skip it).
func pinnedTLS(baseURL string, pin []byte, pinText string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return &tls.CertificateVerificationError{Err: errors.New("server sent no certificate")}
			}
			sum := sha256.Sum256(raw[0])
			if bytes.Equal(sum[:], pin) {
				return nil
			}
			cve := &tls.CertificateVerificationError{
				Err: &FingerprintError{URL: baseURL, Got: FormatFingerprint(sum[:]), Want: pinText},
			}
			if cert, err := x509.ParseCertificate(raw[0]); err == nil {
				cve.UnverifiedCertificates = []*x509.Certificate{cert}
			}
			return cve
		},
	}
}

// FormatFingerprint renders a SHA-256 digest as Proxmox does: upper-case hex
// bytes separated by colons.
func FormatFingerprint(sum []byte) string {
	h := strings.ToUpper(hex.EncodeToString(sum))
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// ParseFingerprint reads a SHA-256 fingerprint in Proxmox's form (32
// colon-separated hex bytes, any case; reference §1.1) and returns the digest.
func ParseFingerprint(s string) ([]byte, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != sha256.Size {
		return nil, fmt.Errorf("fingerprint %q is not a SHA-256 fingerprint: want 32 colon-separated hex bytes "+
			"(as `pvenode cert info` shows it)", s)
	}
	out := make([]byte, 0, sha256.Size)
	for _, p := range parts {
		b, err := hex.DecodeString(p)
		if err != nil || len(b) != 1 {
			return nil, fmt.Errorf("fingerprint %q: %q is not a hex byte", s, p)
		}
		out = append(out, b[0])
	}
	return out, nil
}
