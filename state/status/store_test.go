package status

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleStatus(cluster string) ClusterStatus {
	q := true
	cs := ClusterStatus{
		Cluster:             cluster,
		File:                "/etc/quorate/clusters/" + cluster + ".yaml",
		Generation:          "0123456789ab",
		LastReconcile:       t0,
		LastDuration:        1234 * time.Millisecond,
		NextReconcile:       t0.Add(5 * time.Minute),
		ConsecutiveFailures: 0,
		PendingActions:      2,
		Blocked:             1,
		Quorate:             &q,
		TotalVotes:          3,
		Quorum:              2,
		Lock:                &LockInfo{Holder: "quorate@ctl1", Node: "pve1", Since: t0, Ours: true},
		LastError:           "",
	}
	Set(&cs.Conditions, Condition{Type: Ready, Status: "True", Reason: ReasonReconciliationSucceeded, Message: "3/3 members", ObservedGeneration: "0123456789ab"}, t0)
	Set(&cs.Conditions, Condition{Type: Reconciling, Status: "False", Reason: ReasonIdle, ObservedGeneration: "0123456789ab"}, t0)
	Set(&cs.Conditions, Condition{Type: Stalled, Status: "False", Reason: ReasonIdle, ObservedGeneration: "0123456789ab"}, t0)
	return cs
}

func TestStoreRoundTrip(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	want := []ClusterStatus{sampleStatus("alpha"), sampleStatus("beta"), {Cluster: "gamma.broken_file", File: "/x/gamma.broken_file.yaml"}}
	// Written out of order: ReadAll sorts by cluster.
	for _, i := range []int{2, 0, 1} {
		if err := s.Write(want[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	info, err := os.Stat(s.Path("alpha"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %o, want 600", perm)
	}
}

// TestStatusJSONNames: Kubernetes' camelCase names, and the duration as a
// string rounded to the millisecond.
func TestStatusJSONNames(t *testing.T) {
	cs := sampleStatus("alpha")
	cs.LastDuration = 1234567 * time.Microsecond
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"lastTransitionTime":"2026-11-22T10:00:00Z"`, `"observedGeneration":"0123456789ab"`,
		`"lastDuration":"1.235s"`, `"lastReconcile":`, `"nextReconcile":`, `"consecutiveFailures":0`, `"pendingActions":2`,
		`"totalVotes":3`, `"quorate":true`, `"lock":{"holder":"quorate@ctl1","node":"pve1","since":`, `"type":"Ready"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	empty, _ := json.Marshal(ClusterStatus{Cluster: "x"})
	for _, absent := range []string{"lastReconcile", "nextReconcile", "lastDuration", "quorate", "lock", "lastError"} {
		if strings.Contains(string(empty), `"`+absent+`"`) {
			t.Errorf("zero %s is written: %s", absent, empty)
		}
	}
}

func TestStatusDurationForms(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    time.Duration
		wantErr bool
	}{
		{name: "string", json: `{"cluster":"a","lastDuration":"1m30s"}`, want: 90 * time.Second},
		{name: "seconds", json: `{"cluster":"a","lastDuration":1.5}`, want: 1500 * time.Millisecond},
		{name: "absent", json: `{"cluster":"a"}`, want: 0},
		{name: "not a duration", json: `{"cluster":"a","lastDuration":"soon"}`, wantErr: true},
		{name: "wrong type", json: `{"cluster":"a","lastDuration":true}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cs ClusterStatus
			err := json.Unmarshal([]byte(tc.json), &cs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && cs.LastDuration != tc.want {
				t.Errorf("LastDuration = %v, want %v", cs.LastDuration, tc.want)
			}
		})
	}
}

// TestStoreIgnoresTempAndReportsDamage: the temp file an interrupted Write
// leaves is never read; a damaged file is named and does not hide the others.
func TestStoreIgnoresTempAndReportsDamage(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if err := s.Write(sampleStatus("alpha")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir, "status")
	if err := os.WriteFile(filepath.Join(dir, ".tmp-beta.json-123"), []byte(`{"cluster":"be`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll()
	if err != nil || len(got) != 1 || got[0].Cluster != "alpha" {
		t.Fatalf("ReadAll = %v, %v; want alpha only, no error", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gamma.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = s.ReadAll()
	if err == nil || !strings.Contains(err.Error(), "gamma.json") || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("err = %v, want one naming gamma.json and saying what to do", err)
	}
	if len(got) != 1 || got[0].Cluster != "alpha" {
		t.Errorf("statuses = %+v, want alpha despite the damaged file", got)
	}
}

func TestStoreMissingDir(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "never")}
	got, err := s.ReadAll()
	if err != nil || got != nil {
		t.Errorf("ReadAll = %v, %v; want nil, nil", got, err)
	}
	if err := s.Remove("alpha"); err != nil {
		t.Errorf("Remove of a missing status: %v", err)
	}
}

func TestStoreRemove(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	for _, c := range []string{"alpha", "beta"} {
		if err := s.Write(sampleStatus(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("alpha"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll()
	if err != nil || len(got) != 1 || got[0].Cluster != "beta" {
		t.Errorf("after Remove: %v, %v; want beta only", got, err)
	}
}

func TestStoreRefusesUnsafeNames(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	for _, name := range []string{"", "../escape", "a/b", ".hidden", `a\b`} {
		t.Run(name, func(t *testing.T) {
			if err := s.Write(ClusterStatus{Cluster: name}); err == nil {
				t.Errorf("Write(%q) succeeded", name)
			}
			if err := s.Remove(name); err == nil {
				t.Errorf("Remove(%q) succeeded", name)
			}
		})
	}
	if entries, _ := os.ReadDir(s.Dir); len(entries) != 0 {
		t.Errorf("refused writes left %v", entries)
	}
}

// TestStoreWritesAreAtomic: a reader running while a cluster's status is
// rewritten always reads a whole file, one version or the other, and no
// temp file is left behind.
func TestStoreWritesAreAtomic(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	small := ClusterStatus{Cluster: "alpha", PendingActions: 1}
	big := sampleStatus("alpha")
	big.LastError = strings.Repeat("x", 64<<10) // larger than one write of a non-atomic copy
	if err := s.Write(small); err != nil {
		t.Fatal(err)
	}
	const rounds = 40
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range rounds {
			cs := small
			if i%2 == 0 {
				cs = big
			}
			if err := s.Write(cs); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range rounds {
		got, err := s.ReadAll()
		if err != nil {
			t.Fatalf("read a torn status: %v", err)
		}
		if len(got) != 1 || (got[0].PendingActions != 1 && got[0].LastError != big.LastError) {
			t.Fatalf("read a status that was never written: %+v", got)
		}
	}
	wg.Wait()
	entries, err := os.ReadDir(filepath.Join(s.Dir, "status"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "alpha.json" {
		t.Errorf("status dir holds %v, want alpha.json only", entries)
	}
}
