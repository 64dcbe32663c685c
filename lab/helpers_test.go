package lab

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// These tests need neither root nor corosync: they cover the pure parts
// the lab's safety depends on (which PID is which, which names are swept,
// which subnet is free, which device a route uses).

func TestParseStat(t *testing.T) {
	// 52 fields as Linux 6.x prints them; field 22 (starttime) is 615788.
	tail := " R 22916 22916 12125 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 615788 3133440 410 18446744073709551615 0 0"
	for _, tc := range []struct {
		name    string
		line    string
		want    uint64
		wantErr error // nil: any error counts when errSub is set
		errSub  string
	}{
		{name: "plain", line: "22992 (cat)" + tail, want: 615788},
		{name: "comm with spaces and parens", line: "7 (a) b (c))" + tail, want: 615788},
		{name: "zombie is gone", line: "7 (corosync)" + strings.Replace(tail, " R ", " Z ", 1), wantErr: os.ErrNotExist},
		{name: "dead (X) is gone", line: "7 (corosync)" + strings.Replace(tail, " R ", " X ", 1), wantErr: os.ErrNotExist},
		{name: "no parenthesis", line: "7 cat R 1 2 3", errSub: "without ')'"},
		{name: "cut short", line: "7 (cat) R 1 2 3", errSub: "only 6 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.line)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("parseStat = %d, %v; want %v", got, err, tc.wantErr)
				}
			case tc.errSub != "":
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Errorf("parseStat = %d, %v; want an error with %q", got, err, tc.errSub)
				}
			case err != nil || got != tc.want:
				t.Errorf("parseStat = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestSweptNames(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ns, link    bool
		wantID      string
		description string
	}{
		{name: "qlab0a1b2c-pve1", ns: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2c-pve12", ns: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cb0", link: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cv3", link: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2c-qnetd", ns: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cb1", link: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cw12", link: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cq", link: true, wantID: "0a1b2c"},
		{name: "qlab0a1b2cqp"},        // the qnetd veth's namespace side
		{name: "qlab0a1b2cr3"},        // link 1's namespace side
		{name: "qlab0a1b2cb2"},        // no third bridge
		{name: "qlab0a1b2c-qnetd2"},   // not the qnetd host
		{name: "qlab0a1b2c-probe"},    // Available's probe: never swept
		{name: "qlab0a1b2cp1"},        // namespace side of a veth: lives in the namespace
		{name: "qlab0a1b-pve1"},       // id too short: not ours
		{name: "qlabXYZXYZ-pve1"},     // not hex
		{name: "xqlab0a1b2c-pve1"},    // prefix not at the start
		{name: "qlab0a1b2c-pve1-old"}, // trailing text
		{name: "eth0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, link := nsName.FindStringSubmatch(tc.name), linkName.FindStringSubmatch(tc.name)
			if (ns != nil) != tc.ns || (link != nil) != tc.link {
				t.Fatalf("namespace match %v, link match %v; want %v, %v", ns != nil, link != nil, tc.ns, tc.link)
			}
			for _, m := range [][]string{ns, link} {
				if m != nil && m[1] != tc.wantID {
					t.Errorf("id = %q, want %q", m[1], tc.wantID)
				}
			}
		})
	}
}

func TestFreeSubnet(t *testing.T) {
	routes := `default via 192.0.2.1 dev eth0
10.99.5.0/24 dev br-other proto kernel scope link src 10.99.5.1
10.99.6.0/23 dev vpn0 scope link
local 10.99.9.7 dev dummy0 table local proto kernel scope host src 10.99.9.7
broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2
`
	used := routePrefixes(routes)
	if len(used) != 4 {
		t.Fatalf("routePrefixes found %v, want 4 prefixes (default skipped)", used)
	}
	for _, tc := range []struct {
		name  string
		used  []netip.Prefix
		taken map[int]bool
		start int
		want  int
		ok    bool
	}{
		{"first candidate free", used, nil, 0, 1, true},
		{"own /24 route in use", used, nil, 4, 8, true},    // 5 routed, 6 and 7 in the /23, 8 free
		{"address inside the /24", used, nil, 8, 10, true}, // 9 has 10.99.9.7
		{"taken by another lab", used, map[int]bool{1: true}, 0, 2, true},
		{"wraps around", used, map[int]bool{250: true}, 249, 1, true},
		{"a /16 covers everything", []netip.Prefix{netip.MustParsePrefix("10.99.0.0/16")}, nil, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := freeSubnet(tc.used, tc.taken, tc.start)
			if got != tc.want || ok != tc.ok {
				t.Errorf("freeSubnet = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRouteDev(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"via the lab bridge", "10.99.7.2 dev qlab0a1b2cb0 src 10.99.7.254 uid 0 \n    cache \n", "qlab0a1b2cb0"},
		{"local address", "local 10.99.7.254 dev lo table local src 10.99.7.254 uid 0 \n", "lo"},
		{"default route", "10.99.7.2 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0\n", "eth0"},
		{"unreachable", "RTNETLINK answers: Network is unreachable\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := routeDev(tc.out); got != tc.want {
				t.Errorf("routeDev = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConf: the lab's corosync.conf is Proxmox's layout (reference §4.5)
// with the nodes' lab addresses, and its logging block sends the log to
// LogPath with hires timestamps (corosync-lab.md).
func TestConf(t *testing.T) {
	l := &Lab{cluster: "lab", subnet: 42, links: 1, names: []string{"pve1", "pve2"}, nodes: map[string]*node{
		"pve1": {name: "pve1", id: 1}, "pve2": {name: "pve2", id: 2},
	}}
	got := string(l.Conf(5))
	for _, want := range []string{
		"logging {\n  debug: off\n  logfile: /var/log/corosync/corosync.log\n  timestamp: hires\n  to_logfile: yes\n  to_syslog: yes\n}\n",
		"  node {\n    name: pve2\n    nodeid: 2\n    quorum_votes: 1\n    ring0_addr: 10.99.42.2\n  }\n",
		"  config_version: 5\n",
		"  interface {\n    linknumber: 0\n  }\n",
		"  token_coefficient: 125\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Conf(5) lacks %q:\n%s", want, got)
		}
	}
	if _, err := WithLogfile([]byte("totem {\n}\n}\n")); err == nil {
		t.Error("WithLogfile accepted an unparsable file")
	}
}
