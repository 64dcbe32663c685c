package corosync

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRoundTrip: for any input Parse accepts, w1 := Parse(x).Bytes() must
// parse again and print the same bytes (write_conf output is a fixed point),
// and nothing may panic. Seeds are the golden files and the error cases.
func FuzzRoundTrip(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.conf"))
	if err != nil {
		f.Fatal(err)
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, p := range append(files, golden...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "}", "a: {", "node {\n} node {\n}", "nodelist { node { ring0_addr: x } node { } }", "x: }"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, x []byte) {
		c, err := Parse(x)
		VersionOf(x)
		if err != nil {
			return
		}
		c.Nodes()
		c.Interfaces()
		c.ConfigVersion()
		w1 := c.Bytes()
		c2, err := Parse(w1)
		if err != nil {
			t.Fatalf("Parse(Bytes()) failed: %v\ninput: %q\nBytes: %q", err, x, w1)
		}
		if w2 := c2.Bytes(); !bytes.Equal(w1, w2) {
			t.Fatalf("not a fixed point\ninput: %q\nw1: %q\nw2: %q", x, w1, w2)
		}
		if _, err := c.Clone().BumpVersion(); err == nil && !bytes.Equal(c.Bytes(), w1) {
			t.Fatal("BumpVersion on a clone changed the original")
		}
	})
}
