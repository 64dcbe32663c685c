package cmdout

import (
	"fmt"
	"strconv"
	"strings"
)

// splitLines splits command output into lines without their "\n" or "\r\n"
// ending. A final newline does not make an extra empty line.
func splitLines(out []byte) []string {
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// quoteLine quotes a line of command output for an error message, cut short
// so that one unexpected line cannot flood the operator's terminal.
func quoteLine(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

// lineError is an error about line n (1-based) of a tool's output.
func lineError(tool string, n int, format string, args ...any) error {
	return fmt.Errorf("%s: line %d: %s", tool, n, fmt.Sprintf(format, args...))
}

// parseNodeID reads a corosync node ID as the tools print it: decimal, or
// "0x%08x" with -H (reference §3.6).
func parseNodeID(s string) (int, error) {
	var (
		v   uint64
		err error
	)
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		v, err = strconv.ParseUint(h, 16, 32)
	} else {
		v, err = strconv.ParseUint(s, 10, 32)
	}
	if err != nil {
		return 0, fmt.Errorf("node ID %s is not a decimal or 0x-hex number", quoteLine(s))
	}
	return int(v), nil
}

// parseCount reads a non-negative count (votes, nodes) that fits in 32 bits.
func parseCount(what, s string) (int, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %s is not a number", what, quoteLine(s))
	}
	return int(v), nil
}
