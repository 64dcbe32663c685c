package cmdout

import (
	"reflect"
	"strings"
	"testing"
)

// Lines as iproute2 (6.x, Debian bookworm / PVE 8) prints `ip -o addr show`;
// the `\` and the spaces after it are literal output, where the multi-line
// form breaks the line.
const (
	ipLo4     = `1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever`
	ipLo6     = `1: lo    inet6 ::1/128 scope host noprefixroute \       valid_lft forever preferred_lft forever`
	ipBridge4 = `3: vmbr0    inet 10.10.10.4/24 brd 10.10.10.255 scope global vmbr0\       valid_lft forever preferred_lft forever`
	ipSecond  = `3: vmbr0    inet 10.10.10.40/24 brd 10.10.10.255 scope global secondary vmbr0\       valid_lft forever preferred_lft forever`
	ipLabel   = `3: vmbr0    inet 10.10.10.41/24 scope global secondary vmbr0:1\       valid_lft forever preferred_lft forever`
	ipGlobal6 = `3: vmbr0    inet6 2001:DB8:0:0::4/64 scope global \       valid_lft forever preferred_lft forever`
	ipLink6   = `3: vmbr0    inet6 fe80::be24:11ff:fe5a:1b2c/64 scope link \       valid_lft forever preferred_lft forever`
	ipDynamic = `4: ens19    inet 10.20.20.4/24 metric 100 brd 10.20.20.255 scope global dynamic ens19\       valid_lft 86389sec preferred_lft 86389sec`
	ipPeer    = `5: wg0    inet 10.99.0.1 peer 10.99.0.2/32 scope global wg0\       valid_lft forever preferred_lft forever`
	ipVLAN    = `6: vmbr0.20@vmbr0    inet 10.30.30.4/24 scope global vmbr0.20\       valid_lft forever preferred_lft forever`
)

// TestParseIPAddr: the join check (reference §2.9 assert_joinable) compares
// link addresses with what the node has configured.
func TestParseIPAddr(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "loopback and one bridge address", in: ipLo4 + "\n" + ipLo6 + "\n" + ipBridge4 + "\n",
			want: []string{"127.0.0.1", "::1", "10.10.10.4"}},
		{name: "secondary addresses, with and without label", in: ipBridge4 + "\n" + ipSecond + "\n" + ipLabel + "\n",
			want: []string{"10.10.10.4", "10.10.10.40", "10.10.10.41"}},
		{name: "IPv6 global (canonicalised) and link-local", in: ipGlobal6 + "\n" + ipLink6 + "\n",
			want: []string{"2001:db8::4", "fe80::be24:11ff:fe5a:1b2c"}},
		{name: "dynamic address with metric", in: ipDynamic + "\n", want: []string{"10.20.20.4"}},
		{name: "point-to-point: the local address, not the peer", in: ipPeer + "\n", want: []string{"10.99.0.1"}},
		{name: "VLAN interface name with @", in: ipVLAN + "\n", want: []string{"10.30.30.4"}},
		{name: "same address twice (two interfaces) listed once", in: ipBridge4 + "\n" + strings.Replace(ipBridge4, "3: vmbr0", "7: vmbr1", 1) + "\n",
			want: []string{"10.10.10.4"}},
		{name: "CRLF and no final newline", in: ipLo4 + "\r\n" + ipBridge4, want: []string{"127.0.0.1", "10.10.10.4"}},
		{name: "link line skipped", in: "2: eth0    link/ether bc:24:11:5a:1b:2c brd ff:ff:ff:ff:ff:ff\n" + ipBridge4 + "\n",
			want: []string{"10.10.10.4"}},
		{name: "no addresses at all", in: "", want: []string{}},
		{name: "error text instead of output", in: "bash: ip: command not found\n", err: `line 1: "bash: ip: command not found" is not`},
		{name: "multi-line form (without -o)", in: "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet 10.10.10.4/24 brd 10.10.10.255 scope global eth0\n",
			err: "line 1: unknown address family"},
		{name: "bad IPv4 address", in: "2: eth0    inet 10.10.10.300/24 scope global eth0\\", err: `line 1: "10.10.10.300/24" is not an inet address`},
		{name: "IPv6 address on an inet line", in: "2: eth0    inet ::1/128 scope host", err: "is not an inet address"},
		{name: "truncated line", in: "2: eth0    inet", err: "line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIPAddr([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, error %v; want error containing %q", got, err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), "ip -o addr show: ") {
					t.Errorf("error %q does not name the command", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
