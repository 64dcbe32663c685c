package lab

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"
)

// Names of the host-side veth of node id on link (v<N> on link 0, w<N> on
// link 1, q for the qnetd host) and of its peer before it moves into the
// namespace (p<N>, r<N>, qp). Only host-side names are swept as leftovers
// (linkName): deleting one end of a veth deletes the other.
func (l *Lab) vethNames(n *node, link int) (host, peer string) {
	p := prefix + l.ID
	switch {
	case n.isQNetd:
		return p + "q", p + "qp"
	case link == 1:
		return fmt.Sprintf("%sw%d", p, n.id), fmt.Sprintf("%sr%d", p, n.id)
	}
	return fmt.Sprintf("%sv%d", p, n.id), fmt.Sprintf("%sp%d", p, n.id)
}

// BridgeOf returns the host-side bridge of link (Bridge or Bridge1), or ""
// for a link the lab does not have.
func (l *Lab) BridgeOf(link int) string {
	switch {
	case link == 0:
		return l.Bridge
	case link == 1 && l.links == 2:
		return l.Bridge1
	}
	return ""
}

// buildNetwork creates one bridge per link with the host's .254 and, per
// node, a namespace and one veth pair per link: the host end enslaved to
// the link's bridge, the other end moved into the namespace and renamed
// eth<link> with 10.99.k.<nodeid>/24 (link 1: 10.99.k1.<nodeid>/24). The
// qnetd host (Options.QNetd) gets its namespace and one veth on link 0's
// bridge, eth0 with .200. Each name is recorded before the object is
// created.
func (l *Lab) buildNetwork() error {
	for link := 0; link < l.links; link++ {
		br := l.BridgeOf(link)
		if err := l.noteCreated("", br); err != nil {
			return err
		}
		cidr := fmt.Sprintf("10.99.%d.254/24", l.subnetOf(link))
		for _, args := range [][]string{
			{"link", "add", br, "type", "bridge"},
			{"addr", "add", cidr, "dev", br},
			{"link", "set", br, "up"},
		} {
			if err := ip(args...); err != nil {
				return err
			}
		}
	}
	hosts := append([]string(nil), l.names...)
	if l.qnetd != nil {
		hosts = append(hosts, QNetdHost)
	}
	for _, nm := range hosts {
		n := l.nodes[nm]
		if err := l.noteCreated(n.ns, ""); err != nil {
			return err
		}
		for _, args := range [][]string{
			{"netns", "add", n.ns},
			{"-n", n.ns, "link", "set", "lo", "up"},
		} {
			if err := ip(args...); err != nil {
				return fmt.Errorf("node %s: %w", nm, err)
			}
		}
		links := l.links
		if n.isQNetd {
			links = 1
		}
		for link := 0; link < links; link++ {
			if err := l.addVeth(n, link); err != nil {
				return fmt.Errorf("node %s: link %d: %w", nm, link, err)
			}
		}
	}
	return nil
}

// addVeth creates node n's veth pair on link and configures its
// namespace end as eth<link>.
func (l *Lab) addVeth(n *node, link int) error {
	host, peer := l.vethNames(n, link)
	if err := l.noteCreated("", host); err != nil {
		return err
	}
	eth := fmt.Sprintf("eth%d", link)
	for _, args := range [][]string{
		{"link", "add", host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", n.ns},
		{"-n", n.ns, "link", "set", peer, "name", eth},
		{"-n", n.ns, "addr", "add", l.AddrOn(n.name, link) + "/24", "dev", eth},
		{"-n", n.ns, "link", "set", eth, "up"},
		{"link", "set", host, "master", l.BridgeOf(link)},
		{"link", "set", host, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

// CutLink cuts node's link (0 or 1) by setting the host-side end of its
// veth down, as corosync-lab.md cut nodes off (this kernel has no tc
// netem): the node's eth<link> loses carrier and no packet passes on that
// link either way; its other link is untouched. RestoreLink undoes it.
// Cutting a cut link is a no-op.
func (l *Lab) CutLink(node string, link int) error { return l.setLink(node, link, "down") }

// RestoreLink sets node's link back up after CutLink. knet notices within
// its ping interval (corosync-lab §2: link up 3.3 s after the heal).
func (l *Lab) RestoreLink(node string, link int) error { return l.setLink(node, link, "up") }

func (l *Lab) setLink(node string, link int, state string) error {
	n, err := l.node(node)
	if err != nil {
		return err
	}
	if n.isQNetd && link != 0 || l.BridgeOf(link) == "" {
		return fmt.Errorf("lab %s: node %s has no link %d (the lab has %d link(s), Options.Links; the qnetd host only link 0)", l.ID, node, link, l.links)
	}
	host, _ := l.vethNames(n, link)
	if err := ip("link", "set", host, state); err != nil {
		return fmt.Errorf("lab %s: node %s: link %d: %w", l.ID, node, link, err)
	}
	return nil
}

// CheckRoute refuses (returns an error) unless addr lies in one of the
// lab's networks and the host's route to it leaves through that network's
// own bridge: `ip route get ADDR` must name `dev <Bridge>` for 10.99.k.x
// and `dev <Bridge1>` for 10.99.k1.x. Call it before connecting to a lab
// address from the host, so that a lab whose bridge vanished or whose range
// collides with a real network never sends a packet anywhere else
// (DEVELOPERS.md safety rule).
func (l *Lab) CheckRoute(addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("lab %s: %q is not an IP address", l.ID, addr)
	}
	want := ""
	var nets []string
	for link := 0; link < l.links; link++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 99, byte(l.subnetOf(link)), 0}), 24)
		nets = append(nets, p.String())
		if p.Contains(a) {
			want = l.BridgeOf(link)
		}
	}
	if want == "" {
		return fmt.Errorf("lab %s: refusing to use %s: it is in none of the lab's networks (%s)", l.ID, addr, strings.Join(nets, ", "))
	}
	out, err := exec.Command("ip", "route", "get", a.String()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab %s: refusing to use %s: ip route get: %s", l.ID, addr, oneLine(out, err))
	}
	if dev := routeDev(string(out)); dev != want {
		return fmt.Errorf("lab %s: refusing to use %s: the host routes it via dev %q, not the lab bridge %s; is another network using %s?",
			l.ID, addr, dev, want, strings.Join(nets, " or "))
	}
	return nil
}

// routeDev returns the word after "dev" in `ip route get` output, or "".
func routeDev(out string) string {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "dev" {
			return f[i+1]
		}
	}
	return ""
}

// pickSubnets chooses n distinct values k for 10.99.k.0/24 (one per link)
// such that no host route or address overlaps them and no other live lab
// uses them. It must run with lockState held.
func pickSubnets(n int) ([]int, error) {
	out, err := exec.Command("ip", "-4", "-o", "route", "show", "table", "all").Output()
	if err != nil {
		return nil, fmt.Errorf("lab: ip route show: %w", err)
	}
	taken := map[int]bool{}
	if recs, err := loadRecords(); err == nil {
		for _, r := range recs {
			taken[r.Subnet] = true
			if r.Subnet1 != 0 {
				taken[r.Subnet1] = true
			}
		}
	}
	used := routePrefixes(string(out))
	var ks []int
	for len(ks) < n {
		k, ok := freeSubnet(used, taken, rand.IntN(250))
		if !ok {
			return nil, fmt.Errorf("lab: no free 10.99.k.0/24 for link %d (every k in 1..250 overlaps a host route or another lab)", len(ks))
		}
		taken[k] = true
		ks = append(ks, k)
	}
	return ks, nil
}

// routePrefixes returns the destinations of `ip -4 -o route show table all`
// output (local and broadcast entries included, as /32), without the
// default route: the lab's range is routed more specifically anyway, and
// CheckRoute verifies that.
func routePrefixes(out string) []netip.Prefix {
	var used []netip.Prefix
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		switch dst {
		case "broadcast", "local", "unicast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw":
			if len(f) < 2 {
				continue
			}
			dst = f[1]
		}
		if dst == "default" {
			continue
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if p, err := netip.ParsePrefix(dst); err == nil {
			used = append(used, p)
		}
	}
	return used
}

// freeSubnet returns the first k in 1..250, scanning from start+1 and
// wrapping around, that no other lab has taken and whose 10.99.k.0/24
// overlaps none of used.
func freeSubnet(used []netip.Prefix, taken map[int]bool, start int) (int, bool) {
	for i := 0; i < 250; i++ {
		k := (start+i)%250 + 1
		if taken[k] {
			continue
		}
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 99, byte(k), 0}), 24)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return k, true
		}
	}
	return 0, false
}

// ip runs `ip args...` and returns an error with its output on failure.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), oneLine(out, err))
	}
	return nil
}
