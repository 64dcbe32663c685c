package cmdout

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/quorate/quorate/state"
)

// cmapRejectionRE matches corosync's CMAP exit line (reference §5.2,
// corosync-lab §2). Both numbers are unsigned 64-bit.
var cmapRejectionRE = regexp.MustCompile(`Received config version \((\d+)\) is different than my config version \((\d+)\)! Exiting`)

// isCorosyncStart reports whether line is corosync's start banner,
// "[MAIN  ] Corosync Cluster Engine 3.1.7 starting up". The match is
// case-sensitive on purpose: systemd's own "Starting corosync.service -
// Corosync Cluster Engine..." line is not a start of the daemon's log.
func isCorosyncStart(line string) bool {
	return strings.Contains(line, "Corosync Cluster Engine") && strings.Contains(line, "starting up")
}

// FindCMAPRejection searches corosync's log or journal for the line corosync
// writes when it refuses to join a membership with a higher config_version,
// "Received config version (X) is different than my config version (Y)!
// Exiting", and returns Received=X, Mine=Y and the whole line.
//
// The search covers the text from the last "Corosync Cluster Engine ...
// starting up" line on, or the whole text when there is none, so a rejection
// followed by a later start is not reported: corosync was started again since.
// The line sits about 23 lines from the end of the log because corosync logs
// its shutdown after it (corosync-lab §2), so callers must pass the log since
// the last start, not a short tail. When several rejections follow the last
// start, the last one is returned. It returns nil when there is none.
func FindCMAPRejection(log []byte) *state.CMAPRejection {
	lines := strings.Split(string(bytes.TrimSuffix(log, []byte("\n"))), "\n")
	start := 0
	for i := len(lines) - 1; i >= 0; i-- {
		if isCorosyncStart(lines[i]) {
			start = i
			break
		}
	}
	for i := len(lines) - 1; i >= start; i-- {
		m := cmapRejectionRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		received, err1 := strconv.ParseUint(m[1], 10, 64)
		mine, err2 := strconv.ParseUint(m[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue // not a number corosync could have printed
		}
		return &state.CMAPRejection{Received: received, Mine: mine, Line: strings.TrimSuffix(lines[i], "\r")}
	}
	return nil
}
