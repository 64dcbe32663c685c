package cmdout

import (
	"fmt"
	"strings"
)

const qdeviceTool = "corosync-qdevice-tool -s"

// qdeviceTitle is the first line corosync-qdevice-tool -s prints (corosync-lab
// §4).
const qdeviceTitle = "Qdevice information"

// ParseQDeviceState returns the value of the "State:" line of
// `corosync-qdevice-tool -s`, e.g. "Connected" or "Connect failed"
// (corosync-lab §4; the strings of reference §2.10). Labels and values are
// separated by tabs ("State:\t\t\tConnected"); the value is returned without
// the surrounding whitespace and is not checked against a list, because
// corosync-qdevice has more states than the reference names.
//
// Only lines that start in column 0 are "Label: value" lines; the indented
// rows of "Configured node list:" are not. It returns an error when the
// output does not start with the "Qdevice information" title (an error
// message such as "Can't connect to QDevice socket" instead of a status),
// when there is no "State:" line (the output was cut short, or the device
// model has no net part), when it is empty, or when there are two.
func ParseQDeviceState(out []byte) (string, error) {
	state, seenTitle, line := "", false, 0
	for i, l := range splitLines(out) {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !seenTitle {
			if t != qdeviceTitle {
				return "", lineError(qdeviceTool, i+1, "%s is not the %q title; is corosync-qdevice running?", quoteLine(t), qdeviceTitle)
			}
			seenTitle = true
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue // a row of a list such as "Configured node list:"
		}
		label, value, ok := strings.Cut(l, ":")
		if !ok || label != "State" {
			continue // titles, underlines and the other labels
		}
		if line != 0 {
			return "", lineError(qdeviceTool, i+1, "a second \"State:\" line (the first is line %d)", line)
		}
		state, line = strings.TrimSpace(value), i+1
		if state == "" {
			return "", lineError(qdeviceTool, i+1, "\"State:\" has no value")
		}
	}
	if !seenTitle {
		return "", fmt.Errorf("%s: no output", qdeviceTool)
	}
	if line == 0 {
		return "", fmt.Errorf("%s: no \"State:\" line (cut short, or not a net-model qdevice?)", qdeviceTool)
	}
	return state, nil
}
