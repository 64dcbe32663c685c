package clusters_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// installStep returns an InstallFile step that writes conf to pve1's local
// corosync.conf.
func installStep(conf []byte) reconciler.Step {
	v, _ := corosync.VersionOf(conf)
	return reconciler.Step{Kind: reconciler.StepInstallFile, Node: "pve1", Path: clusters.LocalConfPath,
		Content: string(conf), Digest: sha(conf), Version: v}
}

// TestInstallNeverLowersConfigVersion: the executor refuses to replace a
// corosync.conf with one whose config_version is equal or lower, and leaves
// the file as it was (the rule behind every write quorate makes).
func TestInstallNeverLowersConfigVersion(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	_, remote, _ := inMemory(t, m)
	before, _ := m.ReadFile("pve1", clusters.LocalConfPath)
	cur, _ := corosync.VersionOf(before)
	for _, tc := range []struct {
		name    string
		version uint64
	}{{"lower", cur - 1}, {"equal with other content", cur}} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := corosync.Parse(before)
			c.Main.Section("totem").Set("config_version", itoa(tc.version))
			c.Main.Section("logging").Set("debug", "on")
			err := remote.Exec(context.Background(), installStep(c.Bytes()))
			var se *clusters.StepError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "never installs a corosync.conf without a higher version") {
				t.Fatalf("err = %v, want a refusal", err)
			}
			after, _ := m.ReadFile("pve1", clusters.LocalConfPath)
			if string(after) != string(before) {
				t.Errorf("the file changed despite the refusal")
			}
			if _, ok := m.ReadFile("pve1", clusters.LocalConfPath+".new"); ok {
				t.Errorf("a .new file was left behind")
			}
		})
	}
}

// TestInstallIsIdempotentAndVerified: installing the bytes already there is a
// no-op; a damaged plan (content not matching its digest) is refused.
func TestInstallIsIdempotentAndVerified(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	_, remote, runner := inMemory(t, m)
	cur, _ := m.ReadFile("pve1", clusters.LocalConfPath)
	calls := runner.calls
	if err := remote.Exec(context.Background(), installStep(cur)); err != nil {
		t.Fatal(err)
	}
	if runner.calls-calls != 1 {
		t.Errorf("re-installing identical bytes ran %d commands, want 1 (the read)", runner.calls-calls)
	}
	step := installStep(cur)
	step.Content += "\n# tampered"
	if err := remote.Exec(context.Background(), step); err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Errorf("tampered content: err = %v", err)
	}
}

// TestExecRefusesUnknownTargets: units, paths and nodes outside the allow-lists
// never reach a shell.
func TestExecRefusesUnknownTargets(t *testing.T) {
	m, _ := sim.Scenario("healthy")
	_, remote, runner := inMemory(t, m)
	calls := runner.calls
	for _, s := range []reconciler.Step{
		{Kind: reconciler.StepStopService, Node: "pve1", Unit: "sshd"},
		{Kind: reconciler.StepStopService, Node: "pve9", Unit: "corosync"},
		{Kind: reconciler.StepBackupFile, Node: "pve1", Path: "/etc/shadow", BackupPath: "/var/lib/quorate/backup/x"},
		{Kind: reconciler.StepBackupFile, Node: "pve1", Path: clusters.LocalConfPath, BackupPath: "/var/lib/quorate/backup/$(reboot)"},
		{Kind: reconciler.StepInstallFile, Node: "pve1", Path: "/root/.ssh/authorized_keys", Content: "x", Digest: sha([]byte("x"))},
	} {
		if err := remote.Exec(context.Background(), s); err == nil {
			t.Errorf("%v: accepted", s)
		}
	}
	if runner.calls != calls {
		t.Errorf("%d commands reached the node", runner.calls-calls)
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
