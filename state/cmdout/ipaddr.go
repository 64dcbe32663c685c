package cmdout

import (
	"net/netip"
	"strings"
)

const ipAddr = "ip -o addr show"

// ParseIPAddr parses `ip -o addr show` (iproute2's one-line form), which
// Proxmox's join check compares link addresses against (assert_joinable,
// reference §2.9). Each line is
//
//	IFINDEX: IFNAME    FAMILY ADDR[/PREFIX] [peer ADDR/PREFIX] ... \       valid_lft ...
//
// where the "\" stands for the line breaks of the multi-line form. It returns
// every inet and inet6 address in output order, without prefix length, in
// canonical text (IPv6 compressed and lower case, as iproute2 prints it),
// each once; loopback and link-local addresses are kept (the planner decides
// what to compare). A point-to-point address ("inet 10.0.0.1 peer
// 10.0.0.2/32") contributes its local address. The result is never nil.
//
// Lines of another family that iproute2 may print for an address-less
// interface ("link/ether ...") are skipped; a line without the IFINDEX:
// IFNAME FAMILY ADDR shape, or an inet/inet6 line whose address does not
// parse, is an error: the command failed or its format changed.
func ParseIPAddr(out []byte) ([]string, error) {
	addrs := []string{}
	seen := map[string]bool{}
	for i, line := range splitLines(out) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !isIfIndex(f[0]) {
			return nil, lineError(ipAddr, i+1, "%s is not \"IFINDEX: IFNAME FAMILY ADDRESS ...\"", quoteLine(line))
		}
		family := f[2]
		switch {
		case family == "inet" || family == "inet6":
		case strings.HasPrefix(family, "link/"):
			continue
		default:
			return nil, lineError(ipAddr, i+1, "unknown address family %s in %s", quoteLine(family), quoteLine(line))
		}
		text, _, _ := strings.Cut(f[3], "/")
		a, err := netip.ParseAddr(text)
		if err != nil || a.Zone() != "" || (family == "inet") != a.Is4() {
			return nil, lineError(ipAddr, i+1, "%s is not an %s address", quoteLine(f[3]), family)
		}
		if s := a.String(); !seen[s] {
			seen[s] = true
			addrs = append(addrs, s)
		}
	}
	return addrs, nil
}

// isIfIndex reports whether s is "N:" with N a decimal interface index.
func isIfIndex(s string) bool {
	n, ok := strings.CutSuffix(s, ":")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
