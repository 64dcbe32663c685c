// Package pveapi is quorate's read client for the Proxmox VE HTTP API.
//
// It wraps github.com/Telmate/proxmox-api-go, but only its generic calls
// (dependencies.md §1.6), behind this package's own types, and it builds the
// *http.Client itself because Telmate ignores its TLS argument once a client
// is given (§1.3):
//
//   - TLS is pinned to one SHA-256 certificate fingerprint per node, as
//     Proxmox shows it (reference §1.1). A mismatch is a *FingerprintError and
//     is never retried.
//   - GET and HEAD are retried by go-retryablehttp (at most twice, jittered
//     linear backoff) on 5xx/429 and on transport errors other than a refused
//     connection. POST, PUT and DELETE go out exactly once: PVE answers most
//     refusals with 500, and a retried mutation can repeat a state change
//     (§4.3).
//   - Telmate's own retry loop sleeps 1+2+3 s, ignoring ctx (§1.9). This
//     package never lets it: see transport.go for how every failure reaches
//     Telmate as a non-retryable answer and comes back to the caller as the
//     original, typed error.
//
// Numbers in PVE answers may be JSON strings or numbers (reference §1.2);
// FlexInt accepts both.
//
// Authentication is by API token only. Tokens cannot create, join or change
// cluster membership (reference §1.3), so quorate makes those changes over SSH;
// Post and Delete exist for completeness and for endpoints that do allow
// tokens.
//
// Not done: ticket (password) login, task polling (UPIDs), ProxyJump-style
// access to nodes behind another node.
package pveapi
