package reconciler

import (
	"fmt"
	"strings"
)

// Text renders the changeset as stable plan text: the same Changeset always
// gives the same bytes (golden tests rely on it). The file Content of install
// steps is not printed; the diff shows it.
func (c *Changeset) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %q (observation %s)\n", c.Cluster, c.Fingerprint)
	if c.Converged() {
		b.WriteString("\nNo changes. The cluster matches its declaration.\n")
		return b.String()
	}
	for i, a := range c.Actions {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, a.Summary())
		fmt.Fprintf(&b, "   kind:   %s\n", a.Kind)
		fmt.Fprintf(&b, "   why:    %s\n", a.Reason)
		if a.Votes != nil {
			fmt.Fprintf(&b, "   votes:  before: %s\n", a.Votes.Before)
			fmt.Fprintf(&b, "           after:  %s\n", a.Votes.After)
		}
		b.WriteString("   before (checked again on a fresh observation):\n")
		for _, f := range a.Pre {
			fmt.Fprintf(&b, "     - %s\n", f)
		}
		b.WriteString("   steps:\n")
		for j, s := range a.Steps {
			fmt.Fprintf(&b, "     %d. %s\n", j+1, s)
		}
		b.WriteString("   after (verified):\n")
		for _, f := range a.Post {
			fmt.Fprintf(&b, "     - %s\n", f)
		}
		if a.Diff != "" {
			b.WriteString("   diff:\n")
			for _, line := range strings.Split(strings.TrimRight(a.Diff, "\n"), "\n") {
				fmt.Fprintf(&b, "     %s\n", line)
			}
		}
	}
	if len(c.Blocked) > 0 {
		b.WriteString("\nNot changed by this plan:\n")
		for _, x := range c.Blocked {
			fmt.Fprintf(&b, "  - %s: %s\n    what to do: %s\n", x.Target, x.Reason, x.Do)
		}
	}
	fmt.Fprintf(&b, "\nPlan: %d to change, %d blocked.\n", len(c.Actions), len(c.Blocked))
	return b.String()
}
