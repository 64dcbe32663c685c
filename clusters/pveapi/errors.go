package pveapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// FingerprintError means the server's TLS certificate is not the pinned one.
// Nothing was sent to the server (the handshake failed).
type FingerprintError struct {
	// URL is the base URL that was called, e.g. https://10.0.0.1:8006.
	URL string
	// Got is the fingerprint of the certificate the server presented and Want
	// the pinned one, both as upper-case colon-separated hex.
	Got, Want string
}

// Error says what happened and what to do.
func (e *FingerprintError) Error() string {
	return fmt.Sprintf("TLS certificate of %s: fingerprint %s does not match the pinned %s. "+
		"If the node rejoined a cluster or its certificate was renewed (both regenerate it), verify the new "+
		"fingerprint out of band (pvenode cert info on the node) and update members[].management.fingerprint; "+
		"nothing was changed.", e.URL, e.Got, e.Want)
}

// APIError is a non-2xx answer from the API, with PVE's own message kept.
type APIError struct {
	// Status is the HTTP status code (PVE uses 400, 401, 403, 424, 500, 501
	// and, for proxied calls, 59x; reference §1.2).
	Status int
	// Message is the body's "message" (trailing newline trimmed), or the HTTP
	// status text when the body had none.
	Message string
	// Errors holds per-parameter messages (400 Parameter verification
	// failed); nil when there were none.
	Errors map[string]string
}

// Error renders the status, message, parameter errors, and a hint for the
// statuses an operator can act on.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, e.Message)
	if len(e.Errors) > 0 {
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", k, e.Errors[k])
		}
		b.WriteString(")")
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString(": check access.api.token (the token id, and that its secret is current)")
	case http.StatusForbidden:
		b.WriteString(": the API token needs Sys.Audit on / (membership changes go over SSH, tokens cannot make them)")
	}
	return b.String()
}

// IsNotInCluster reports whether err is PVE's 424 answer to a join-info
// request on a node that is not in a cluster (reference §2.8).
func IsNotInCluster(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusFailedDependency
}
