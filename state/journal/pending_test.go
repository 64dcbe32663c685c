package journal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 3, 45, 0, 0, time.UTC)

// fixedNow is a clock for Journal.Now.
func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func samplePending() Pending {
	return Pending{
		Cluster: "lab", Generation: "0123456789ab", Replica: "ctl-a", RunID: "run-7",
		Started: t0.Add(-time.Minute),
		Action:  2, Actions: 3,
		Kind: "Delnode", Target: "pve4", Summary: "remove pve4 from the cluster",
		ActionJSON: json.RawMessage(`{"kind":"Delnode","target":"pve4","steps":[{"node":"pve1"}]}`),
		Step:       1, Steps: 2, Phase: PhaseIntent,
		Backups:        []string{"/var/lib/quorate/backups/lab/pve1/etc_pve_corosync.conf.v31.20261122T034400.000Z"},
		VersionsBefore: map[string]uint64{"pve1": 31, "pve2": 31},
	}
}

// dirNames lists dir's entries, sorted.
func dirNames(t *testing.T, dir string) []string {
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

func TestPendingRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j := &Journal{Dir: dir, Now: fixedNow(t0)}
	if p, err := j.Get("lab"); p != nil || err != nil {
		t.Fatalf("Get before Put: %+v, %v; want nil, nil", p, err)
	}
	want := samplePending()
	if err := j.Put(want); err != nil {
		t.Fatal(err)
	}
	// Another process (a fresh Journal) reads the same record.
	got, err := (&Journal{Dir: dir}).Get("lab")
	if err != nil || got == nil {
		t.Fatalf("Get: %v, %v", got, err)
	}
	want.Updated = t0
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
	}
	info, err := os.Stat(j.PendingPath("lab"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("pending file: %v, %v; want mode 0600", info, err)
	}

	// Each later record replaces the one before: the action begun (step
	// 0), a step done, a step failed.
	for _, tc := range []struct {
		step  int
		phase string
	}{{0, PhaseIntent}, {1, PhaseDone}, {2, PhaseFailed}} {
		next := samplePending()
		next.Step, next.Phase = tc.step, tc.phase
		if err := j.Put(next); err != nil {
			t.Fatal(err)
		}
		if got, err := j.Get("lab"); got == nil || got.Step != tc.step || got.Phase != tc.phase {
			t.Errorf("after Put of step %d %s: %+v, %v", tc.step, tc.phase, got, err)
		}
	}
	if names := dirNames(t, filepath.Join(dir, "journal")); !reflect.DeepEqual(names, []string{"lab.json"}) {
		t.Errorf("journal dir holds %v, want only lab.json", names)
	}

	if err := j.Clear("lab"); err != nil {
		t.Fatal(err)
	}
	if p, err := j.Get("lab"); p != nil || err != nil {
		t.Errorf("Get after Clear: %+v, %v", p, err)
	}
	if err := j.Clear("lab"); err != nil {
		t.Errorf("second Clear: %v", err)
	}
}

func TestPendingStartedDefaultsToNow(t *testing.T) {
	j := &Journal{Dir: t.TempDir(), Now: fixedNow(t0)}
	p := samplePending()
	p.Started = time.Time{}
	if err := j.Put(p); err != nil {
		t.Fatal(err)
	}
	got, err := j.Get("lab")
	if err != nil || !got.Started.Equal(t0) || !got.Updated.Equal(t0) {
		t.Fatalf("got %+v, %v; want Started = Updated = %s", got, err, t0)
	}
}

// TestPendingCrashBeforeRename: a crash after the temp file was written but
// before the rename leaves the previous record in force; Get ignores the
// temp file and deletes it, leaving other clusters' temp files alone.
func TestPendingCrashBeforeRename(t *testing.T) {
	for _, tc := range []struct {
		name     string
		previous bool
	}{
		{"over an earlier record", true},
		{"with no earlier record", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := &Journal{Dir: dir, Now: fixedNow(t0)}
			if tc.previous {
				if err := j.Put(samplePending()); err != nil {
					t.Fatal(err)
				}
			}
			// What Put writes before its rename, then "crash".
			newer := samplePending()
			newer.Step = 2
			b, _ := json.Marshal(pendingFile{FormatVersion: PendingFormatVersion, Pending: newer})
			tmp, err := writeTemp(j.PendingPath("lab"), b)
			if err != nil {
				t.Fatal(err)
			}
			// A torn temp file of the same cluster, and one of cluster
			// "lab-2" whose name starts alike.
			torn, err := writeTemp(j.PendingPath("lab"), []byte(`{"format_vers`))
			if err != nil {
				t.Fatal(err)
			}
			other, err := writeTemp(j.PendingPath("lab-2"), b)
			if err != nil {
				t.Fatal(err)
			}

			got, err := (&Journal{Dir: dir}).Get("lab")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.previous && (got == nil || got.Step != 1):
				t.Errorf("Get = %+v, want the earlier record (step 1)", got)
			case !tc.previous && got != nil:
				t.Errorf("Get = %+v, want nil (the rename never happened)", got)
			}
			for _, f := range []string{tmp, torn} {
				if _, err := os.Stat(f); !os.IsNotExist(err) {
					t.Errorf("leftover %s not deleted (%v)", filepath.Base(f), err)
				}
			}
			if _, err := os.Stat(other); err != nil {
				t.Errorf("another cluster's temp file was touched: %v", err)
			}
		})
	}
}

func TestPendingDamaged(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"torn", `{"format_version":1,"cluster":"lab","ste`, "is not a pending record"},
		{"empty", ``, "is not a pending record"},
		{"not an object", `[1,2]`, "is not a pending record"},
		{"other cluster", `{"format_version":1,"cluster":"prod","phase":"intent"}`, `record of cluster "prod"`},
		{"newer format", `{"format_version":2,"cluster":"lab","phase":"intent"}`, "format_version 2"},
		{"unknown phase", `{"format_version":1,"cluster":"lab","phase":"maybe"}`, `phase "maybe" is unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &Journal{Dir: t.TempDir()}
			path := j.PendingPath("lab")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := j.Get("lab")
			if err == nil {
				t.Fatalf("Get = %+v, want an error", p)
			}
			// Operator text: what, which file, what to do.
			for _, s := range []string{tt.want, path, "move the file away", j.AuditPath("lab")} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestPendingRefusals(t *testing.T) {
	mod := func(f func(*Pending)) Pending { p := samplePending(); f(&p); return p }
	tests := []struct {
		name string
		p    Pending
		want string
	}{
		{"empty cluster", mod(func(p *Pending) { p.Cluster = "" }), "cluster name is empty"},
		{"slash", mod(func(p *Pending) { p.Cluster = "a/b" }), "cannot be a file name"},
		{"dot-dot", mod(func(p *Pending) { p.Cluster = "..x" }), "cannot be a file name"},
		{"hidden", mod(func(p *Pending) { p.Cluster = ".lab" }), "cannot be a file name"},
		{"phase", mod(func(p *Pending) { p.Phase = "running" }), `phase "running"`},
		{"negative step", mod(func(p *Pending) { p.Step = -1 }), "step -1 of 2"},
		{"step past steps", mod(func(p *Pending) { p.Step = 3 }), "step 3 of 2"},
		{"action 0", mod(func(p *Pending) { p.Action = 0 }), "action 0 of 3"},
		{"action past actions", mod(func(p *Pending) { p.Action = 4 }), "action 4 of 3"},
		{"invalid action JSON", mod(func(p *Pending) { p.ActionJSON = json.RawMessage(`{`) }), "encoding the pending record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := &Journal{Dir: dir}
			if err := j.Put(tt.p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Put: %v, want %q", err, tt.want)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("a refused Put wrote %v", names)
			}
		})
	}
	j := &Journal{Dir: t.TempDir()}
	for _, name := range []string{"", "../etc", `a\b`} {
		if _, err := j.Get(name); err == nil {
			t.Errorf("Get(%q) accepted", name)
		}
		if err := j.Clear(name); err == nil {
			t.Errorf("Clear(%q) accepted", name)
		}
		if _, err := j.Audit(name); err == nil {
			t.Errorf("Audit(%q) accepted", name)
		}
	}
}

// writeTemp leaves a synced temp file next to path, named as
// state.WriteFileAtomic names its own: what a crash between the write and the
// rename leaves behind.
func writeTemp(path string, data []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	return f.Name(), f.Sync()
}
