package cmdout

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

func readTestdata(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseQuorumtool(t *testing.T) {
	tests := []struct {
		name string
		file string
		want state.Quorum
	}{
		{
			name: "lab §3 quorate, decimal ids and names",
			file: "lab3-quorate.txt",
			want: state.Quorum{
				Nodes: 3, NodeID: 1, RingID: "1.9", Quorate: true,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 3, Quorum: 2,
				Flags: []string{"Quorate"},
				Members: []state.Member{
					{NodeID: 1, Votes: 1, Name: "pve1", Local: true},
					{NodeID: 2, Votes: 1, Name: "pve2"},
					{NodeID: 3, Votes: 1, Name: "pve3"},
				},
			},
		},
		{
			name: "lab §3 inquorate, Activity blocked and empty Flags",
			file: "lab3-inquorate.txt",
			want: state.Quorum{
				Nodes: 1, NodeID: 1, RingID: "1.11", Quorate: false,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 1, Quorum: 2,
				Flags:   []string{},
				Members: []state.Member{{NodeID: 1, Votes: 1, Name: "pve1", Local: true}},
			},
		},
		{
			name: "lab §3 two_node flags keep printed order",
			file: "lab3-two-node.txt",
			want: state.Quorum{
				Nodes: 2, NodeID: 1, RingID: "1.5", Quorate: true,
				ExpectedVotes: 2, HighestExpected: 2, TotalVotes: 2, Quorum: 1,
				Flags: []string{"2Node", "Quorate", "WaitForAll"},
				Members: []state.Member{
					{NodeID: 1, Votes: 1, Name: "pve1", Local: true},
					{NodeID: 2, Votes: 1, Name: "pve2"},
				},
			},
		},
		{
			name: "reference §3.6 pvecm status: Cluster information block, -siH hex ids and addresses",
			file: "pvecm-status-siH.txt",
			want: state.Quorum{
				Nodes: 3, NodeID: 1, RingID: "1.9", Quorate: true,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 3, Quorum: 2,
				Flags: []string{"Quorate"},
				Members: []state.Member{
					{NodeID: 1, Votes: 1, Name: "10.10.10.1", Local: true},
					{NodeID: 2, Votes: 1, Name: "10.10.10.2"},
					{NodeID: 3, Votes: 1, Name: "10.10.10.3"},
				},
			},
		},
		{
			name: "reference §3.6 qdevice column and 0x00000000 Qdevice row (pve-docs pattern)",
			file: "docs-qdevice-siH.txt",
			want: state.Quorum{
				Nodes: 2, NodeID: 1, RingID: "1.9", Quorate: true,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 3, Quorum: 2,
				Flags: []string{"Quorate", "Qdevice"},
				Members: []state.Member{
					{NodeID: 1, Votes: 1, Qdevice: "A,V,NMW", Name: "192.168.22.180", Local: true},
					{NodeID: 2, Votes: 1, Qdevice: "A,V,NMW", Name: "192.168.22.181"},
					{NodeID: 0, Votes: 1, Name: "Qdevice"},
				},
			},
		},
		{
			name: "lab §4 qdevice, decimal ids",
			file: "lab4-qdevice.txt",
			want: state.Quorum{
				Nodes: 2, NodeID: 1, RingID: "1.9", Quorate: true,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 3, Quorum: 2,
				Flags: []string{"Quorate", "Qdevice"},
				Members: []state.Member{
					{NodeID: 1, Votes: 1, Qdevice: "A,V,NMW", Name: "pve1", Local: true},
					{NodeID: 2, Votes: 1, Qdevice: "A,V,NMW", Name: "pve2"},
					{NodeID: 0, Votes: 1, Name: "Qdevice"},
				},
			},
		},
		{
			name: "lab §4 split-brain loser: NV flags and Qdevice (votes 1) suffix",
			file: "lab4-split-pve2.txt",
			want: state.Quorum{
				Nodes: 1, NodeID: 2, RingID: "2.1e", Quorate: false,
				ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 1, Quorum: 2,
				Flags: []string{"Qdevice"},
				Members: []state.Member{
					{NodeID: 2, Votes: 1, Qdevice: "A,NV,NMW", Name: "pve2", Local: true},
					{NodeID: 0, Votes: 0, Name: "Qdevice"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := readTestdata(t, "quorumtool", tt.file)
			got, err := ParseQuorumtool(raw)
			if err != nil {
				t.Fatalf("ParseQuorumtool: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			// The same text with CRLF endings (a pty in between) parses the same.
			crlf := strings.ReplaceAll(string(raw), "\n", "\r\n")
			got2, err := ParseQuorumtool([]byte(crlf))
			if err != nil {
				t.Fatalf("CRLF: %v", err)
			}
			if !reflect.DeepEqual(got2, got) {
				t.Errorf("CRLF: got %+v, want %+v", *got2, *got)
			}
		})
	}
}

func TestParseQuorumtoolErrors(t *testing.T) {
	quorate := string(readTestdata(t, "quorumtool", "lab3-quorate.txt"))
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"empty output", "", "lacks Nodes, Node ID"},
		{"corosync not running (reference §3.6)", "Cannot initialize QUORUM service\n", `line 1: "Cannot initialize QUORUM service" comes before any section`},
		{"pvecm status with corosync down: only Cluster information (reference §3.6)",
			"Cluster information\n-------------------\nName:             prod\nConfig Version:   3\n\n", "lacks Nodes"},
		{"cut short inside the member table", strings.TrimSuffix(quorate, "         3          1 pve3\n"), `"Nodes: 3" but the member table lists 2 nodes`},
		{"cut short before the member table", quorate[:strings.Index(quorate, "Membership")], "lacks member table"},
		{"Quorate neither Yes nor No", strings.Replace(quorate, "Quorate:          Yes", "Quorate:          Maybe", 1), `line 8: Quorate is "Maybe"`},
		{"votes not a number", strings.Replace(quorate, "         2          1 pve2", "         2          x pve2", 1), `line 22: member row "2          x pve2": votes "x" is not a number`},
		{"bad node id", strings.Replace(quorate, "Node ID:          1", "Node ID:          0xZZ", 1), `line 6: node ID "0xZZ"`},
		{"line without a colon in a key/value section", strings.Replace(quorate, "Ring ID:          1.9", "Ring ID 1.9", 1), `line 7: "Ring ID 1.9" is not a "Label: value" line`},
		{"member row with an extra column and no Qdevice header", strings.Replace(quorate, "pve2\n", "extra pve2\n", 1), "want \"NODEID VOTES [QDEVICE] NAME [(local)]\""},
		{"table without its header", strings.Replace(quorate, "    Nodeid      Votes Name\n", "", 1), "expected the member table header"},
		{"bad (votes N) suffix", strings.Replace(quorate, "pve3\n", "pve3 (votes x)\n", 1), `bad "(votes N)" suffix`},
		{"random text", "hello world\nfoo: bar\n", "comes before any section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuorumtool([]byte(tt.in))
			if err == nil {
				t.Fatalf("got %+v, want error containing %q", q, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "corosync-quorumtool -s: ") {
				t.Errorf("error %q does not name the command", err)
			}
		})
	}
}

// TestParseQuorumtoolUnknownLabel: a label a future corosync might add to a
// key/value section is ignored, not an error (reference §3.6 lists today's).
func TestParseQuorumtoolUnknownLabel(t *testing.T) {
	quorate := string(readTestdata(t, "quorumtool", "lab3-quorate.txt"))
	in := strings.Replace(quorate, "Quorate:          Yes\n", "Quorate:          Yes\nNew thing:        42\n", 1)
	if _, err := ParseQuorumtool([]byte(in)); err != nil {
		t.Fatal(err)
	}
}
