package clusters

import (
	"context"
	"fmt"
	"strings"

	"github.com/quorate/quorate/clusters/sshrun"
)

// RunOn runs one command line on the declared member named node, over the
// Remote's SSH runner, with stdin as its standard input (nil for none). As
// with Runner, a non-zero exit is a Result and errors are transport
// failures; a name that is not a declared member is an error naming it and
// the members, and nothing is run. clusters/lock uses it to take and renew
// the cluster lock on a chosen member.
func (r *Remote) RunOn(ctx context.Context, node, cmd string, stdin []byte) (sshrun.Result, error) {
	m := r.decl.Member(node)
	if m == nil {
		names := make([]string, len(r.decl.Spec.Members))
		for i := range r.decl.Spec.Members {
			names[i] = r.decl.Spec.Members[i].Name
		}
		return sshrun.Result{}, fmt.Errorf("cluster %q: %q is not a declared member (spec.members: %s); nothing was run",
			r.decl.Metadata.Name, node, strings.Join(names, ", "))
	}
	return r.run(ctx, m, cmd, stdin)
}
