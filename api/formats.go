package api

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Formats of names and addresses. Everything that later reaches a shell
// command or corosync.conf is held to one of these, so that quoting in
// clusters/ is a second line of defence rather than the only one.
var (
	// pveNodeRE is Proxmox's pve-node format, used for node and cluster names
	// (reference §2.3).
	pveNodeRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	// fingerprintRE is Proxmox's fingerprint-sha256 format (reference §1.1).
	fingerprintRE = regexp.MustCompile(`^([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}$`)
	// tokenNameRE is the TOKENID part of USER@REALM!TOKENID, and realmRE the
	// REALM part (Proxmox's pve-realm format).
	tokenNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)
	realmRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)
	// envNameRE is a portable environment variable name (POSIX: letters,
	// digits and underscore, not starting with a digit).
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// unixUserRE is the user name rule of Debian's adduser and shadow's
	// useradd (lower case, may not start with a digit or '-'); PVE nodes run
	// Debian. 32 characters is the utmp limit.
	unixUserRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*$`)
	// dnsLabelRE is one RFC 1123 host name label.
	dnsLabelRE  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	allDigitsRE = regexp.MustCompile(`^[0-9]+$`)
)

const (
	maxClusterName = 15 // pvecm create clustername maxLength (reference §2.3)
	maxNodeName    = 63 // one DNS label
	maxUnixUser    = 32
	maxUserID      = 64 // USER@REALM, username maxLength (reference §1.3)
)

// checkIP parses s as a literal IPv4 or IPv6 address usable as a host
// address. It returns "" when s is fine, else why not.
func checkIP(s string) (netip.Addr, string) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return a, fmt.Sprintf("%q is not an IP address", s)
	case a.Zone() != "":
		return a, fmt.Sprintf("%q has an IPv6 zone (%%%s), which corosync.conf and Proxmox cannot take", s, a.Zone())
	case a.Is4In6():
		return a, fmt.Sprintf("%q is an IPv4-mapped IPv6 address; write it as %s", s, a.Unmap())
	case a.IsUnspecified():
		return a, fmt.Sprintf("%q is the unspecified address, not a host's address", s)
	case a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return a, fmt.Sprintf("%q is a multicast or broadcast address, not a host's address", s)
	}
	return a, ""
}

// isDNSName reports whether s is an RFC 1123 host name: dot-separated labels
// of letters, digits and inner hyphens, at most 253 characters, one optional
// trailing dot. A name whose last label is all digits is refused: it is a
// mistyped IPv4 address ("10.0.0.300"), not a name.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if !dnsLabelRE.MatchString(l) {
			return false
		}
	}
	return !allDigitsRE.MatchString(labels[len(labels)-1])
}

// checkTokenID checks USER@REALM!TOKENID the way Proxmox splits it: at the
// last '!' (token names cannot hold one), then the user id at the last '@'
// (user names may hold '@', realms may not). It returns "" when id is fine.
func checkTokenID(id string) string {
	userID, token, ok := cutLast(id, "!")
	if !ok {
		return fmt.Sprintf("%q has no '!'; an API token id is USER@REALM!TOKENID", id)
	}
	user, realm, ok := cutLast(userID, "@")
	switch {
	case !ok:
		return fmt.Sprintf("%q has no '@' before the '!'; an API token id is USER@REALM!TOKENID", id)
	case user == "":
		return fmt.Sprintf("%q has an empty user before the '@'", id)
	case strings.ContainsAny(user, ":/") || strings.IndexFunc(user, isSpaceOrControl) >= 0:
		return fmt.Sprintf("%q: the user %q holds a space, control character, ':' or '/', which Proxmox user names cannot", id, user)
	case len(userID) > maxUserID:
		return fmt.Sprintf("%q: the user id %q is longer than Proxmox's %d characters", id, userID, maxUserID)
	case !realmRE.MatchString(realm):
		return fmt.Sprintf("%q: the realm %q must start with a letter and hold only letters, digits, '.', '_' and '-'", id, realm)
	case !tokenNameRE.MatchString(token):
		return fmt.Sprintf("%q: the token name %q must start with a letter and hold only letters, digits, '.', '_' and '-'", id, token)
	}
	return ""
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// checkPath checks a local file path from the declaration. It returns "" when
// p is usable, else why not. Existence is not checked: Load must work before
// the files are in place.
func checkPath(p string) (msg, hint string) {
	switch {
	case strings.ContainsAny(p, "\x00\n\r"):
		return fmt.Sprintf("%q holds a NUL or line break", p), ""
	case p == "~" || strings.HasPrefix(p, "~/"):
		return fmt.Sprintf("%q starts with ~, which quorate does not expand", p), "write the full path, or a path relative to this file's directory"
	}
	return "", ""
}
