package clusters

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/cmdout"
	"github.com/quorate/quorate/state/corosync"
)

// Units and paths a step may touch. Everything a step names is checked against
// these before it is put into a command (and quoted anyway).
var (
	allowedUnits = map[string]bool{"corosync": true, "pve-cluster": true}
	allowedFiles = map[string]bool{LocalConfPath: true}
	backupName   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// StepError is a step that ran on the node and did not succeed.
type StepError struct {
	Step   reconciler.Step
	Code   int
	Stderr string
	Msg    string
}

// Error names the step, the exit code and the node's stderr.
func (e *StepError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Step, e.Msg)
	if e.Code != 0 {
		s += fmt.Sprintf(" (exit %d)", e.Code)
	}
	if t := strings.TrimSpace(e.Stderr); t != "" {
		s += ": " + t
	}
	return s
}

// Exec carries out one step on its node (a declared member). Install and
// EditClusterConf never replace a corosync.conf whose config_version is at or
// above the new one, and verify the bytes after the rename; EditClusterConf
// and EditClusterFile also refuse a file that changed since the plan
// (BaseDigest). Steps are idempotent: one whose result is already in place
// succeeds without writing. Names and paths are checked before any command
// reaches the node (see exec_cluster.go).
func (r *Remote) Exec(ctx context.Context, s reconciler.Step) error {
	m := r.decl.Member(s.Node)
	if m == nil {
		return fmt.Errorf("step %s: %s is not a declared member", s, s.Node)
	}
	switch s.Kind {
	case reconciler.StepStopService, reconciler.StepStartService:
		if !allowedUnits[s.Unit] {
			return fmt.Errorf("step %s: unit %q is not one quorate manages", s, s.Unit)
		}
		verb := "stop"
		if s.Kind == reconciler.StepStartService {
			verb = "start"
		}
		return r.check(ctx, m, s, CmdSystemctl(verb, s.Unit), nil)
	case reconciler.StepBackupFile:
		if !allowedFiles[s.Path] || path.Dir(s.BackupPath) != BackupDir || !backupName.MatchString(path.Base(s.BackupPath)) {
			return fmt.Errorf("step %s: refusing unexpected paths %q → %q", s, s.Path, s.BackupPath)
		}
		return r.check(ctx, m, s, CmdBackup(s.Path, s.BackupPath), nil)
	case reconciler.StepInstallFile:
		return r.install(ctx, m, s)
	case reconciler.StepHADisarm:
		return r.check(ctx, m, s, CmdHADisarm, nil)
	case reconciler.StepHAArm:
		return r.check(ctx, m, s, CmdHAArm, nil)
	case reconciler.StepSetExpected:
		if s.Votes < 1 || s.Votes > 65535 {
			return fmt.Errorf("step %s: %d expected votes is out of range", s, s.Votes)
		}
		return r.check(ctx, m, s, CmdSetExpected(s.Votes), nil)
	case reconciler.StepReloadCorosync:
		return r.reload(ctx, m, s)
	case reconciler.StepEditClusterConf:
		return r.editClusterConf(ctx, m, s)
	case reconciler.StepDelnode:
		return r.delnode(ctx, m, s)
	case reconciler.StepArchiveNodeDir:
		return r.archiveNodeDir(ctx, m, s)
	case reconciler.StepRemoveNodeDir:
		return r.removeNodeDir(ctx, m, s)
	case reconciler.StepEditClusterFile:
		return r.editClusterFile(ctx, m, s)
	case reconciler.StepJoin:
		return r.join(ctx, m, s)
	case reconciler.StepLearnFingerprint:
		return r.learnFingerprint(ctx, m, s)
	case reconciler.StepQDeviceSetup:
		return r.qdeviceSetup(ctx, m, s)
	case reconciler.StepQDeviceRemove:
		return r.qdeviceRemove(ctx, m, s)
	}
	return fmt.Errorf("step %s: unknown step kind", s)
}

func (r *Remote) check(ctx context.Context, m *api.Member, s reconciler.Step, cmd string, stdin []byte) error {
	res, err := r.run(ctx, m, cmd, stdin)
	if err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	if res.Code != 0 {
		return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr), Msg: "command failed"}
	}
	return nil
}

func (r *Remote) install(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if !allowedFiles[s.Path] {
		return fmt.Errorf("step %s: refusing to write %q", s, s.Path)
	}
	content := []byte(s.Content)
	if digest(content) != s.Digest {
		return fmt.Errorf("step %s: content does not match its digest; the plan file is damaged", s)
	}
	newV, ok := corosync.VersionOf(content)
	if !ok || newV != s.Version {
		return fmt.Errorf("step %s: content has no config_version %d", s, s.Version)
	}
	cur, err := r.run(ctx, m, CmdCat(s.Path), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	if cur.Code == 0 {
		if bytes.Equal(cur.Stdout, content) {
			return nil // already installed: idempotent
		}
		if oldV, ok := corosync.VersionOf(cur.Stdout); ok && oldV >= newV {
			return &StepError{Step: s, Msg: fmt.Sprintf("refusing to replace config_version %d with %d: quorate never installs a corosync.conf without a higher version", oldV, newV)}
		}
	}
	tmp := s.Path + ".new"
	if err := r.check(ctx, m, s, CmdWriteStdin(tmp), content); err != nil {
		return err
	}
	if err := r.verifyFile(ctx, m, s, tmp, content); err != nil {
		return err
	}
	if err := r.check(ctx, m, s, CmdRename(tmp, s.Path), nil); err != nil {
		return err
	}
	return r.verifyFile(ctx, m, s, s.Path, content)
}

// reload runs corosync-cfgtool -R and then reads config.reload_status: the
// exit code alone is not trusted (reference §7.6).
func (r *Remote) reload(ctx context.Context, m *api.Member, s reconciler.Step) error {
	res, err := r.run(ctx, m, CmdReload, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	st, err := r.run(ctx, m, CmdReloadStatus, nil)
	if err != nil {
		return fmt.Errorf("%s: reading config.reload_status: %w", s, err)
	}
	status, perr := cmdout.ParseCmapUint(st.Stdout)
	if res.Code != 0 || st.Code != 0 || perr != nil || status != 1 {
		return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr) + string(st.Stderr),
			Msg: fmt.Sprintf("corosync rejected the reload (config.reload_status %s)", strings.TrimSpace(string(st.Stdout)))}
	}
	return nil
}

func (r *Remote) verifyFile(ctx context.Context, m *api.Member, s reconciler.Step, p string, want []byte) error {
	res, err := r.run(ctx, m, CmdCat(p), nil)
	if err != nil {
		return fmt.Errorf("%s: reading back %s: %w", s, p, err)
	}
	if res.Code != 0 || !bytes.Equal(res.Stdout, want) {
		return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr), Msg: fmt.Sprintf("%s does not hold the bytes written (read back %d bytes)", p, len(res.Stdout))}
	}
	return nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
