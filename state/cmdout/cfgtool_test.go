package cmdout

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

func TestParseCfgtoolStatus(t *testing.T) {
	peers := func(kv ...any) []state.LinkPeer {
		out := []state.LinkPeer{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, state.LinkPeer{NodeID: kv[i].(int), Status: kv[i+1].(string)})
		}
		return out
	}
	oneLink := string(readTestdata(t, "cfgtool", "ref76-one-link.txt"))
	tests := []struct {
		name string
		in   string
		want []state.Link
	}{
		{
			name: "reference §7.6 sample, literal tabs",
			in:   oneLink,
			want: []state.Link{{Number: 0, Addr: "10.99.0.1", Peers: peers(1, "localhost", 2, "connected", 3, "disconnected")}},
		},
		{
			name: "two links (lab §1d redundant link)",
			in:   string(readTestdata(t, "cfgtool", "two-links.txt")),
			want: []state.Link{
				{Number: 0, Addr: "10.99.0.2", Peers: peers(1, "connected", 2, "localhost", 3, "connected")},
				{Number: 1, Addr: "10.99.1.2", Peers: peers(1, "connected", 2, "localhost", 3, "disconnected")},
			},
		},
		{
			name: "LINK ID without transport word is accepted",
			in:   strings.Replace(oneLink, "LINK ID 0 udp", "LINK ID 0", 1),
			want: []state.Link{{Number: 0, Addr: "10.99.0.1", Peers: peers(1, "localhost", 2, "connected", 3, "disconnected")}},
		},
		{
			name: "older builds: banner line first, nodeid without colon",
			in:   "Printing link status.\n" + strings.ReplaceAll(oneLink, "nodeid:   ", "nodeid    "),
			want: []state.Link{{Number: 0, Addr: "10.99.0.1", Peers: peers(1, "localhost", 2, "connected", 3, "disconnected")}},
		},
		{
			name: "status text that is not one of the three words is kept as printed",
			in:   strings.Replace(oneLink, "\tdisconnected", "\tlink enabled:1\tlink connected:0", 1),
			want: []state.Link{{Number: 0, Addr: "10.99.0.1", Peers: peers(1, "localhost", 2, "connected", 3, "link enabled:1\tlink connected:0")}},
		},
		{
			name: "no links",
			in:   "Local node ID 1, transport knet\n",
			want: []state.Link{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCfgtoolStatus([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseCfgtoolStatus: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseCfgtoolStatusErrors(t *testing.T) {
	oneLink := string(readTestdata(t, "cfgtool", "ref76-one-link.txt"))
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"empty (corosync not running)", "", `no "Local node ID" line; is corosync running?`},
		{"error message only", "Could not initialize corosync configuration API error 2\n", `no "Local node ID" line`},
		{"peer before any link", "Local node ID 1, transport knet\n\t\tnodeid:          1:\tlocalhost\n", `line 2: "nodeid:          1:\tlocalhost" comes before any "LINK ID" line`},
		{"bad link number", strings.Replace(oneLink, "LINK ID 0 udp", "LINK ID x udp", 1), `line 2: link number "x" is not a number`},
		{"bad peer id", strings.Replace(oneLink, "2:\tconnected", "two:\tconnected", 1), `line 6: peer line`},
		{"peer without status", strings.Replace(oneLink, "2:\tconnected", "2:", 1), "no status after the node ID"},
		{"peer without second colon", strings.Replace(oneLink, "2:\tconnected", "2 connected", 1), `want "nodeid: N: STATUS"`},
		{"addr without =", strings.Replace(oneLink, "addr\t= ", "addr ", 1), `want "addr = ADDRESS"`},
		{"unknown line inside a link", oneLink + "\tsomething else\n", `line 8: "something else" is not part of a link's status`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCfgtoolStatus([]byte(tt.in))
			if err == nil {
				t.Fatalf("got %+v, want error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "corosync-cfgtool -s: ") {
				t.Errorf("error %q: want prefix %q and %q in it", err, "corosync-cfgtool -s: ", tt.wantErr)
			}
		})
	}
}
