package simnet

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const apiPrefix = "/api2/json"

// maxForm bounds a request body (PVE's own limit is larger; our forms are tiny).
const maxForm = 1 << 20

// apiHandler serves /api2/json for one node: token check, form parsing, then
// the Backend.
func (s *Server) apiHandler(node string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.kickSync()
		path, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
		if !ok || (path != "" && !strings.HasPrefix(path, "/")) {
			// pveproxy serves other formatters and the GUI there; we do not.
			writeMessage(w, http.StatusNotImplemented, fmt.Sprintf("Method '%s %s' not implemented", r.Method, r.URL.Path))
			return
		}
		if !s.authorized(r.Header.Get("Authorization")) {
			// Real PVE waits ~3 s before every 401 (reference §1.2); not here.
			writeMessage(w, http.StatusUnauthorized, "authentication failure")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
		if err != nil || len(body) > maxForm {
			writeMessage(w, http.StatusBadRequest, "unable to read request body")
			return
		}
		form := r.URL.Query()
		// Parse the body whatever its Content-Type: pveproxy does, and
		// Telmate's login sends none (dependencies.md §1.5).
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			writeMessage(w, http.StatusBadRequest, "Parameter verification failed: body is not form-encoded")
			return
		}
		for k, v := range vals {
			form[k] = append(form[k], v...)
		}
		if !sleep(r.Context(), s.opts.Latency) {
			return
		}
		if !s.powered(node) {
			// Off since this keep-alive connection was made: drop it.
			panic(http.ErrAbortHandler)
		}
		status, out := s.b.API(node, r.Method, path, form)
		if !s.b.Powered(node) {
			// The request powered the node off; this answer is its last.
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		w.Write(out)
	})
}

// authorized checks "PVEAPIToken=ID=SECRET" (or a space for the first "=");
// the value splits at the last "=" (reference §1.3).
func (s *Server) authorized(h string) bool {
	rest, ok := strings.CutPrefix(h, "PVEAPIToken=")
	if !ok {
		rest, ok = strings.CutPrefix(h, "PVEAPIToken ")
	}
	i := strings.LastIndexByte(rest, '=')
	if !ok || i < 0 {
		return false
	}
	id, secret := rest[:i], rest[i+1:]
	return id == TokenID && subtle.ConstantTimeCompare([]byte(secret), []byte(s.mat.secret)) == 1
}

// writeMessage writes PVE's error envelope (reference §1.2).
func writeMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(struct {
		Data    any    `json:"data"`
		Message string `json:"message"`
	}{nil, msg + "\n"})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// sleep waits d unless ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
