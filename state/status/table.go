package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Table writes sts as `quorate status` prints them, one row per cluster in
// the order given, like `kubectl get`:
//
//	CLUSTER   READY   RECONCILING   STALLED   AGE   GENERATION   MESSAGE
//
// READY, RECONCILING and STALLED are the conditions' statuses ("Unknown" when
// absent). AGE is the time since the last reconcile started, in kubectl's
// short form ("45s", "3m12s", "5h", "2d3h"; "<unknown>" before the first).
// GENERATION is the declaration's generation cut to 12 characters (a Git
// revision "main@sha1:COMMIT" is shown by its commit). MESSAGE is Stalled's
// message when Stalled is True, else Ready's, on one line. Empty cells read
// "<none>". now is the
// reference time for AGE (a parameter so output can be tested).
func Table(w io.Writer, sts []ClusterStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tREADY\tRECONCILING\tSTALLED\tAGE\tGENERATION\tMESSAGE")
	for _, st := range sts {
		age := "<unknown>"
		if !st.LastReconcile.IsZero() {
			age = HumanDuration(now.Sub(st.LastReconcile))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(st.Cluster),
			statusOf(st.Conditions, Ready), statusOf(st.Conditions, Reconciling), statusOf(st.Conditions, Stalled),
			age, shortGeneration(st.Generation), orNone(oneLine(message(st.Conditions))))
	}
	tw.Flush()
}

func statusOf(conds []Condition, t string) string {
	if c := Find(conds, t); c != nil && c.Status != "" {
		return c.Status
	}
	return ConditionUnknown
}

// message is what an operator should read first: why it is stuck, else
// what Ready says.
func message(conds []Condition) string {
	if c := Find(conds, Stalled); c != nil && c.Status == ConditionTrue && c.Message != "" {
		return c.Message
	}
	if c := Find(conds, Ready); c != nil {
		return c.Message
	}
	return ""
}

// shortGeneration keeps a column narrow: the part after the last ':' (a
// "sha256:HEX" or "main@sha1:HEX" revision), at most 12 characters, which
// is what the controller's content hash already is.
func shortGeneration(g string) string {
	if i := strings.LastIndexByte(g, ':'); i >= 0 {
		g = g[i+1:]
	}
	if len(g) > 12 {
		g = g[:12]
	}
	return orNone(g)
}

// orNone writes an empty cell as kubectl does, so that no line ends in
// padding.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// oneLine collapses all whitespace (newlines, tabs that would break the
// columns) to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// HumanDuration writes d the way kubectl's AGE column does
// (k8s.io/apimachinery/pkg/util/duration.HumanDuration): seconds up to 2
// minutes, then minutes and seconds up to 10 minutes, minutes up to 3 hours,
// hours and minutes up to 8 hours, hours up to 2 days, days and hours up to
// 8 days, days up to 2 years, then years and days; a zero second or minute
// part is left out. Up to one second in the future (clock skew) is "0s";
// more is "<invalid>".
func HumanDuration(d time.Duration) string {
	secs := int64(d / time.Second)
	switch {
	case secs < -1:
		return "<invalid>"
	case secs < 0:
		return "0s"
	case secs < 120:
		return fmt.Sprintf("%ds", secs)
	}
	mins := int64(d / time.Minute)
	hours := int64(d / time.Hour)
	days := hours / 24
	switch {
	case mins < 10:
		return pair(mins, "m", secs%60, "s")
	case mins < 3*60:
		return fmt.Sprintf("%dm", mins)
	case hours < 8:
		return pair(hours, "h", mins%60, "m")
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 8*24:
		return pair(days, "d", hours%24, "h")
	case days < 2*365:
		return fmt.Sprintf("%dd", days)
	case days < 8*365:
		return pair(days/365, "y", days%365, "d")
	}
	return fmt.Sprintf("%dy", days/365)
}

// pair writes "3m12s", or "3m" when the second part is zero.
func pair(a int64, ua string, b int64, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d%s", a, ua)
	}
	return fmt.Sprintf("%d%s%d%s", a, ua, b, ub)
}
