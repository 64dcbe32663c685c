package cmdout

import (
	"fmt"
	"strings"
)

const isActive = "systemctl is-active"

// serviceStates are the words systemctl is-active prints (systemd's unit
// ActiveState values). "maintenance" and "refreshing" come from newer systemd
// releases and are accepted so that an upgrade does not break observation.
var serviceStates = map[string]bool{
	"active": true, "inactive": true, "failed": true, "activating": true,
	"deactivating": true, "reloading": true, "unknown": true,
	"maintenance": true, "refreshing": true,
}

// ParseServices parses `systemctl is-active UNIT...` for n units: one state
// per line, in the order the units were named. States are returned as printed
// (state.Active, state.Inactive, state.Failed, or a transitional word such as
// "activating"); mapping them is the caller's choice. Blank lines are ignored.
// It returns an error when the count is not n or a line is not a systemd
// state, e.g. when the command itself failed and printed a message.
func ParseServices(out []byte, n int) ([]string, error) {
	states := []string{}
	for i, line := range splitLines(out) {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if !serviceStates[t] {
			return nil, lineError(isActive, i+1, "%s is not a systemd unit state", quoteLine(t))
		}
		states = append(states, t)
	}
	if len(states) != n {
		return nil, fmt.Errorf("%s: got %d states for %d units", isActive, len(states), n)
	}
	return states, nil
}
