package status

import (
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	now := t0.Add(3*time.Minute + 12*time.Second)
	ready := sampleStatus("alpha")
	stalled := ClusterStatus{Cluster: "beta", Generation: "main@sha1:0a1b2c3d4e5f60718293", LastReconcile: t0.Add(-2 * time.Hour)}
	Set(&stalled.Conditions, Condition{Type: Ready, Status: "False", Reason: ReasonBlocked, Message: "1 difference(s) quorate does not change now"}, t0)
	Set(&stalled.Conditions, Condition{Type: Reconciling, Status: "False", Reason: ReasonIdle}, t0)
	Set(&stalled.Conditions, Condition{Type: Stalled, Status: "True", Reason: ReasonBlocked, Message: "pve3: not removing\n\tset policy.removeAbsentMembers"}, t0)
	fresh := ClusterStatus{Cluster: "gamma"}

	var b strings.Builder
	Table(&b, []ClusterStatus{ready, stalled, fresh}, now)
	want := `CLUSTER   READY     RECONCILING   STALLED   AGE         GENERATION     MESSAGE
alpha     True      False         False     3m12s       0123456789ab   3/3 members
beta      False     False         True      123m        0a1b2c3d4e5f   pve3: not removing set policy.removeAbsentMembers
gamma     Unknown   Unknown       Unknown   <unknown>   <none>         <none>
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableEmpty(t *testing.T) {
	var b strings.Builder
	Table(&b, nil, t0)
	if got := b.String(); got != "CLUSTER   READY   RECONCILING   STALLED   AGE   GENERATION   MESSAGE\n" {
		t.Errorf("empty table = %q", got)
	}
}

// TestHumanDuration uses the thresholds of kubectl's AGE column
// (apimachinery util/duration.HumanDuration).
func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-2 * time.Second, "<invalid>"},
		{-1500 * time.Millisecond, "0s"},
		{0, "0s"},
		{59 * time.Second, "59s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{9*time.Minute + 59*time.Second, "9m59s"},
		{10 * time.Minute, "10m"},
		{179 * time.Minute, "179m"},
		{3 * time.Hour, "3h"},
		{7*time.Hour + 59*time.Minute, "7h59m"},
		{8 * time.Hour, "8h"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{7*24*time.Hour + 23*time.Hour, "7d23h"},
		{8 * 24 * time.Hour, "8d"},
		{729 * 24 * time.Hour, "729d"},
		{730 * 24 * time.Hour, "2y"},
		{(3*365 + 10) * 24 * time.Hour, "3y10d"},
		{8 * 365 * 24 * time.Hour, "8y"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := HumanDuration(tc.d); got != tc.want {
				t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}
