package controller

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/journal"
)

// resume finishes the record of an action a previous run left in the
// journal (the controller was killed or cut off). It runs the action's Always
// steps that had not run yet (re-arming HA), judges from a fresh observation
// whether the interrupted step took effect and whether the action as a whole
// did, records both in the audit log and clears the record. What is left to
// do is then planned from the observation like any other difference: every
// action's preconditions are facts about the cluster, not about the journal.
func (r *run) resume(ctx context.Context) error {
	p, err := r.c.journal.Get(r.d.Name)
	if err != nil {
		return fmt.Errorf("the journal of an interrupted action cannot be read: %w; look at it, then remove it to let the controller plan from the cluster as it is", err)
	}
	if p == nil {
		return nil
	}
	var a reconciler.Action
	if err := json.Unmarshal(p.ActionJSON, &a); err != nil || len(a.Steps) != p.Steps {
		return fmt.Errorf("the journal record of %s (%s) does not decode (%v); look at %s/journal, then remove it to let the controller plan from the cluster as it is", p.Summary, p.Kind, err, r.c.cfg.StateDir)
	}
	ref := reconciler.ActionRef{Index: p.Action, Count: p.Actions, Action: &a, Backups: p.Backups}
	r.before = p.VersionsBefore
	where := "before its first step"
	if p.Step > 0 {
		where = fmt.Sprintf("at step %d of %d (%s), %s", p.Step, p.Steps, a.Steps[p.Step-1], phaseText(p.Phase))
	}
	r.log.Warn("resuming an interrupted action", "action", p.Summary, "where", where, "interrupted_run", p.RunID, "interrupted_replica", p.Replica)
	if err := r.append(ref, p.Step, "resume", "interrupted", nil, func(e *journal.Entry) {
		e.Reason = fmt.Sprintf("run %s of replica %s stopped %s", p.RunID, p.Replica, where)
	}); err != nil {
		return err
	}
	for j, s := range a.Steps {
		if !s.Always || j+1 < p.Step || (j+1 == p.Step && p.Phase != "intent") {
			continue
		}
		err := r.conn.Exec(ctx, s)
		result := "ok"
		if err != nil {
			result = "failed"
		}
		if jerr := r.append(ref, j+1, "resume-always", result, err, nil); jerr != nil {
			return jerr
		}
		if err != nil {
			return fmt.Errorf("resuming %s: its closing step %q failed: %w; run it by hand, then the controller continues", p.Summary, s, err)
		}
	}
	obs, err := r.conn.Observe(ctx)
	if err != nil {
		return fmt.Errorf("observing to resume %s: %w (the journal record is kept)", p.Summary, err)
	}
	judged := judge(a, p, obs)
	r.log.Info("interrupted action judged", "action", p.Summary, "judgement", judged)
	if err := r.append(ref, p.Step, "resume-judged", judged, nil, func(e *journal.Entry) { e.VersionsAfter = versions(obs) }); err != nil {
		return err
	}
	return r.c.journal.Clear(r.d.Name)
}

func phaseText(phase string) string {
	switch phase {
	case "intent":
		return "which may or may not have run"
	case "done":
		return "which had finished"
	case "failed":
		return "which had failed"
	}
	return phase
}

// judge says, from a fresh observation, what the interrupted step and the
// action came to.
func judge(a reconciler.Action, p *journal.Pending, obs *state.Cluster) string {
	var step string
	if p.Step > 0 && p.Phase == "intent" {
		switch stepEffect(a.Steps[p.Step-1], obs) {
		case effectYes:
			step = fmt.Sprintf("step %d took effect; ", p.Step)
		case effectNo:
			step = fmt.Sprintf("step %d did not take effect; ", p.Step)
		default:
			step = fmt.Sprintf("step %d's effect is not visible in an observation (it is safe to repeat); ", p.Step)
		}
	}
	for _, f := range a.Post {
		if f.Check(obs) != nil {
			return step + "the action is not complete; the rest is planned from the observation"
		}
	}
	return step + "the action is complete"
}

type effect int

const (
	effectUnknown effect = iota
	effectYes
	effectNo
)

// stepEffect tells whether s's effect is visible in obs.
func stepEffect(s reconciler.Step, obs *state.Cluster) effect {
	n := obs.Node(s.Node)
	if n == nil {
		return effectUnknown
	}
	yes := func(b bool) effect {
		if b {
			return effectYes
		}
		return effectNo
	}
	unit := func() string {
		if s.Unit == "corosync" {
			return n.Corosync
		}
		return n.PVECluster
	}
	switch s.Kind {
	case reconciler.StepStopService:
		if s.Unit == "corosync" || s.Unit == "pve-cluster" {
			return yes(unit() != "" && unit() != state.Active)
		}
	case reconciler.StepStartService:
		if s.Unit == "corosync" || s.Unit == "pve-cluster" {
			return yes(unit() == state.Active)
		}
	case reconciler.StepInstallFile:
		if n.LocalConf.Present {
			return yes(n.LocalConf.Digest == s.Digest)
		}
	case reconciler.StepEditClusterConf:
		if n.ClusterConf.Present {
			return yes(n.ClusterConf.Version >= s.Version)
		}
	}
	return effectUnknown
}
