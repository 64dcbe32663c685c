package lab

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"
)

// buildNetwork creates the bridge with the host's .254 and, per node, a
// namespace and a veth pair: the host end enslaved to the bridge, the other
// end moved into the namespace and renamed eth0 with 10.99.k.<nodeid>/24.
// Each name is recorded before the object is created.
func (l *Lab) buildNetwork() error {
	if err := l.noteCreated("", l.Bridge); err != nil {
		return err
	}
	cidr := fmt.Sprintf("%s/24", l.HostAddr())
	for _, args := range [][]string{
		{"link", "add", l.Bridge, "type", "bridge"},
		{"addr", "add", cidr, "dev", l.Bridge},
		{"link", "set", l.Bridge, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	for _, nm := range l.names {
		n := l.nodes[nm]
		host, peer := fmt.Sprintf("%s%sv%d", prefix, l.ID, n.id), fmt.Sprintf("%s%sp%d", prefix, l.ID, n.id)
		if err := l.noteCreated(n.ns, host); err != nil {
			return err
		}
		for _, args := range [][]string{
			{"netns", "add", n.ns},
			{"link", "add", host, "type", "veth", "peer", "name", peer},
			{"link", "set", peer, "netns", n.ns},
			{"-n", n.ns, "link", "set", peer, "name", "eth0"},
			{"-n", n.ns, "addr", "add", l.Addr(nm) + "/24", "dev", "eth0"},
			{"-n", n.ns, "link", "set", "eth0", "up"},
			{"-n", n.ns, "link", "set", "lo", "up"},
			{"link", "set", host, "master", l.Bridge},
			{"link", "set", host, "up"},
		} {
			if err := ip(args...); err != nil {
				return fmt.Errorf("node %s: %w", nm, err)
			}
		}
	}
	return nil
}

// CheckRoute refuses (returns an error) unless the host's route to addr
// leaves through the lab's own bridge: `ip route get ADDR` must name
// `dev <Bridge>`. Call it before connecting to a lab address from the host,
// so that a lab whose bridge vanished or whose range collides with a real
// network never sends a packet anywhere else (DEVELOPERS.md safety rule).
func (l *Lab) CheckRoute(addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("lab %s: %q is not an IP address", l.ID, addr)
	}
	out, err := exec.Command("ip", "route", "get", a.String()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab %s: refusing to use %s: ip route get: %s", l.ID, addr, oneLine(out, err))
	}
	if dev := routeDev(string(out)); dev != l.Bridge {
		return fmt.Errorf("lab %s: refusing to use %s: the host routes it via dev %q, not the lab bridge %s; is another network using 10.99.%d.0/24?",
			l.ID, addr, dev, l.Bridge, l.subnet)
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

// pickSubnet chooses k for 10.99.k.0/24 such that no host route or address
// overlaps it and no other live lab uses it. It must run with lockState held.
func pickSubnet() (int, error) {
	out, err := exec.Command("ip", "-4", "-o", "route", "show", "table", "all").Output()
	if err != nil {
		return 0, fmt.Errorf("lab: ip route show: %w", err)
	}
	taken := map[int]bool{}
	if recs, err := loadRecords(); err == nil {
		for _, r := range recs {
			taken[r.Subnet] = true
		}
	}
	if k, ok := freeSubnet(routePrefixes(string(out)), taken, rand.IntN(250)); ok {
		return k, nil
	}
	return 0, fmt.Errorf("lab: no free 10.99.k.0/24 (every k in 1..250 overlaps a host route or another lab)")
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
