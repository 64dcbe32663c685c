package pveapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

// DefaultTimeout bounds one HTTP attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config says how to reach one node's API.
type Config struct {
	// BaseURL is https://HOST:PORT (a trailing /api2/json is accepted).
	BaseURL string
	// Fingerprint is the SHA-256 fingerprint of the node's certificate, 32
	// colon-separated hex bytes (reference §1.1). Required: certificates are
	// always pinned.
	Fingerprint string
	// TokenID is USER@REALM!TOKENID and TokenSecret its UUID secret.
	TokenID, TokenSecret string
	// Timeout bounds one HTTP attempt (connect, TLS, request, response); 0
	// means DefaultTimeout. A GET makes at most 3 attempts; bound the whole
	// call with ctx.
	Timeout time.Duration
	// Logger receives retryablehttp's debug and error lines; nil = silent.
	// URLs are logged, never headers (the token is in a header).
	Logger *slog.Logger

	retry *retryTuning // tests shorten the backoff
}

// Client reads one node's API. It is safe for concurrent use.
type Client struct {
	base string // https://host:port
	px   *pxapi.Client
	tr   *apiTransport
	cfg  Config // as given to New, for WithFingerprint
}

// New checks cfg and builds the client. It does not connect.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	pin, err := ParseFingerprint(cfg.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("pve api %s: %w", base, err)
	}
	var id pxapi.ApiTokenID
	if err := id.Parse(cfg.TokenID); err != nil {
		return nil, fmt.Errorf("pve api %s: token id %q: must be USER@REALM!TOKENID, e.g. root@pam!quorate", base, cfg.TokenID)
	}
	if strings.TrimSpace(cfg.TokenSecret) == "" {
		return nil, fmt.Errorf("pve api %s: token %s has an empty secret", base, cfg.TokenID)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	rt := defaultRetry
	if cfg.retry != nil {
		rt = *cfg.retry
	}
	tr := newTransport(base, pin, FormatFingerprint(pin), cfg.Timeout, rt, cfg.Logger)
	// debug must stay false: Telmate's debug dump includes the token secret
	// (dependencies.md §1.3). hclient is ours, so its tls/proxy args are unused.
	px, err := pxapi.NewClient(base+"/api2/json", &http.Client{Transport: tr}, "", nil, "", 300, false)
	if err != nil {
		return nil, fmt.Errorf("pve api %s: %w", base, err)
	}
	px.SetAPIToken(id, pxapi.ApiTokenSecret(strings.TrimSpace(cfg.TokenSecret)))
	return &Client{base: base, px: px, tr: tr, cfg: cfg}, nil
}

// WithFingerprint returns a new client for the same node and token that pins
// fingerprint instead; c is unchanged. A node's certificate is regenerated
// when it joins a cluster (reference §1.1), and quorate switches to the
// fingerprint it learned from the cluster.
func (c *Client) WithFingerprint(fingerprint string) (*Client, error) {
	cfg := c.cfg
	cfg.Fingerprint = fingerprint
	return New(cfg)
}

func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", fmt.Errorf("pve api: base URL %q: want https://HOST:PORT", s)
	}
	if p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api2/json"); p != "" {
		return "", fmt.Errorf("pve api: base URL %q: want https://HOST:PORT without a path", s)
	}
	return "https://" + u.Host, nil
}

// BaseURL returns https://HOST:PORT.
func (c *Client) BaseURL() string { return c.base }

// CloseIdleConnections closes pooled connections that are not in use.
func (c *Client) CloseIdleConnections() { c.tr.plain.CloseIdleConnections() }

// Path builds an API path from segments, escaping each one: Telmate
// concatenates paths as given (dependencies.md §1.3).
// Path("nodes", "pve1", "status") = "/nodes/pve1/status".
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteString("/")
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Get calls GET path (relative to /api2/json, e.g. "/cluster/status", built
// with Path when it holds names) with an optional query, and decodes the
// envelope's "data" into out (skipped when out is nil). Errors: *APIError for
// a non-2xx answer, *FingerprintError for a pin mismatch, transport errors
// as net/http returns them; all wrapped with the method and URL.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return c.call(ctx, http.MethodGet, u, func(ctx context.Context) error {
		var env map[string]any
		if err := c.px.GetJsonRetryable(ctx, u, &env, 1); err != nil {
			return err
		}
		return decodeData(env["data"], out)
	})
}

// Post sends form to POST path once (never retried) and decodes "data" into
// out (skipped when nil). Telmate drops form keys whose value is ""
// (dependencies.md §1.6). API tokens cannot call the membership endpoints
// (reference §1.3).
func (c *Client) Post(ctx context.Context, path string, form url.Values, out any) error {
	params := make(map[string]any, len(form))
	for k, v := range form {
		if len(v) == 1 {
			params[k] = v[0]
		} else {
			params[k] = []string(v)
		}
	}
	return c.call(ctx, http.MethodPost, path, func(ctx context.Context) error {
		raw, err := c.px.CreateItemReturnStatus(ctx, params, path)
		if err != nil {
			return err
		}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(raw), &env); err != nil {
			return fmt.Errorf("decoding answer: %w", err)
		}
		if out == nil || len(env.Data) == 0 {
			return nil
		}
		return json.Unmarshal(env.Data, out)
	})
}

// Delete calls DELETE path once (never retried).
func (c *Client) Delete(ctx context.Context, path string) error {
	return c.call(ctx, http.MethodDelete, path, func(ctx context.Context) error {
		return c.px.Delete(ctx, path)
	})
}

// call runs one Telmate call with a holder in ctx (see transport.go), turns a
// panic inside Telmate into an error (it panics on some response shapes,
// dependencies.md §1.11), and returns the real error with method and URL.
func (c *Client) call(ctx context.Context, method, path string, f func(context.Context) error) (err error) {
	full := c.base + "/api2/json" + path
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("%s %s: path must start with /", method, full)
	}
	h := &holder{}
	ctx = context.WithValue(ctx, holderKey{}, h)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s %s: the Proxmox client library panicked on the answer (a quorate bug, please report): %v", method, full, r)
		}
	}()
	err = f(ctx)
	if err == nil {
		return nil
	}
	if herr := h.get(); herr != nil {
		err = herr
	}
	var fe *FingerprintError
	if errors.As(err, &fe) {
		return fe // its message already names the URL and what to do
	}
	var pe *pxapi.ApiError
	if errors.As(err, &pe) {
		err = fromTelmate(pe)
	}
	return fmt.Errorf("%s %s: %w", method, full, err)
}

// fromTelmate converts an ApiError that did not come through our transport
// (should not happen; kept so a Telmate change degrades gracefully).
func fromTelmate(pe *pxapi.ApiError) *APIError {
	ae := &APIError{Message: pe.Message}
	fmt.Sscan(pe.Code, &ae.Status)
	for k, v := range pe.Errors {
		if ae.Errors == nil {
			ae.Errors = map[string]string{}
		}
		ae.Errors[k] = stringify(v)
	}
	return ae
}

// decodeData re-encodes Telmate's decoded "data" and decodes it into out.
func decodeData(data any, out any) error {
	if out == nil {
		return nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unexpected shape of data: %w", err)
	}
	return nil
}
