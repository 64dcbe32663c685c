package clusters

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// Steps that change the replicated /etc/pve (issue #3): the cluster-wide
// corosync.conf edit, delnode, and the cleanup of what delnode leaves behind
// (reference §2.7, §4.3, §6.6, §9). Every name and path a step carries is
// checked here before any command is built, so a damaged or hostile plan
// never reaches a shell.

var (
	// nodeName is Proxmox's pve-node format (api/formats.go): no "/", no
	// "..", never empty, so NodesDir/<name> is always one directory below
	// NodesDir.
	nodeName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	// clusterFiles are the /etc/pve files EditClusterFile may replace
	// (the cleanup of reference §9).
	clusterFiles = map[string]bool{AuthorizedKeysPath: true, KnownHostsPath: true}
)

// unlockTimeout bounds the lock release when the step's context is already
// done: the release must still be attempted, or pvecm and other editors are
// blocked until pmxcfs expires the lock after 120 s (reference §6.6).
const unlockTimeout = 30 * time.Second

// checkRemovedTarget refuses a delnode/node-dir target that is not a plain
// node name, is the node running the step, or is still declared: quorate only
// removes nodes the declaration no longer lists.
func (r *Remote) checkRemovedTarget(s reconciler.Step) error {
	if !nodeName.MatchString(s.Target) {
		return fmt.Errorf("step %s: target %q is not a node name (letters, digits and inner dashes only); the plan is damaged", s, s.Target)
	}
	if s.Target == s.Node {
		return fmt.Errorf("step %s: a node cannot remove itself (%s); run the step on another member", s, s.Target)
	}
	if r.decl.Member(s.Target) != nil {
		return fmt.Errorf("step %s: %s is still a declared member; quorate removes only nodes the declaration no longer lists", s, s.Target)
	}
	return nil
}

// delnode runs `pvecm delnode Target` (reference §2.7, §3.4). Its "Killing
// node N" / "Could not kill node (error = CS_ERR_NOT_EXIST)" lines are normal
// for a powered-off target; only the exit status counts.
func (r *Remote) delnode(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if err := r.checkRemovedTarget(s); err != nil {
		return err
	}
	res, err := r.run(ctx, m, CmdDelnode(s.Target), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	if res.Code != 0 {
		return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr),
			Msg: fmt.Sprintf("pvecm delnode %s failed", s.Target)}
	}
	return nil
}

// archiveNodeDir copies NodesDir/Target to BackupPath (ArchiveDir/<name>).
// An existing BackupPath means an earlier run already archived it.
func (r *Remote) archiveNodeDir(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if err := r.checkRemovedTarget(s); err != nil {
		return err
	}
	base := path.Base(s.BackupPath)
	if path.Dir(s.BackupPath) != ArchiveDir || !backupName.MatchString(base) || strings.Trim(base, ".") == "" {
		return fmt.Errorf("step %s: backup path %q must be %s/<name> (letters, digits, . _ -); the plan is damaged", s, s.BackupPath, ArchiveDir)
	}
	exists, err := r.dirExists(ctx, m, s, s.BackupPath)
	if err != nil || exists {
		return err
	}
	return r.check(ctx, m, s, CmdArchiveDir(path.Join(NodesDir, s.Target), s.BackupPath), nil)
}

// dirExists reports whether p is a directory on m. There is no test(1) in
// the command surface, so it reads p with cat: a directory answers "Is a
// directory" (coreutils and the simulator alike).
func (r *Remote) dirExists(ctx context.Context, m *api.Member, s reconciler.Step, p string) (bool, error) {
	res, err := r.run(ctx, m, CmdCat(p), nil)
	if err != nil {
		return false, fmt.Errorf("%s: checking %s: %w", s, p, err)
	}
	switch {
	case res.Code != 0 && strings.Contains(string(res.Stderr), "Is a directory"):
		return true, nil
	case res.Code != 0 && strings.Contains(string(res.Stderr), "No such file or directory"):
		return false, nil
	case res.Code == 0:
		return false, &StepError{Step: s, Msg: fmt.Sprintf("%s is a file, not an archived directory; move it away and apply again", p)}
	}
	return false, &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr), Msg: "cannot check " + p}
}

// removeNodeDir removes NodesDir/Target; rm -rf of a missing directory
// succeeds, so a repeated step is a no-op.
func (r *Remote) removeNodeDir(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if err := r.checkRemovedTarget(s); err != nil {
		return err
	}
	return r.check(ctx, m, s, CmdRemoveTree(path.Join(NodesDir, s.Target)), nil)
}

// editClusterFile replaces authorized_keys or known_hosts under /etc/pve if
// it still has BaseDigest: write Path.new, read back, rename, read back.
func (r *Remote) editClusterFile(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if !clusterFiles[s.Path] {
		return fmt.Errorf("step %s: refusing to write %q: only %s and %s are edited", s, s.Path, AuthorizedKeysPath, KnownHostsPath)
	}
	content := []byte(s.Content)
	if digest(content) != s.Digest {
		return fmt.Errorf("step %s: content does not match its digest; the plan file is damaged", s)
	}
	cur, present, err := r.readFile(ctx, m, s, s.Path)
	if err != nil {
		return err
	}
	if present && string(cur) == s.Content {
		return nil // already in place
	}
	if err := casCheck(s, s.Path, cur, present); err != nil {
		return err
	}
	return r.writeVerified(ctx, m, s, s.Path, content)
}

// editClusterConf is Proxmox's corosync.conf edit (reference §4.3) under the
// cluster lock file-corosync_conf (§6.6).
func (r *Remote) editClusterConf(ctx context.Context, m *api.Member, s reconciler.Step) (err error) {
	content := []byte(s.Content)
	if digest(content) != s.Digest {
		return fmt.Errorf("step %s: content does not match its digest; the plan file is damaged", s)
	}
	if v, ok := corosync.VersionOf(content); !ok || v != s.Version {
		return fmt.Errorf("step %s: content has no config_version %d; the plan file is damaged", s, s.Version)
	}
	if s.BackupPath != "" && (path.Dir(s.BackupPath) != BackupDir || !backupName.MatchString(path.Base(s.BackupPath))) {
		return fmt.Errorf("step %s: backup path %q must be %s/<name> (letters, digits, . _ -); the plan is damaged", s, s.BackupPath, BackupDir)
	}
	// A step that already ran (resume after an interruption) needs no lock.
	cur, present, err := r.readFile(ctx, m, s, ClusterConfPath)
	if err != nil {
		return err
	}
	if present && string(cur) == s.Content {
		return nil
	}

	if err := r.lockConf(ctx, m, s); err != nil {
		return err
	}
	defer func() {
		if uerr := r.unlockConf(ctx, m, s); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}()

	// Read again under the lock: only this read counts for the CAS.
	cur, present, err = r.readFile(ctx, m, s, ClusterConfPath)
	if err != nil {
		return err
	}
	if present && string(cur) == s.Content {
		return nil
	}
	if !present {
		return &StepError{Step: s, Msg: ClusterConfPath + " is missing on this node; nothing was changed; is pve-cluster running and the node in a cluster?"}
	}
	if err := casCheck(s, ClusterConfPath, cur, present); err != nil {
		return err
	}
	curV, ok := corosync.VersionOf(cur)
	if !ok {
		return &StepError{Step: s, Msg: fmt.Sprintf("%s has no readable config_version; nothing was changed; fix the file by hand", ClusterConfPath)}
	}
	if s.Version <= curV {
		return &StepError{Step: s, Msg: fmt.Sprintf("refusing to replace config_version %d with %d: quorate never installs a corosync.conf without a higher version; nothing was changed", curV, s.Version)}
	}
	backup := s.BackupPath
	if backup == "" {
		backup = fmt.Sprintf("%s/corosync.conf.v%d.%d", BackupDir, curV, r.now().UnixNano())
	}
	if err := r.check(ctx, m, s, CmdBackupClusterConf(backup), nil); err != nil {
		return err
	}
	if err := r.check(ctx, m, s, CmdCopy(ClusterConfPath, ClusterConfPath+".bak"), nil); err != nil {
		return err
	}
	return r.writeVerified(ctx, m, s, ClusterConfPath, content)
}

// lockConf takes file-corosync_conf with mkdir (reference §6.6). When it is
// held it sends pmxcfs's unlock request, which deletes a lock left behind by
// a holder that died more than 120 s ago, and tries once more.
func (r *Remote) lockConf(ctx context.Context, m *api.Member, s reconciler.Step) error {
	res, err := r.run(ctx, m, CmdLockConf, nil)
	if err == nil && res.Code != 0 && strings.Contains(string(res.Stderr), "File exists") {
		if _, err := r.run(ctx, m, CmdConfLockUnlockRequest, nil); err != nil {
			return fmt.Errorf("%s: asking pmxcfs to release an expired file-corosync_conf lock: %w (nothing was changed)", s, err)
		}
		res, err = r.run(ctx, m, CmdLockConf, nil)
	}
	if err != nil {
		// The mkdir may have run: then the lock is ours but unreleased, and
		// pmxcfs expires it after 120 s. Releasing it blindly could free
		// another holder's lock, which is worse.
		return fmt.Errorf("%s: taking the cluster lock file-corosync_conf: %w (if the command reached the node, the lock expires after 120 s)", s, err)
	}
	if res.Code == 0 {
		return nil
	}
	if strings.Contains(string(res.Stderr), "File exists") {
		return &StepError{Step: s, Code: res.Code, Msg: "the cluster lock file-corosync_conf is held (pvecm or another quorate is editing corosync.conf); nothing was changed; try again"}
	}
	return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr),
		Msg: "cannot take the cluster lock file-corosync_conf (no quorum?); nothing was changed"}
}

// unlockConf releases the lock, with a fresh context when ctx is done.
func (r *Remote) unlockConf(ctx context.Context, m *api.Member, s reconciler.Step) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
	}
	res, err := r.run(ctx, m, CmdUnlockConf, nil)
	if err == nil && res.Code == 0 {
		return nil
	}
	msg := "releasing the cluster lock file-corosync_conf failed; pmxcfs expires it after 120 s, or remove " + ConfLockDir + " by hand"
	if err != nil {
		return fmt.Errorf("%s: %s: %w", s, msg, err)
	}
	return &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr), Msg: msg}
}

// readFile cats p; present is false when it does not exist.
func (r *Remote) readFile(ctx context.Context, m *api.Member, s reconciler.Step, p string) (b []byte, present bool, err error) {
	res, err := r.run(ctx, m, CmdCat(p), nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: reading %s: %w", s, p, err)
	}
	switch {
	case res.Code == 0:
		return res.Stdout, true, nil
	case strings.Contains(string(res.Stderr), "No such file or directory"):
		return nil, false, nil
	}
	return nil, false, &StepError{Step: s, Code: res.Code, Stderr: string(res.Stderr), Msg: "cannot read " + p + "; nothing was changed"}
}

// casCheck refuses when the file is not the one the plan was made from. An
// absent file matches only an empty BaseDigest.
func casCheck(s reconciler.Step, p string, cur []byte, present bool) error {
	got := ""
	if present {
		got = digest(cur)
	}
	if got == s.BaseDigest {
		return nil
	}
	if !present {
		return &StepError{Step: s, Msg: fmt.Sprintf("%s is missing but the plan expected it (sha256 %s); it changed since the plan; nothing was changed; observe and plan again", p, short(s.BaseDigest))}
	}
	return &StepError{Step: s, Msg: fmt.Sprintf("%s changed since the plan (sha256 %s, plan expected %s); nothing was changed; observe and plan again", p, short(got), short(s.BaseDigest))}
}

// writeVerified writes content to p.new, reads it back, renames it onto p
// and reads p back.
func (r *Remote) writeVerified(ctx context.Context, m *api.Member, s reconciler.Step, p string, content []byte) error {
	tmp := p + ".new"
	if err := r.check(ctx, m, s, CmdWriteStdin(tmp), content); err != nil {
		return err
	}
	if err := r.verifyFile(ctx, m, s, tmp, content); err != nil {
		return err
	}
	if err := r.check(ctx, m, s, CmdRename(tmp, p), nil); err != nil {
		return err
	}
	return r.verifyFile(ctx, m, s, p, content)
}

func short(d string) string {
	if d == "" {
		return "(none)"
	}
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
