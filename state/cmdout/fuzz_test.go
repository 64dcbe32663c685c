package cmdout

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsers feeds arbitrary bytes to the free-text parsers. They must never
// panic, and a successful parse must keep the documented shape (non-nil
// slices, member count matching "Nodes:").
func FuzzParsers(f *testing.F) {
	for _, dir := range []string{"quorumtool", "cfgtool", "journal", "clusterstatus", "qdevicetool"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("totem.config_version (u64) = 2\n"))
	f.Add([]byte("active\ninactive\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if q, err := ParseQuorumtool(b); err == nil {
			if q == nil || q.Flags == nil || q.Members == nil {
				t.Fatalf("ParseQuorumtool: nil parts without error: %+v", q)
			}
			nodes := 0
			for _, m := range q.Members {
				if m.NodeID != 0 {
					nodes++
				}
			}
			if nodes != q.Nodes {
				t.Fatalf("ParseQuorumtool: Nodes %d but %d node rows", q.Nodes, nodes)
			}
		}
		if links, err := ParseCfgtoolStatus(b); err == nil && links == nil {
			t.Fatal("ParseCfgtoolStatus: nil slice without error")
		}
		if r := FindCMAPRejection(b); r != nil && r.Line == "" {
			t.Fatalf("FindCMAPRejection: empty line in %+v", r)
		}
		_, _, _, _ = ParseCmapGet(b)
		_, _ = ParseCmapUint(b)
		_, _ = ParseServices(b, 2)
		if st, err := ParseQDeviceState(b); err == nil && st == "" {
			t.Fatal("ParseQDeviceState: empty state without error")
		}
		if addrs, err := ParseIPAddr(b); err == nil && addrs == nil {
			t.Fatal("ParseIPAddr: nil slice without error")
		}
		if st, err := ParseClusterStatus(b); err == nil && (st == nil || st.Nodes == nil) {
			t.Fatal("ParseClusterStatus: nil without error")
		}
	})
}
