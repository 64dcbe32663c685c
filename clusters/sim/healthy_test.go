package sim

import (
	"strings"
	"testing"
)

// TestMakeStale: the node ends refused with the CMAP line, the others carry
// on one version up.
func TestMakeStale(t *testing.T) {
	m, err := Healthy("east", 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MakeStale("pve3"); err != nil {
		t.Fatal(err)
	}
	if out, _, code := m.Exec("pve3", "corosync-quorumtool -s", nil); code != 1 {
		t.Errorf("pve3 quorumtool exit %d, want 1 (corosync not running):\n%s", code, out)
	}
	log, _, _ := m.Exec("pve3", "journalctl -b -u corosync --no-pager -o short -n 400", nil)
	if !strings.Contains(string(log), "Received config version (4) is different than my config version (3)! Exiting") {
		t.Errorf("pve3's journal lacks the CMAP line:\n%s", log)
	}
	out, _, _ := m.Exec("pve1", "corosync-cmapctl -g totem.config_version", nil)
	if !strings.Contains(string(out), "= 4") {
		t.Errorf("pve1 runtime version: %s, want 4", out)
	}
	if _, err := Healthy("x", 0); err == nil {
		t.Error("Healthy with 0 nodes succeeded")
	}
}
