package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// getopt splits argv into single-letter options (clustered, as in -siH) and
// their arguments for the letters in withArg.
func getopt(args []string, withArg string) (opts []byte, vals map[byte]string, rest []string, err error) {
	vals = map[byte]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			opts = append(opts, c)
			if strings.IndexByte(withArg, c) >= 0 {
				switch {
				case j+1 < len(a):
					vals[c] = a[j+1:]
				case i+1 < len(args):
					i++
					vals[c] = args[i]
				default:
					return nil, nil, nil, fmt.Errorf("option requires an argument -- '%c'", c)
				}
				break
			}
		}
	}
	return opts, vals, rest, nil
}

func has(opts []byte, c byte) bool {
	for _, o := range opts {
		if o == c {
			return true
		}
	}
	return false
}

// cmdQuorumtool: corosync-quorumtool [-s|-l|-e N] [-i] [-H] (reference
// §3.6, §3.7, §7.3, lab §3).
func cmdQuorumtool(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	opts, vals, _, err := getopt(c.args[1:], "evn")
	if err != nil {
		return r.fail(1, "corosync-quorumtool: %v", err)
	}
	if n.cs == nil {
		return r.fail(1, "Cannot initialize QUORUM service")
	}
	ips, hex := has(opts, 'i'), has(opts, 'H')
	switch {
	case has(opts, 'e'):
		want, err := strconv.Atoi(vals['e'])
		if err != nil || want <= 0 {
			return r.fail(1, "New expected votes value was not valid, try a positive number")
		}
		if !m.setExpected(n, want) {
			return r.fail(1, "Unable to set expected votes: CS_ERR_INVALID_PARAM")
		}
		return r
	case has(opts, 'l'):
		r.outf("\n")
		r.out.WriteString(membershipTable(n.cs.qv, n.nodeID(), ips, hex))
		return r
	default: // -s, and the default action
		m.settleIfNeeded()
		r.out.WriteString(quorumStatusText(n, m.now(), ips, hex))
		if !n.cs.quorate {
			r.code = 2
		}
		return r
	}
}

// quorumStatusText is `corosync-quorumtool -s` (lab §3; trailing spaces on
// the Quorum: and Flags: lines are real).
func quorumStatusText(n *node, now time.Time, ips, hex bool) string {
	p := n.cs
	qv := p.qv
	var b strings.Builder
	id := strconv.Itoa(n.nodeID())
	if hex {
		id = fmt.Sprintf("0x%08x", n.nodeID())
	}
	yes := "No"
	if qv.quorate {
		yes = "Yes"
	}
	fmt.Fprintf(&b, "Quorum information\n------------------\n")
	fmt.Fprintf(&b, "Date:             %s\n", now.Format(time.ANSIC))
	fmt.Fprintf(&b, "Quorum provider:  corosync_votequorum\n")
	fmt.Fprintf(&b, "Nodes:            %d\n", len(qv.members))
	fmt.Fprintf(&b, "Node ID:          %s\n", id)
	fmt.Fprintf(&b, "Ring ID:          %s\n", p.ring)
	fmt.Fprintf(&b, "Quorate:          %s\n\n", yes)
	fmt.Fprintf(&b, "Votequorum information\n----------------------\n")
	fmt.Fprintf(&b, "Expected votes:   %d\n", qv.expected)
	fmt.Fprintf(&b, "Highest expected: %d\n", qv.highest)
	fmt.Fprintf(&b, "Total votes:      %d\n", qv.total)
	if qv.quorate {
		fmt.Fprintf(&b, "Quorum:           %d  \n", qv.quorum)
	} else {
		fmt.Fprintf(&b, "Quorum:           %d Activity blocked\n", qv.quorum)
	}
	b.WriteString("Flags:            ")
	for _, f := range qv.flags {
		b.WriteString(f + " ")
	}
	b.WriteString("\n\n")
	b.WriteString(membershipTable(qv, n.nodeID(), ips, hex))
	return b.String()
}

// membershipTable is the "Membership information" block shared by -s and -l.
// With a qdevice registered locally it has the Qdevice column and a final
// nodeid-0 row: the device's votes while it casts them here, else 0 and
// " (votes N)" (reference §3.6, lab §4).
func membershipTable(qv quorumView, local int, ips, hex bool) string {
	var b strings.Builder
	b.WriteString("Membership information\n----------------------\n")
	if qv.qdevice {
		fmt.Fprintf(&b, "%10s %10s %10s %s\n", "Nodeid", "Votes", "Qdevice", "Name")
	} else {
		fmt.Fprintf(&b, "%10s %10s %s\n", "Nodeid", "Votes", "Name")
	}
	id := func(v int) string {
		if hex {
			return fmt.Sprintf("0x%08x", v)
		}
		return fmt.Sprintf("%10d", v)
	}
	for _, mb := range qv.members {
		name := mb.name
		if ips {
			name = mb.addr
		}
		if mb.id == local {
			name += " (local)"
		}
		if qv.qdevice {
			fmt.Fprintf(&b, "%s %10d %10s %s\n", id(mb.id), mb.votes, mb.qdev, name)
		} else {
			fmt.Fprintf(&b, "%s %10d %s\n", id(mb.id), mb.votes, name)
		}
	}
	if qv.qdevice {
		votes, suffix := qv.devVotes, ""
		if !qv.devCast {
			votes, suffix = 0, fmt.Sprintf(" (votes %d)", qv.devVotes)
		}
		fmt.Fprintf(&b, "%s %10d %10s Qdevice%s\n", id(0), votes, "", suffix)
	}
	return b.String()
}
