package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleEntry(event string, step int) Entry {
	return Entry{
		Cluster: "lab", Generation: "0123456789ab", Replica: "ctl-a", RunID: "run-7",
		Event: event, Action: 1, Actions: 1, Kind: "Delnode", Target: "pve4",
		Summary: "remove pve4", Reason: "pve4 is declared absent",
		Step: step, Steps: 2, StepText: "pvecm delnode pve4", Node: "pve1",
		Backup:         "/state/backups/lab/pve1/etc_pve_corosync.conf.v31.20261122T034500.000Z",
		VersionsBefore: map[string]uint64{"pve1": 31},
	}
}

func TestAuditRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j := &Journal{Dir: dir, Now: fixedNow(t0)}
	if es, err := j.Audit("lab"); err != nil || len(es) != 0 {
		t.Fatalf("Audit before Append: %v, %v", es, err)
	}
	intent := sampleEntry(EventIntent, 1)
	outcome := sampleEntry(EventOutcome, 1)
	outcome.Time = t0.Add(2 * time.Second).In(time.FixedZone("CET", 3600))
	outcome.VersionsAfter = map[string]uint64{"pve1": 32}
	outcome.Outcome, outcome.Error = "failed", "exit status 2: <stderr> & more"
	for _, e := range []Entry{intent, outcome} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := (&Journal{Dir: dir}).Audit("lab")
	if err != nil {
		t.Fatal(err)
	}
	intent.Time = t0 // filled in
	outcome.Time = outcome.Time.UTC()
	want := []Entry{intent, outcome}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	raw, err := os.ReadFile(j.AuditPath("lab"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"time":"2026-11-22T03:45:00Z","cluster":"lab"`) {
		t.Errorf("file:\n%s", raw)
	}
	if !strings.Contains(lines[1], `<stderr> & more`) {
		t.Errorf("error text was escaped: %s", lines[1])
	}
	if es, _ := j.Audit("prod"); len(es) != 0 {
		t.Errorf("cluster prod sees lab's entries: %v", es)
	}
}

// TestAuditTornLastLine: a crash during Append leaves a line without its
// newline. Audit skips it, and the next Append cuts it off so that it does
// not turn into a bad line in the middle.
func TestAuditTornLastLine(t *testing.T) {
	tests := []struct {
		name string
		torn string
	}{
		{"half a line", `{"time":"2026-11-22T03:45:01Z","cluster":"la`},
		{"a whole object but no newline", `{"time":"2026-11-22T03:45:01Z","cluster":"lab","event":"outcome"}`},
		{"zero-filled block", "\x00\x00\x00\x00"},
		{"longer than one read chunk", `{"error":"` + strings.Repeat("x", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &Journal{Dir: t.TempDir(), Now: fixedNow(t0)}
			if err := j.Append(sampleEntry(EventIntent, 1)); err != nil {
				t.Fatal(err)
			}
			whole, _ := os.ReadFile(j.AuditPath("lab"))
			appendRaw(t, j.AuditPath("lab"), tt.torn)
			es, err := j.Audit("lab")
			if err != nil || len(es) != 1 || es[0].Event != EventIntent {
				t.Fatalf("Audit: %+v, %v; want the one whole entry", es, err)
			}
			if err := j.Append(sampleEntry(EventOutcome, 1)); err != nil {
				t.Fatal(err)
			}
			es, err = j.Audit("lab")
			if err != nil || len(es) != 2 || es[1].Event != EventOutcome {
				t.Fatalf("after the next Append: %+v, %v", es, err)
			}
			raw, _ := os.ReadFile(j.AuditPath("lab"))
			if !bytes.HasPrefix(raw, whole) || bytes.Count(raw, []byte("\n")) != 2 || bytes.ContainsRune(raw, 0) {
				t.Errorf("file after the cut:\n%q", raw)
			}
		})
	}
	t.Run("only a torn line", func(t *testing.T) {
		j := &Journal{Dir: t.TempDir(), Now: fixedNow(t0)}
		if err := os.MkdirAll(filepath.Dir(j.AuditPath("lab")), 0o700); err != nil {
			t.Fatal(err)
		}
		appendRaw(t, j.AuditPath("lab"), `{"ti`)
		if es, err := j.Audit("lab"); err != nil || len(es) != 0 {
			t.Fatalf("Audit: %v, %v", es, err)
		}
		if err := j.Append(sampleEntry(EventResume, 0)); err != nil {
			t.Fatal(err)
		}
		if es, err := j.Audit("lab"); err != nil || len(es) != 1 || es[0].Event != EventResume {
			t.Fatalf("Audit: %v, %v", es, err)
		}
	})
}

func appendRaw(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestAuditBadLine(t *testing.T) {
	tests := []struct {
		name string
		bad  string
		line int
	}{
		{"not JSON", "garbage\n", 2},
		{"empty line", "\n", 2},
		{"wrong type", `{"time":"yesterday"}` + "\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &Journal{Dir: t.TempDir(), Now: fixedNow(t0)}
			if err := j.Append(sampleEntry(EventIntent, 1)); err != nil {
				t.Fatal(err)
			}
			appendRaw(t, j.AuditPath("lab"), tt.bad)
			if err := j.Append(sampleEntry(EventOutcome, 1)); err != nil {
				t.Fatal(err)
			}
			_, err := j.Audit("lab")
			want := fmt.Sprintf("%s:%d:", j.AuditPath("lab"), tt.line)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Audit: %v, want an error naming %s", err, want)
			}
		})
	}
}

// TestAuditRotation: past MaxAuditBytes the file becomes CLUSTER.jsonl.1
// before the next line is written; only one old file is kept, and Audit
// reads the old one first.
func TestAuditRotation(t *testing.T) {
	j := &Journal{Dir: t.TempDir(), Now: fixedNow(t0)}
	line, _ := json.Marshal(Entry{Time: t0, Cluster: "lab", Event: EventBlocked, Reason: "r00"})
	lineLen := int64(len(line) + 1)
	j.MaxAuditBytes = 2*lineLen + 1 // rotates once the file holds 3 lines
	path := j.AuditPath("lab")
	var want []string
	for i := 0; i < 8; i++ {
		r := fmt.Sprintf("r%02d", i)
		if err := j.Append(Entry{Cluster: "lab", Event: EventBlocked, Reason: r}); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	// 8 lines at 3 per file: r00-r02 rotated, then r03-r05 rotated over
	// them, r06-r07 current.
	size := func(p string) int64 {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	if got := size(path + ".1"); got != 3*lineLen {
		t.Errorf("%s.1 is %d bytes, want 3 lines (%d)", path, got, 3*lineLen)
	}
	if got := size(path); got != 2*lineLen {
		t.Errorf("%s is %d bytes, want 2 lines (%d)", path, got, 2*lineLen)
	}
	if names := dirNames(t, filepath.Dir(path)); !reflect.DeepEqual(names, []string{"lab.jsonl", "lab.jsonl.1"}) {
		t.Errorf("audit dir holds %v", names)
	}
	es, err := j.Audit("lab")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Reason)
	}
	if strings.Join(got, " ") != strings.Join(want[3:], " ") {
		t.Errorf("Audit reasons %v, want %v", got, want[3:])
	}

	t.Run("negative never rotates", func(t *testing.T) {
		j := &Journal{Dir: t.TempDir(), MaxAuditBytes: -1}
		for i := 0; i < 5; i++ {
			if err := j.Append(Entry{Cluster: "lab", Event: EventBlocked}); err != nil {
				t.Fatal(err)
			}
		}
		if names := dirNames(t, filepath.Dir(j.AuditPath("lab"))); !reflect.DeepEqual(names, []string{"lab.jsonl"}) {
			t.Errorf("audit dir holds %v", names)
		}
	})
}

// TestAuditConcurrentAppend: appends from many goroutines, to one cluster and
// to several, all land as whole lines (run with -race).
func TestAuditConcurrentAppend(t *testing.T) {
	j := &Journal{Dir: t.TempDir(), MaxAuditBytes: 4096}
	clusters := []string{"lab", "prod"}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		for _, c := range clusters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					e := Entry{Cluster: c, Event: EventOutcome, Node: fmt.Sprintf("w%d", w), Step: i + 1,
						Error: strings.Repeat("e", 100)}
					if err := j.Append(e); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, c := range clusters {
		// Rotation at 4 KiB keeps only the newest lines; read without it to
		// count every line: the two files together must be whole lines.
		var lines int
		for _, p := range []string{j.AuditPath(c) + ".1", j.AuditPath(c)} {
			es, err := readAudit(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if e.Cluster != c || len(e.Error) != 100 {
					t.Fatalf("%s: a mixed or cut line: %+v", p, e)
				}
			}
			lines += len(es)
		}
		if lines == 0 {
			t.Fatalf("%s: nothing written", c)
		}
	}

	// Without rotation every line is there, in per-writer order.
	j = &Journal{Dir: t.TempDir(), MaxAuditBytes: -1}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := j.Append(Entry{Cluster: "lab", Event: EventOutcome, Node: fmt.Sprintf("w%d", w), Step: i + 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	es, err := j.Audit("lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != writers*each {
		t.Fatalf("%d lines, want %d", len(es), writers*each)
	}
	next := map[string]int{}
	for _, e := range es {
		next[e.Node]++
		if e.Step != next[e.Node] {
			t.Fatalf("writer %s: step %d after %d", e.Node, e.Step, next[e.Node]-1)
		}
	}
}
