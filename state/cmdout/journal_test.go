package cmdout

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

const staleLine = "Nov 22 02:04:38 pve3 corosync[1234]:   [CMAP  ] Received config version (32) is different than my config version (31)! Exiting"

// tail returns the last n lines of log, like journalctl -n n.
func tail(log []byte, n int) []byte {
	lines := strings.SplitAfter(strings.TrimSuffix(string(log), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return []byte(strings.Join(lines, "") + "\n")
}

func TestFindCMAPRejection(t *testing.T) {
	stale := readTestdata(t, "journal", "stale-node.txt")
	tests := []struct {
		name string
		log  []byte
		want *state.CMAPRejection
	}{
		{
			name: "reference §5.2 journal form, after the last start",
			log:  stale,
			want: &state.CMAPRejection{Received: 32, Mine: 31, Line: staleLine},
		},
		{
			name: "rejection followed by a later start is not reported",
			log:  readTestdata(t, "journal", "restarted-after-fix.txt"),
		},
		{
			name: "systemd's Starting line alone is not a corosync start",
			log:  append(append([]byte{}, stale...), "Nov 22 02:06:00 pve3 systemd[1]: Starting corosync.service - Corosync Cluster Engine...\n"...),
			want: &state.CMAPRejection{Received: 32, Mine: 31, Line: staleLine},
		},
		{
			name: "corosync-lab §2 log file form",
			log:  readTestdata(t, "journal", "logfile-format.txt"),
			want: &state.CMAPRejection{Received: 2, Mine: 1, Line: "Nov 22 02:04:38.402 [1234] pve3 corosync error   [CMAP  ] Received config version (2) is different than my config version (1)! Exiting"},
		},
		{
			name: "no start line (rotated away): the whole text is searched",
			log:  []byte(staleLine + "\nNov 22 02:04:39 pve3 corosync[1234]:   [MAIN  ] Corosync Cluster Engine exiting normally\n"),
			want: &state.CMAPRejection{Received: 32, Mine: 31, Line: staleLine},
		},
		{
			name: "CRLF line endings",
			log:  []byte(strings.ReplaceAll(string(stale), "\n", "\r\n")),
			want: &state.CMAPRejection{Received: 32, Mine: 31, Line: staleLine},
		},
		{
			name: "rejection on the start line's own line cannot happen, but the start line is searched too",
			log:  []byte("Corosync Cluster Engine 3.1.7 starting up Received config version (5) is different than my config version (4)! Exiting\n"),
			want: &state.CMAPRejection{Received: 5, Mine: 4, Line: "Corosync Cluster Engine 3.1.7 starting up Received config version (5) is different than my config version (4)! Exiting"},
		},
		{
			name: "number that does not fit in 64 bits is ignored",
			log:  []byte("[CMAP  ] Received config version (18446744073709551616) is different than my config version (1)! Exiting\n"),
		},
		{
			name: "largest u64 is accepted",
			log:  []byte("[CMAP  ] Received config version (18446744073709551615) is different than my config version (1)! Exiting"),
			want: &state.CMAPRejection{Received: 18446744073709551615, Mine: 1, Line: "[CMAP  ] Received config version (18446744073709551615) is different than my config version (1)! Exiting"},
		},
		{name: "empty log", log: nil},
		{name: "healthy start and clean stop", log: tail(stale, 1000)[:strings.Index(string(stale), "Nov 22 02:04:35")]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FindCMAPRejection(tt.log)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestFindCMAPRejectionNotInShortTail pins corosync-lab §2: the CMAP line is
// about the 23rd line from the end, so a fixed 20-line tail misses it, while
// the log since the last start (clusters.CmdCorosyncLog reads far more) finds it.
func TestFindCMAPRejectionNotInShortTail(t *testing.T) {
	stale := readTestdata(t, "journal", "stale-node.txt")
	lines := strings.Split(strings.TrimSuffix(string(stale), "\n"), "\n")
	fromEnd := 0
	for i, l := range lines {
		if strings.Contains(l, "[CMAP  ] Received config version") {
			fromEnd = len(lines) - i
		}
	}
	if fromEnd < 21 || fromEnd > 25 {
		t.Fatalf("testdata: CMAP line is %d lines from the end, want about 23 (corosync-lab §2)", fromEnd)
	}
	if got := FindCMAPRejection(tail(stale, 20)); got != nil {
		t.Errorf("a 20-line tail should not contain the line, got %+v", got)
	}
	if got := FindCMAPRejection(tail(stale, 30)); got == nil || got.Line != staleLine {
		t.Errorf("a 30-line tail: got %+v, want the CMAP line", got)
	}
	if got := FindCMAPRejection(stale); got == nil {
		t.Error("the whole log: got nil, want the CMAP line")
	}
}
