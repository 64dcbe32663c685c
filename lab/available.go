package lab

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tools are the programs the lab runs: iproute2 for namespaces and links,
// util-linux for the private mounts, corosync and its tools (corosync-lab.md).
var tools = []string{"ip", "unshare", "nsenter", "corosync", "corosync-quorumtool", "corosync-cfgtool", "corosync-cmapctl"}

// Available reports whether a lab can run on this machine: it needs root,
// working network namespaces (a probe namespace is created and deleted) and
// the programs in tools on PATH. When ok is false, why is one line saying
// what is missing and how to get it, fit for t.Skip.
func Available() (ok bool, why string) {
	if os.Geteuid() != 0 {
		return false, "lab: needs root (network namespaces, bind mounts); run `go test ./lab -run TestLab -v` as root"
	}
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Sprintf("lab: %s not on PATH (apt-get install -y corosync iproute2 util-linux)", strings.Join(missing, ", "))
	}
	// `ip netns list` succeeds even where namespaces cannot be created (no
	// CAP_SYS_ADMIN in a container), so create and delete a real one.
	id, err := newID()
	if err != nil {
		return false, "lab: " + err.Error()
	}
	probe := prefix + id + "-probe"
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return false, fmt.Sprintf("lab: cannot create a network namespace (ip netns add: %s)", oneLine(out, err))
	}
	if out, err := exec.Command("ip", "netns", "del", probe).CombinedOutput(); err != nil {
		return false, fmt.Sprintf("lab: cannot delete probe namespace %s (ip netns del: %s)", probe, oneLine(out, err))
	}
	return true, ""
}

// oneLine renders a command's combined output (or its error when silent) as
// a single line for error text.
func oneLine(out []byte, err error) string {
	s := strings.Join(strings.Fields(string(out)), " ")
	if s == "" && err != nil {
		s = err.Error()
	}
	return s
}
