package cmdout

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/state"
)

const cfgtool = "corosync-cfgtool -s"

// ParseCfgtoolStatus parses `corosync-cfgtool -s` (reference §7.6):
//
//	Local node ID 1, transport knet
//	LINK ID 0 udp
//		addr	= 10.99.0.1
//		status:
//			nodeid:          1:	localhost
//			nodeid:          2:	connected
//
// Links and peers keep their printed order. Status is the text after the
// node ID ("localhost", "connected", "disconnected"), kept as printed so that
// a wording this parser does not know still reaches the operator. A
// "LINK ID N" line without the transport word is accepted, and so is a
// "nodeid N:" peer line without the colon after "nodeid". Output with the
// "Local node ID" line and no link gives an empty, non-nil slice.
//
// It returns an error when the "Local node ID" line is missing (corosync not
// running) or a line does not fit where it stands.
func ParseCfgtoolStatus(out []byte) ([]state.Link, error) {
	links := []state.Link{}
	sawLocal := false
	for i, line := range splitLines(out) {
		n := i + 1
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			continue
		case !sawLocal:
			// Older builds print "Printing link status." first; anything
			// before the "Local node ID" line is not the status itself.
			if strings.HasPrefix(t, "Local node ID ") {
				sawLocal = true
			}
		case strings.HasPrefix(t, "LINK ID "):
			f := strings.Fields(t)
			if len(f) < 3 || len(f) > 4 {
				return nil, lineError(cfgtool, n, "%s: want \"LINK ID N [TRANSPORT]\"", quoteLine(t))
			}
			num, err := parseCount("link number", f[2])
			if err != nil {
				return nil, lineError(cfgtool, n, "%s", err)
			}
			links = append(links, state.Link{Number: num, Peers: []state.LinkPeer{}})
		case len(links) == 0:
			return nil, lineError(cfgtool, n, "%s comes before any \"LINK ID\" line", quoteLine(t))
		case t == "status:":
			// The peer lines follow.
		case strings.HasPrefix(t, "addr"):
			key, value, ok := strings.Cut(t, "=")
			if !ok || strings.TrimSpace(key) != "addr" {
				return nil, lineError(cfgtool, n, "%s: want \"addr = ADDRESS\"", quoteLine(t))
			}
			links[len(links)-1].Addr = strings.TrimSpace(value)
		case strings.HasPrefix(t, "nodeid"):
			p, err := parsePeer(t)
			if err != nil {
				return nil, lineError(cfgtool, n, "%s", err)
			}
			l := &links[len(links)-1]
			l.Peers = append(l.Peers, p)
		default:
			return nil, lineError(cfgtool, n, "%s is not part of a link's status", quoteLine(t))
		}
	}
	if !sawLocal {
		return nil, fmt.Errorf("%s: no \"Local node ID\" line; is corosync running?", cfgtool)
	}
	return links, nil
}

// parsePeer reads "nodeid:          2:	connected".
func parsePeer(t string) (state.LinkPeer, error) {
	var p state.LinkPeer
	rest := strings.TrimPrefix(strings.TrimPrefix(t, "nodeid"), ":")
	id, status, ok := strings.Cut(rest, ":")
	if !ok {
		return p, fmt.Errorf("peer line %s: want \"nodeid: N: STATUS\"", quoteLine(t))
	}
	var err error
	if p.NodeID, err = parseNodeID(strings.TrimSpace(id)); err != nil {
		return p, fmt.Errorf("peer line %s: %v", quoteLine(t), err)
	}
	p.Status = strings.TrimSpace(status)
	if p.Status == "" {
		return p, fmt.Errorf("peer line %s: no status after the node ID", quoteLine(t))
	}
	return p, nil
}
