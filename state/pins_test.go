package state

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	fpA = "AA:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01"
	fpB = "BB:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:02"
	fpC = "CC:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:03"
)

var pinNow = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

func TestPinStoreLearnLookup(t *testing.T) {
	dir := t.TempDir()
	s := &PinStore{Dir: dir, Now: func() time.Time { return pinNow }}
	if _, ok := s.Lookup("lab", "pve4"); ok {
		t.Fatal("a pin before anything was learned")
	}
	if err := s.Learn("lab", "pve4", fpA, fpB); err != nil {
		t.Fatal(err)
	}
	if err := s.Record("lab", "pve5", Pin{Previous: fpA, Current: fpC, Source: "pve1"}); err != nil {
		t.Fatal(err)
	}
	// A fresh store (another process) reads the same file.
	fresh := &PinStore{Dir: dir}
	p, ok := fresh.Lookup("lab", "pve4")
	if !ok || p.Previous != fpA || p.Current != fpB || !p.LearnedAt.Equal(pinNow) {
		t.Fatalf("pve4: %+v, %t", p, ok)
	}
	if p, ok := fresh.Lookup("lab", "pve5"); !ok || p.Source != "pve1" || p.Current != fpC {
		t.Fatalf("pve5: %+v, %t", p, ok)
	}
	if _, ok := fresh.Lookup("other", "pve4"); ok {
		t.Error("a pin of cluster lab answered for cluster other")
	}
	info, err := os.Stat(filepath.Join(dir, "pins", "lab.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("pin file: %v, %v", info, err)
	}
	// Learning the declared fingerprint again removes the pin.
	if err := s.Learn("lab", "pve4", fpB, fpB); err != nil {
		t.Fatal(err)
	}
	if _, ok := fresh.Lookup("lab", "pve4"); ok {
		t.Error("pve4 still pinned after learning previous == current")
	}
	if _, ok := fresh.Lookup("lab", "pve5"); !ok {
		t.Error("removing pve4's pin lost pve5's")
	}
}

func TestPinStoreRefusals(t *testing.T) {
	dir := t.TempDir()
	s := &PinStore{Dir: dir}
	tests := []struct {
		name          string
		cluster, node string
		prev, cur     string
		err           string
	}{
		{"cluster name with a slash", "../etc", "pve4", fpA, fpB, "is not a cluster name"},
		{"node name with a dot", "lab", "pve4.example", fpA, fpB, "is not a node name"},
		{"empty learned fingerprint", "lab", "pve4", fpA, "", "both the previous and the learned fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Learn(tt.cluster, tt.node, tt.prev, tt.cur)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("refused learns wrote %d entries", len(entries))
	}
}

func TestPinStoreDamagedFile(t *testing.T) {
	dir := t.TempDir()
	s := &PinStore{Dir: dir}
	for _, tc := range []struct{ name, content, err string }{
		{"not JSON", "{", "is not a quorate pin file"},
		{"other cluster", `{"format_version":1,"cluster":"prod","pins":{}}`, `holds pins of cluster "prod"`},
		{"newer format", `{"format_version":2,"cluster":"lab","pins":{}}`, "format_version 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteFileAtomic(s.Path("lab"), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Load("lab"); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Load: %v, want %q", err, tc.err)
			}
			if err := s.Learn("lab", "pve4", fpA, fpB); err == nil {
				t.Error("Learn overwrote a damaged file")
			}
		})
	}
}

// TestPinStoreConcurrentLearns: learns from one process never lose each
// other's pins (read-modify-write under the store's lock).
func TestPinStoreConcurrentLearns(t *testing.T) {
	s := &PinStore{Dir: t.TempDir()}
	nodes := []string{"pve1", "pve2", "pve3", "pve4", "pve5", "pve6"}
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Learn("lab", n, fpA, fpB); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	pins, err := s.Load("lab")
	if err != nil || len(pins) != len(nodes) {
		t.Fatalf("%d pins, %v; want %d", len(pins), err, len(nodes))
	}
}
