package reconciler

import (
	"fmt"
	"strings"
)

// Risk says in one line what could go wrong while the action runs: the
// quorum margin its vote arithmetic leaves, and what else it relies on.
func (a Action) Risk() string {
	var parts []string
	if v := a.Votes; v != nil {
		margin := v.After.Present - v.After.Quorum
		switch {
		case !v.After.Quorate:
			parts = append(parts, "leaves the cluster without quorum")
		case margin == 0:
			parts = append(parts, "no margin: one more vote lost during it and the cluster is inquorate")
		default:
			parts = append(parts, fmt.Sprintf("quorum margin %d vote(s) after it", margin))
		}
	}
	for _, s := range a.Steps {
		switch s.Kind {
		case StepHADisarm:
			parts = append(parts, "HA is disarmed cluster-wide until it ends")
		case StepStopService:
			if s.Unit == unitCorosync {
				parts = append(parts, s.Node+" is out of the membership until corosync is back")
			}
		}
	}
	switch a.Kind {
	case RemoveLink:
		parts = append(parts, "the cluster relies on its other links meanwhile")
	case JoinMember:
		parts = append(parts, "expected votes rise before the new node is counted")
	case SetupQDevice, RemoveQDevice:
		parts = append(parts, "corosync-qdevice restarts on every member")
	}
	if len(parts) == 0 {
		return "none beyond a corosync reload"
	}
	return strings.Join(parts, "; ")
}

// Markdown renders the changeset for a pull-request comment: a summary
// table with the vote arithmetic and risk of each action, the steps and
// checks in a collapsed section, the diffs, and what is not changed. The
// output is stable for the same Changeset.
func (c *Changeset) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Cluster `%s`: %d to change, %d blocked\n\n", c.Cluster, len(c.Actions), len(c.Blocked))
	if c.Converged() {
		b.WriteString("No changes. The cluster matches its declaration.\n")
		return b.String()
	}
	if len(c.Actions) > 0 {
		b.WriteString("| # | Action | Votes (present/expected, quorum) | Risk |\n|---|---|---|---|\n")
		for i, a := range c.Actions {
			votes := "—"
			if v := a.Votes; v != nil {
				votes = fmt.Sprintf("%d/%d q%d → %d/%d q%d", v.Before.Present, v.Before.Expected, v.Before.Quorum, v.After.Present, v.After.Expected, v.After.Quorum)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, mdCell(a.Summary()), votes, mdCell(a.Risk()))
		}
		b.WriteString("\n<details><summary>Why, steps and checks</summary>\n\n")
		for i, a := range c.Actions {
			fmt.Fprintf(&b, "%d. **%s** (`%s`)\n   - why: %s\n", i+1, mdCell(a.Summary()), a.Kind, mdCell(a.Reason))
			for _, f := range a.Pre {
				fmt.Fprintf(&b, "   - before: %s\n", mdCell(f.String()))
			}
			for j, s := range a.Steps {
				fmt.Fprintf(&b, "   - step %d: %s\n", j+1, mdCell(s.String()))
			}
			for _, f := range a.Post {
				fmt.Fprintf(&b, "   - after: %s\n", mdCell(f.String()))
			}
			if a.Diff != "" {
				fmt.Fprintf(&b, "\n   ```diff\n%s   ```\n", indent(a.Diff, "   "))
			}
		}
		b.WriteString("\n</details>\n")
	}
	if len(c.Blocked) > 0 {
		b.WriteString("\n**Not changed by this plan:**\n\n")
		for _, x := range c.Blocked {
			fmt.Fprintf(&b, "- `%s`: %s. *What to do:* %s\n", x.Target, mdCell(x.Reason), mdCell(x.Do))
		}
	}
	fmt.Fprintf(&b, "\n<sub>observation %s</sub>\n", c.Fingerprint)
	return b.String()
}

// mdCell keeps text on one line and out of table syntax.
func mdCell(s string) string {
	return strings.NewReplacer("\n", " ", "|", "\\|").Replace(s)
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString(prefix + line)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
