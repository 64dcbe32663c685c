package lab

import (
	"strings"
	"testing"

	"github.com/quorate/quorate/state/corosync"
)

// pureLab is a Lab value with two links and a qnetd host, without anything
// on the machine: enough for the functions that only compute names,
// addresses and files (no root needed).
func pureLab() *Lab {
	l := &Lab{ID: "0a1b2c", cluster: "lab", subnet: 42, subnet1: 43, links: 2, names: []string{"pve1", "pve2"}, nodes: map[string]*node{
		"pve1": {name: "pve1", id: 1}, "pve2": {name: "pve2", id: 2},
	}}
	l.qnetd = &node{name: QNetdHost, id: qnetdOctet, isQNetd: true}
	l.nodes[QNetdHost] = l.qnetd
	l.Bridge, l.Bridge1 = prefix+l.ID+"b0", prefix+l.ID+"b1"
	return l
}

// TestAddrOn: link 0 on 10.99.k, link 1 on 10.99.k1, the qnetd host at
// .200 on link 0 only (corosync-lab.md "How the lab ... was built").
func TestAddrOn(t *testing.T) {
	l := pureLab()
	for _, tc := range []struct {
		name, node string
		link       int
		want       string
	}{
		{"link 0", "pve2", 0, "10.99.42.2"},
		{"link 1", "pve2", 1, "10.99.43.2"},
		{"no link 2", "pve2", 2, ""},
		{"qnetd on link 0", QNetdHost, 0, "10.99.42.200"},
		{"qnetd has no link 1", QNetdHost, 1, ""},
		{"unknown node", "pve9", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := l.AddrOn(tc.node, tc.link); got != tc.want {
				t.Errorf("AddrOn(%q, %d) = %q, want %q", tc.node, tc.link, got, tc.want)
			}
		})
	}
	if got := l.QNetdAddr(); got != "10.99.42.200" {
		t.Errorf("QNetdAddr = %q", got)
	}
	for link, want := range []string{"qlab0a1b2cb0", "qlab0a1b2cb1", ""} {
		if got := l.BridgeOf(link); got != want {
			t.Errorf("BridgeOf(%d) = %q, want %q", link, got, want)
		}
	}
	for _, tc := range []struct {
		node       string
		link       int
		host, peer string
	}{
		{"pve2", 0, "qlab0a1b2cv2", "qlab0a1b2cp2"},
		{"pve2", 1, "qlab0a1b2cw2", "qlab0a1b2cr2"},
		{QNetdHost, 0, "qlab0a1b2cq", "qlab0a1b2cqp"},
	} {
		host, peer := l.vethNames(l.nodes[tc.node], tc.link)
		if host != tc.host || peer != tc.peer || len(host) > 15 || len(peer) > 15 {
			t.Errorf("vethNames(%s, %d) = %q, %q; want %q, %q (at most 15 bytes)", tc.node, tc.link, host, peer, tc.host, tc.peer)
		}
		if linkName.MatchString(peer) || !linkName.MatchString(host) {
			t.Errorf("vethNames(%s, %d): the sweep must match the host side %q and not the peer %q", tc.node, tc.link, host, peer)
		}
	}
}

// TestConfWith: the Proxmox layout with one interface section and one
// ringN_addr per link (reference §4.5, §8.1), a subset of links or nodes on
// request, and the quorum device of corosync-lab §4.
func TestConfWith(t *testing.T) {
	l := pureLab()
	for _, tc := range []struct {
		name    string
		o       ConfOptions
		want    []string
		notWant []string
		errSub  string
	}{
		{name: "two links", o: ConfOptions{},
			want: []string{
				"    name: pve2\n    nodeid: 2\n    quorum_votes: 1\n    ring0_addr: 10.99.42.2\n    ring1_addr: 10.99.43.2\n",
				"  interface {\n    linknumber: 0\n  }\n  interface {\n    linknumber: 1\n  }\n",
			},
			notWant: []string{"device"}},
		{name: "link 0 only", o: ConfOptions{Links: 1},
			want:    []string{"    ring0_addr: 10.99.42.2\n  }\n", "  interface {\n    linknumber: 0\n  }\n  ip_version"},
			notWant: []string{"ring1_addr", "linknumber: 1"}},
		{name: "one node", o: ConfOptions{Nodes: []string{"pve2"}},
			want: []string{"name: pve2\n"}, notWant: []string{"name: pve1\n"}},
		{name: "qdevice", o: ConfOptions{QDevice: true},
			want: []string{"quorum {\n  device {\n    model: net\n    net {\n      algorithm: ffsplit\n      host: 10.99.42.200\n      tie_breaker: lowest\n      tls: on\n    }\n    votes: 1\n  }\n  provider: corosync_votequorum\n}\n"}},
		{name: "three links", o: ConfOptions{Links: 3}, errSub: "has 2 link(s)"},
		{name: "unknown node", o: ConfOptions{Nodes: []string{"pve9"}}, errSub: `no node "pve9"`},
		{name: "qnetd host is not a node", o: ConfOptions{Nodes: []string{QNetdHost}}, errSub: `no node "qnetd"`},
		{name: "empty node list", o: ConfOptions{Nodes: []string{}}, errSub: "Nodes is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := l.ConfWith(7, tc.o)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("ConfWith = %v; want an error with %q", err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q:\n%s", w, s)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(s, w) {
					t.Errorf("has %q:\n%s", w, s)
				}
			}
			if c, err := corosync.Parse(b); err != nil {
				t.Errorf("does not parse: %v", err)
			} else if v, _ := c.ConfigVersion(); v != 7 {
				t.Errorf("config_version %d, want 7", v)
			}
		})
	}
	noQ := pureLab()
	noQ.qnetd = nil
	delete(noQ.nodes, QNetdHost)
	if _, err := noQ.ConfWith(1, ConfOptions{QDevice: true}); err == nil || !strings.Contains(err.Error(), "Options.QNetd") {
		t.Errorf("QDevice without a qnetd host: %v; want an error naming Options.QNetd", err)
	}
}

// TestWithQDeviceReplaces: an existing quorum.device is replaced, not
// merged, and the rest of the file is kept.
func TestWithQDeviceReplaces(t *testing.T) {
	l := pureLab()
	old := "quorum {\n  provider: corosync_votequorum\n  device {\n    model: net\n    net {\n      host: 192.0.2.9\n      algorithm: lms\n    }\n  }\n}\ntotem {\n  config_version: 3\n}\n"
	b, err := l.WithQDevice([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "192.0.2.9") || strings.Contains(s, "lms") || !strings.Contains(s, "host: 10.99.42.200") || !strings.Contains(s, "config_version: 3\n") {
		t.Errorf("WithQDevice:\n%s", s)
	}
}
