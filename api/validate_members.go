package api

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

const (
	maxLinks    = 8   // corosync: links 0..7 (reference §2.11, §4.4)
	maxLinkNum  = 7   // Proxmox MAX_LINK_INDEX (reference §2.11)
	maxPriority = 255 // knet_link_priority (reference §2.11)
	maxNodeID   = 65535
	maxVotes    = 255
)

func (v *validator) links() {
	links := v.c.Spec.Links
	switch {
	case len(links) == 0:
		v.add("spec.links", "at least one link is required", "declare link 0, e.g. links: [{number: 0}]")
		return
	case len(links) > maxLinks:
		v.add("spec.links", fmt.Sprintf("%d links are declared; corosync supports at most %d (numbers 0..7)", len(links), maxLinks), "see reference §4.4")
	}
	seen := map[int]int{}
	has0 := false
	for i, l := range links {
		p := fmt.Sprintf("spec.links[%d]", i)
		if l.Number < 0 || l.Number > maxLinkNum {
			v.add(p+".number", fmt.Sprintf("%d is out of range 0..%d", l.Number, maxLinkNum), "corosync numbers links 0..7 (reference §2.11)")
		} else if j, dup := seen[l.Number]; dup {
			v.add(p+".number", fmt.Sprintf("link %d is declared twice (also spec.links[%d])", l.Number, j), "remove one of them")
		} else {
			seen[l.Number] = i
		}
		has0 = has0 || l.Number == 0
		if l.Priority < 0 || l.Priority > maxPriority {
			v.add(p+".priority", fmt.Sprintf("%d is out of range 0..%d", l.Priority, maxPriority), "in passive mode corosync prefers the highest number; 0 leaves knet_link_priority unset (reference §4.5)")
		}
	}
	// corosync.conf(5): every node needs at least ring0_addr (reference §4.4).
	if !has0 {
		v.add("spec.links", "link 0 is not declared", "corosync needs every node to have a ring0_addr (reference §4.4); declare a link with number: 0")
	}
}

// declaredLinks returns the link numbers of spec.links, out-of-range ones
// included: those are reported once, at the link, not again at every address
// that uses them.
func (v *validator) declaredLinks() map[int]bool {
	out := map[int]bool{}
	for _, l := range v.c.Spec.Links {
		out[l.Number] = true
	}
	return out
}

func (v *validator) members() {
	ms := v.c.Spec.Members
	if len(ms) == 0 {
		v.add("spec.members", "at least one member is required", "list every node of the cluster under spec.members")
		return
	}
	names := map[string]int{}
	ids := map[int]int{}
	for i, m := range ms {
		p := fmt.Sprintf("spec.members[%d]", i)
		v.memberName(p, m.Name, names, i)
		switch {
		case m.NodeID < 1 || m.NodeID > maxNodeID:
			// knet needs an explicit nodeid below 65536; 0 is reserved
			// (reference §4.4).
			v.add(p+".nodeid", fmt.Sprintf("%d is out of range 1..%d", m.NodeID, maxNodeID), "corosync (knet) needs an explicit nodeid; 0 is reserved (reference §4.4)")
		default:
			if j, dup := ids[m.NodeID]; dup {
				// Proxmox does not check this; corosync refuses to start with
				// "Nodeid N appears twice in corosync.conf" (reference §4.4).
				v.add(p+".nodeid", fmt.Sprintf("nodeid %d is already used by %s", m.NodeID, memberLabel(ms, j)), "give every member its own nodeid; corosync refuses to start otherwise (reference §4.4)")
			} else {
				ids[m.NodeID] = i
			}
		}
		switch {
		case m.Votes == 0:
			// Proxmox writes no quorum_votes for votes 0 and corosync then
			// counts the node as 1 vote (reference §2.6 item 10), so 0 would
			// silently mean 1.
			v.add(p+".votes", "0 votes is not possible", "Proxmox writes no quorum_votes for 0 and corosync then counts 1 vote (reference §2.6 item 10); use 1..255, or leave it out for 1")
		case m.Votes < 1 || m.Votes > maxVotes:
			v.add(p+".votes", fmt.Sprintf("%d is out of range 1..%d", m.Votes, maxVotes), "leave it out for 1 vote")
		}
		v.management(p+".management", m.Management)
	}
	v.addresses()
	v.endpoints()
}

func (v *validator) memberName(p, name string, seen map[string]int, i int) {
	switch {
	case name == "":
		v.add(p+".name", "is required", "use the node's host name as Proxmox shows it")
		return
	case !pveNodeRE.MatchString(name) || len(name) > maxNodeName:
		v.add(p+".name", fmt.Sprintf("%q is not a valid node name", name), "use the node's short host name: letters, digits and inner hyphens, at most 63 characters (Proxmox's pve-node format)")
		return
	case allDigitsRE.MatchString(name):
		v.add(p+".name", fmt.Sprintf("%q is all digits", name), "use the node's host name; an all-digit name is not a host name")
		return
	}
	// Host names are case-insensitive, so pve1 and PVE1 would be one host.
	key := strings.ToLower(name)
	if j, dup := seen[key]; dup {
		v.add(p+".name", fmt.Sprintf("%q is already the name of spec.members[%d]", name, j), "give every member its own name")
		return
	}
	seen[key] = i
}

// memberLabel names member i for messages: by name when it has one.
func memberLabel(ms []Member, i int) string {
	if ms[i].Name != "" {
		return ms[i].Name
	}
	return fmt.Sprintf("spec.members[%d]", i)
}

// addresses checks every member's ring addresses against the declared links,
// each other, and corosync's and Proxmox's rules.
func (v *validator) addresses() {
	ms := v.c.Spec.Members
	declared := v.declaredLinks()
	type use struct {
		member, link int
	}
	used := map[netip.Addr]use{}
	family := map[int]struct {
		v4     bool
		member int
	}{}
	for i, m := range ms {
		p := fmt.Sprintf("spec.members[%d].addresses", i)
		have := map[int]int{}
		for j, a := range m.Addresses {
			ap := fmt.Sprintf("%s[%d]", p, j)
			linkOK := true
			switch {
			case !declared[a.Link]:
				linkOK = false
				v.add(ap+".link", fmt.Sprintf("link %d is not declared in spec.links", a.Link), "declare it under spec.links or remove this address")
			default:
				if k, dup := have[a.Link]; dup {
					linkOK = false
					v.add(ap+".link", fmt.Sprintf("link %d already has an address (%s[%d])", a.Link, p, k), "give each link one address")
				} else {
					have[a.Link] = j
				}
			}
			addr, ok := v.ringAddress(ap+".address", a)
			if !ok {
				continue
			}
			if prev, dup := used[addr]; dup {
				// addnode refuses an address another node already uses on
				// any link (reference §2.6 item 5); two links of one node
				// on one address give no redundancy either.
				v.add(ap+".address", fmt.Sprintf("%s is already used by %s on link %d", addr, memberLabel(ms, prev.member), prev.link), "every member needs its own address on every link (reference §2.6 item 5)")
			} else {
				used[addr] = use{i, a.Link}
			}
			if !linkOK {
				continue
			}
			if f, seen := family[a.Link]; !seen {
				family[a.Link] = struct {
					v4     bool
					member int
				}{addr.Is4(), i}
			} else if f.v4 != addr.Is4() {
				v.add(ap+".address", fmt.Sprintf("link %d mixes IPv4 and IPv6: %s is %s, %s's address is %s", a.Link, addr, famName(addr.Is4()), memberLabel(ms, f.member), famName(f.v4)), "use addresses of one IP family on each link")
			}
		}
		// Every node must have an address on every link, and nothing else
		// (Proxmox verify_conf and addnode's link-set check, reference §2.6
		// item 6 and §4.4).
		var missing []string
		for _, l := range v.c.Spec.Links {
			if _, ok := have[l.Number]; !ok {
				missing = append(missing, strconv.Itoa(l.Number))
			}
		}
		if len(missing) > 0 {
			v.add(p, fmt.Sprintf("no address for link %s", strings.Join(missing, ", ")), "every member needs an address on every declared link (reference §4.4)")
		}
	}
}

func famName(v4 bool) string {
	if v4 {
		return "IPv4"
	}
	return "IPv6"
}

// ringAddress checks one ringN_addr. Host names are refused: corosync resolves
// them only when it starts, and Proxmox warns about every one (reference §4.4).
func (v *validator) ringAddress(path string, a LinkAddress) (netip.Addr, bool) {
	if a.Address == "" {
		v.add(path, "is required", fmt.Sprintf("give the node's IP address on link %d", a.Link))
		return netip.Addr{}, false
	}
	addr, msg := checkIP(a.Address)
	if msg == "" {
		return addr, true
	}
	hint := fmt.Sprintf("use the node's address on link %d", a.Link)
	if _, err := netip.ParseAddr(a.Address); err != nil && isDNSName(a.Address) {
		msg = fmt.Sprintf("%q is a host name, not an IP address", a.Address)
		hint = fmt.Sprintf("corosync resolves names only when it starts and Proxmox warns about them (reference §4.4); write the node's IP address on link %d", a.Link)
	}
	v.add(path, msg, hint)
	return netip.Addr{}, false
}

func (v *validator) management(p string, m Management) {
	switch {
	case m.Host == "":
		v.add(p+".host", "is required", "give the IP address or DNS name quorate reaches this node's API and SSH at")
	default:
		if _, err := netip.ParseAddr(m.Host); err == nil {
			if _, msg := checkIP(m.Host); msg != "" {
				v.add(p+".host", msg, "give the address quorate reaches this node at")
			}
		} else if !isDNSName(m.Host) {
			v.add(p+".host", fmt.Sprintf("%q is neither an IP address nor a DNS name", m.Host), "use an IP address, or a host name of letters, digits, hyphens and dots")
		}
	}
	v.port(p+".apiPort", m.APIPort, true)
	v.port(p+".sshPort", m.SSHPort, true)
	switch {
	case m.Fingerprint == "":
		v.add(p+".fingerprint", "is required", "give the SHA-256 fingerprint of the node's HTTPS certificate (`pvenode cert info`), 32 colon-separated hex bytes")
	case !fingerprintRE.MatchString(m.Fingerprint):
		v.add(p+".fingerprint", fmt.Sprintf("%q is not a SHA-256 fingerprint", m.Fingerprint), "write 32 hex bytes separated by colons, AA:BB:...: as Proxmox shows it (reference §1.1)")
	}
}

// endpoints refuses two members that quorate would reach at the same API or
// SSH endpoint: one of them is a copy-paste mistake, and quorate would talk to
// one node while believing it talks to two.
func (v *validator) endpoints() {
	ms := v.c.Spec.Members
	api, ssh := map[string]int{}, map[string]int{}
	for i := range ms {
		m := &ms[i]
		if m.Management.Host == "" {
			continue
		}
		host := strings.ToLower(strings.TrimSuffix(m.Management.Host, "."))
		if a, err := netip.ParseAddr(host); err == nil {
			host = a.String()
		}
		p := fmt.Sprintf("spec.members[%d].management", i)
		for _, e := range []struct {
			seen  map[string]int
			port  int
			field string
		}{{api, v.c.APIPort(m), "apiPort"}, {ssh, v.c.SSHPort(m), "sshPort"}} {
			key := host + "|" + strconv.Itoa(e.port)
			if j, dup := e.seen[key]; dup {
				v.add(p+"."+e.field, fmt.Sprintf("%s is also where %s's %s is", hostPort(m.Management.Host, e.port), memberLabel(ms, j), strings.ToUpper(strings.TrimSuffix(e.field, "Port"))), "each member needs its own host or port")
				continue
			}
			e.seen[key] = i
		}
	}
}

// hostPort joins host and port as net.JoinHostPort does, without importing
// net (reconciler/deps_test.go keeps it out of the planner's dependencies).
func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}
