package corosync

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenRoundTrip: a file in the layout Proxmox's write_conf produces
// (reference §4.2) comes back byte for byte from Parse followed by Bytes.
func TestGoldenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"reference §4.5 pvecm create with two links and a priority", "ref45-create.conf"},
		{"reference §4.6 qdevice block nested two levels", "ref46-qdevice.conf"},
		{"three nodes, two links, priorities (lab §1d layout)", "three-nodes-two-links.conf"},
		{"twelve nodes: pve10..pve12 sort before pve2 (reference §4.2)", "many-nodes.conf"},
		{"old docs layout after normalisation (reference §4.2)", "old-docs-layout.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := readTestdata(t, tt.file)
			c, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.Bytes(); !bytes.Equal(got, raw) {
				t.Errorf("Bytes() differs from the file\n--- got ---\n%s--- want ---\n%s", got, raw)
			}
			sum := sha1.Sum(raw)
			if c.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("Digest = %s, want SHA-1 of the raw bytes (reference §4.1)", c.Digest)
			}
		})
	}
}

// TestOldDocsLayoutNormalises: the docs' older layout (blank lines inside
// nodelist, interface last in totem, comments; reference §4.2) comes out in
// write_conf's layout, and that output parses to the same structure.
func TestOldDocsLayoutNormalises(t *testing.T) {
	old := readTestdata(t, "old-docs-layout.conf")
	want := readTestdata(t, "old-docs-layout.golden")
	c, err := Parse(old)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := c.Bytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("normalised output differs\n--- got ---\n%s--- want ---\n%s", got, want)
	}
	c2, err := Parse(got)
	if err != nil {
		t.Fatalf("re-Parse: %v", err)
	}
	if !reflect.DeepEqual(c.Main, c2.Main) {
		t.Errorf("re-parsed structure differs:\n%#v\n%#v", c.Main, c2.Main)
	}
	if c.Digest == c2.Digest {
		t.Error("digests of different bytes should differ")
	}
}

// TestWriterLayout pins reference §4.2 on a config built in memory: sorted
// keys at every level, two-space indent, one blank line after each top-level
// section only, nodes sorted by name as strings.
func TestWriterLayout(t *testing.T) {
	c := &Config{Main: NewSection()}
	tot := c.Main.Ensure("totem")
	tot.Set("version", "2")
	tot.Set("cluster_name", "x")
	iface := NewSection()
	iface.Set("linknumber", "0")
	tot.SetList("interface", []*Section{iface})
	var nodes []*Section
	for _, n := range []string{"pve2", "pve10"} {
		s := NewSection()
		s.Set("ring0_addr", "10.0.0."+n[3:])
		s.Set("name", n)
		nodes = append(nodes, s)
	}
	c.Main.Ensure("nodelist").SetList("node", nodes)
	want := "nodelist {\n" +
		"  node {\n    name: pve10\n    ring0_addr: 10.0.0.10\n  }\n" +
		"  node {\n    name: pve2\n    ring0_addr: 10.0.0.2\n  }\n" +
		"}\n\n" +
		"totem {\n  cluster_name: x\n  interface {\n    linknumber: 0\n  }\n  version: 2\n}\n\n"
	if got := string(c.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Bytes does not reorder the caller's Config.
	if got := c.Main.Section("nodelist").List("node")[0]; got != nodes[0] {
		t.Error("Bytes changed the order of the caller's node list")
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range [][]byte{nil, {}} {
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Digest != "" || len(c.Main.Keys()) != 0 || len(c.Bytes()) != 0 {
			t.Errorf("Parse(%q) = %+v, want an empty config without digest (reference §4.1)", in, c)
		}
	}
}
