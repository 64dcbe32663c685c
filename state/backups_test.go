package state

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var backupT0 = time.Date(2026, 11, 22, 3, 45, 0, 0, time.UTC)

// stepClock returns backupT0, then one second later on every call.
func stepClock() func() time.Time {
	t := backupT0.Add(-time.Second)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

// names lists the file names in dir, sorted; none when dir is missing.
func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	sort.Strings(out)
	return out
}

func TestBackupStoreSaveName(t *testing.T) {
	dir := t.TempDir()
	b := &BackupStore{Dir: dir, Now: func() time.Time { return backupT0.Add(123 * time.Millisecond) }}
	p, err := b.Save("lab", "pve1", "/etc/corosync/corosync.conf", 31, []byte("totem {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "backups", "lab", "pve1", "etc_corosync_corosync.conf.v31.20261122T034500.123Z")
	if p != want {
		t.Fatalf("path %s, want %s", p, want)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "totem {}\n" {
		t.Fatalf("content %q, %v", got, err)
	}
}

// TestBackupStoreRetention: Keep N leaves exactly the N newest copies per
// cluster, node and original path, and touches nothing else.
func TestBackupStoreRetention(t *testing.T) {
	const local, cluster = "/etc/corosync/corosync.conf", "/etc/pve/corosync.conf"
	tests := []struct {
		name  string
		keep  int
		saves int
		want  int // copies of local on pve1 afterwards
	}{
		{"keep 3 of 5", 3, 5, 3},
		{"keep 1 of 4", 1, 4, 1},
		{"keep 3 of 2 (nothing to delete)", 3, 2, 2},
		{"keep 0 keeps all", 0, 6, 6},
		{"negative keep keeps all", -1, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			b := &BackupStore{Dir: dir, Now: stepClock(), Keep: tt.keep}
			var prunes []error
			b.OnPruneError = func(err error) { prunes = append(prunes, err) }
			// Files retention must never touch: other node, other path,
			// other cluster, and foreign files in the node's directory.
			others := &BackupStore{Dir: dir, Now: func() time.Time { return backupT0.Add(-time.Hour) }}
			for v := uint64(1); v <= 3; v++ {
				for _, s := range []struct{ cluster, node, path string }{
					{"lab", "pve2", local}, {"lab", "pve1", cluster}, {"prod", "pve1", local},
				} {
					if _, err := others.Save(s.cluster, s.node, s.path, v, []byte("x")); err != nil {
						t.Fatal(err)
					}
				}
			}
			pve1 := filepath.Join(dir, "backups", "lab", "pve1")
			foreign := []string{"notes.txt", "etc_corosync_corosync.conf.v1.garbage", ".tmp-etc_corosync_corosync.conf.v1.20200101T000000.000Z-123"}
			for _, f := range foreign {
				if err := os.WriteFile(filepath.Join(pve1, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}

			var saved []string
			for i := 0; i < tt.saves; i++ {
				p, err := b.Save("lab", "pve1", local, uint64(10+i), []byte("c"))
				if err != nil {
					t.Fatal(err)
				}
				saved = append(saved, p)
			}
			if len(prunes) != 0 {
				t.Fatalf("prune errors: %v", prunes)
			}
			got, err := b.List("lab", "pve1")
			if err != nil {
				t.Fatal(err)
			}
			var locals []string
			for _, p := range got {
				if strings.HasPrefix(filepath.Base(p), "etc_corosync_") {
					locals = append(locals, p)
				}
			}
			// The newest tt.want saves, newest first.
			var want []string
			for i := len(saved) - 1; i >= len(saved)-tt.want; i-- {
				want = append(want, saved[i])
			}
			if strings.Join(locals, "\n") != strings.Join(want, "\n") {
				t.Errorf("kept\n%s\nwant\n%s", strings.Join(locals, "\n"), strings.Join(want, "\n"))
			}
			if n := len(got) - len(locals); n != 3 {
				t.Errorf("%d copies of the cluster file on pve1, want the 3 saved", n)
			}
			for _, s := range []struct{ cluster, node string }{{"lab", "pve2"}, {"prod", "pve1"}} {
				if l, err := b.List(s.cluster, s.node); err != nil || len(l) != 3 {
					t.Errorf("%s/%s: %d copies (%v), want 3 untouched", s.cluster, s.node, len(l), err)
				}
			}
			have := map[string]bool{}
			for _, n := range names(t, pve1) {
				have[n] = true
			}
			for _, f := range foreign {
				if !have[f] {
					t.Errorf("foreign file %s was deleted", f)
				}
			}
		})
	}
}

// TestBackupStoreKeepsNewestDespiteClockStep: a clock that jumps back makes
// the new copy's name look oldest; it is still the one kept.
func TestBackupStoreKeepsNewestDespiteClockStep(t *testing.T) {
	dir := t.TempDir()
	times := []time.Time{backupT0, backupT0.Add(time.Minute), backupT0.Add(-time.Hour)}
	i := 0
	b := &BackupStore{Dir: dir, Keep: 2, Now: func() time.Time { t := times[i]; i++; return t }}
	var saved []string
	for v := uint64(1); v <= 3; v++ {
		p, err := b.Save("lab", "pve1", "/etc/pve/corosync.conf", v, []byte("c"))
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, p)
	}
	got, err := b.List("lab", "pve1")
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the one just written (v3) and the newest other (v2).
	want := []string{saved[1], saved[2]}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kept %v, want %v", got, want)
	}
}

func TestBackupStoreListOrder(t *testing.T) {
	dir := t.TempDir()
	// Same millisecond: config_version breaks the tie.
	b := &BackupStore{Dir: dir, Now: func() time.Time { return backupT0 }}
	for _, v := range []uint64{7, 30, 9} {
		if _, err := b.Save("lab", "pve1", "/etc/pve/corosync.conf", v, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.List("lab", "pve1")
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, p := range got {
		vs = append(vs, strings.Split(filepath.Base(p), ".")[2])
	}
	if strings.Join(vs, " ") != "v30 v9 v7" {
		t.Errorf("order %v, want v30 v9 v7", vs)
	}
	if l, err := b.List("lab", "pve9"); err != nil || len(l) != 0 {
		t.Errorf("unknown node: %v, %v; want nothing, no error", l, err)
	}
}

func TestBackupStoreRefusesPathNames(t *testing.T) {
	dir := t.TempDir()
	b := &BackupStore{Dir: dir}
	for _, tc := range []struct{ name, cluster, node string }{
		{"empty cluster", "", "pve1"},
		{"cluster escapes", "..", "pve1"},
		{"node with slash", "lab", "a/b"},
		{"node dot-dot", "lab", "../../x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.Save(tc.cluster, tc.node, "/etc/pve/corosync.conf", 1, nil); err == nil || !strings.Contains(err.Error(), "cannot be used as a directory name") {
				t.Errorf("Save: %v", err)
			}
			if _, err := b.List(tc.cluster, tc.node); err == nil {
				t.Error("List accepted it")
			}
		})
	}
	if n := names(t, dir); len(n) != 0 {
		t.Errorf("refused saves wrote %v", n)
	}
}

// TestBackupStorePruneErrorDoesNotFailSave: the backup the action needs is
// saved even when old copies cannot be deleted; the failure is reported, and
// the next Save deletes what is now beyond Keep.
func TestBackupStorePruneErrorDoesNotFailSave(t *testing.T) {
	dir := t.TempDir()
	b := &BackupStore{Dir: dir, Now: stepClock(), Keep: 1}
	var prunes []error
	b.OnPruneError = func(err error) { prunes = append(prunes, err) }
	b.remove = func(string) error { return errors.New("injected: permission denied") }
	for v := uint64(1); v <= 2; v++ {
		if p, err := b.Save("lab", "pve1", "/etc/pve/corosync.conf", v, nil); err != nil || p == "" {
			t.Fatalf("Save v%d: %q, %v", v, p, err)
		}
	}
	if len(prunes) != 1 || !strings.Contains(prunes[0].Error(), "injected: permission denied") ||
		!strings.Contains(prunes[0].Error(), "pve1:/etc/pve/corosync.conf") {
		t.Fatalf("prune errors %v, want one naming the node and file", prunes)
	}
	b.remove = nil
	if _, err := b.Save("lab", "pve1", "/etc/pve/corosync.conf", 3, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := b.List("lab", "pve1")
	if len(got) != 1 || !strings.Contains(got[0], ".v3.") {
		t.Errorf("after the retry: %v, want only v3", got)
	}
}
