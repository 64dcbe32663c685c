package reconciler

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps I/O out of the planner (STYLE.md "I/O only in
// clusters/"): deciding and gathering never share a package.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string]string{
		"net":                                 "the planner must not reach the network; clusters/ does",
		"net/http":                            "API calls belong in clusters/pveapi",
		"os/exec":                             "running commands belongs in clusters/",
		"golang.org/x/crypto/ssh":             "SSH belongs in clusters/sshrun",
		"github.com/quorate/quorate/clusters": "reconciler declares interfaces; clusters implements them",
		"github.com/Telmate/proxmox-api-go/proxmox": "API client belongs in clusters/pveapi",
	}
	for _, dep := range strings.Fields(string(out)) {
		if why, bad := forbidden[dep]; bad {
			t.Errorf("reconciler depends on %s: %s", dep, why)
		}
		if strings.HasPrefix(dep, "github.com/quorate/quorate/clusters/") {
			t.Errorf("reconciler depends on %s: reconciler declares interfaces; clusters implements them", dep)
		}
	}
}
