package lab

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc identifies one process the lab started: the PID plus the kernel's
// start time of that PID (field 22 of /proc/PID/stat, in clock ticks since
// boot). A PID alone can be reused by an unrelated process after ours died;
// the pair cannot, so the lab signals a PID only while both still match.
type Proc struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
	What  string `json:"what"` // "holder pve1", "corosync pve2": for people reading the state file
}

// procStart returns the start time of pid from /proc/PID/stat, or an error
// when the process does not exist or is a zombie.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat extracts field 22 (starttime) from a /proc/PID/stat line. The
// command name (field 2) is in parentheses and may hold spaces or
// parentheses itself, so fields are counted after the last ')'. A zombie
// (state Z or X) keeps its stat but is dead for our purposes:
// os.ErrNotExist.
func parseStat(s string) (uint64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat line without ')': %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc stat line has only %d fields: %q", len(f)+2, s)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, os.ErrNotExist
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// newProc records pid with its current start time.
func newProc(pid int, what string) (Proc, error) {
	st, err := procStart(pid)
	if err != nil {
		return Proc{}, fmt.Errorf("process %d (%s) vanished right after it started: %w", pid, what, err)
	}
	return Proc{PID: pid, Start: st, What: what}, nil
}

// Alive reports whether the recorded process still runs: the PID exists, is
// not a zombie and has the recorded start time.
func (p Proc) Alive() bool {
	st, err := procStart(p.PID)
	return err == nil && st == p.Start
}

// signal sends sig to the recorded process only if it is still the same
// process (Alive). It reports whether the signal was sent.
func (p Proc) signal(sig syscall.Signal) bool {
	if p.PID <= 1 || !p.Alive() {
		return false
	}
	return syscall.Kill(p.PID, sig) == nil
}

// waitGone polls until none of procs is Alive or the deadline passes. It is
// used only for processes that are not our children (leftovers of a crashed
// run); our own children are reaped by their Wait goroutines.
func waitGone(procs []Proc, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var alive []string
		for _, p := range procs {
			if p.Alive() {
				alive = append(alive, fmt.Sprintf("%d (%s)", p.PID, p.What))
			}
		}
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("still running after " + limit.String() + ": " + strings.Join(alive, ", "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
