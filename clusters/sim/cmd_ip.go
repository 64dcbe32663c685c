package sim

import (
	"fmt"
	"net/netip"
	"strings"
)

// cmdIP is `ip -o addr show` (clusters.CmdInterfaces): iproute2's one-line
// form, loopback first, then one line per configured address (the machine's
// Interfaces in order, AddInterface appending), each on its own ethN. IPv4
// addresses are shown as /24 with their broadcast, IPv6 as /64; both
// "forever" (static). Real one-line output ends each line's first part with
// "\" where the multi-line form breaks: after the label for IPv4, after
// "scope global " for IPv6 (which has no label). Approximation: real
// machines usually have the addresses on bridges (vmbr0) and show ::1 and
// link-local IPv6 lines too; prefix lengths come from the real netmask.
func cmdIP(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	oneline := false
	var words []string
	for _, a := range c.args[1:] {
		switch a {
		case "-o", "-oneline", "--oneline":
			oneline = true
		default:
			words = append(words, a)
		}
	}
	if len(words) == 0 || !isPrefixOf(words[0], "address") {
		return r.fail(1, "simulator: only `ip -o addr show` is modelled")
	}
	if len(words) > 2 || (len(words) == 2 && !isPrefixOf(words[1], "show") && !isPrefixOf(words[1], "list")) {
		return r.fail(1, "simulator: only `ip -o addr show` is modelled")
	}
	if !oneline {
		return r.fail(1, "simulator: only the one-line form (ip -o addr show) is modelled")
	}
	const lft = "\\       valid_lft forever preferred_lft forever"
	r.outf("1: lo    inet 127.0.0.1/8 scope host lo%s\n", lft)
	for i, a := range n.ifList {
		dev := fmt.Sprintf("eth%d", i)
		ip, err := netip.ParseAddr(a)
		switch {
		case err != nil:
			continue // not an address (a name in Interfaces): nothing to show
		case ip.Is4():
			b := ip.As4()
			r.outf("%d: %s    inet %s/24 brd %d.%d.%d.255 scope global %s%s\n", i+2, dev, a, b[0], b[1], b[2], dev, lft)
		default:
			r.outf("%d: %s    inet6 %s/64 scope global %s\n", i+2, dev, a, lft)
		}
	}
	return r
}

// isPrefixOf reports whether w abbreviates word, as iproute2 accepts
// ("a", "addr", "address").
func isPrefixOf(w, word string) bool { return w != "" && strings.HasPrefix(word, w) }
