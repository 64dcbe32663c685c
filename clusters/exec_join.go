package clusters

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/reconciler"
)

// Joining a member: `pvecm add` run on the node that joins (reference §2.9,
// §3.2). Every field of the step is checked before a command is built, and
// root@pam's password travels only on the command's standard input: it is
// read from the declaration's secret at execution time and never appears in
// a command line, a log line or an error.

// Limits of the join parameters (reference §2.9; corosync nodeids are
// positive, Proxmox's API caps the password at 128 characters).
const (
	maxNodeID      = 65535
	maxVotes       = 255
	maxPasswordLen = 128
	maxLink        = 7
)

// joinSuccess is the last line a successful join prints (finish_join,
// reference §2.9 step 6).
const joinSuccess = "successfully added node"

// validateJoin refuses a join step whose fields could not have come from a
// sound plan. It returns the peer, the fingerprint in canonical form and the
// link addresses by link number.
func (r *Remote) validateJoin(s reconciler.Step) (peer, fp string, links map[int]string, err error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("step %s: %s; the plan is damaged, nothing was run", s, fmt.Sprintf(format, a...))
	}
	if a, perr := netip.ParseAddr(s.Peer); perr == nil {
		if a.Zone() != "" {
			return "", "", nil, bad("peer %q has an IPv6 zone; give a plain address", s.Peer)
		}
		peer = a.String()
	} else if nodeName.MatchString(s.Peer) {
		peer = s.Peer
	} else {
		return "", "", nil, bad("peer %q is neither an IP address nor a node name", s.Peer)
	}
	if peer == s.Node {
		return "", "", nil, bad("%s cannot join through itself", s.Node)
	}
	sum, ferr := pveapi.ParseFingerprint(s.Fingerprint)
	if ferr != nil || strings.TrimSpace(s.Fingerprint) != s.Fingerprint {
		return "", "", nil, bad("fingerprint %q is not 32 colon-separated hex bytes", s.Fingerprint)
	}
	fp = pveapi.FormatFingerprint(sum)
	if s.NodeID < 1 || s.NodeID > maxNodeID {
		return "", "", nil, bad("nodeid %d is outside 1..%d", s.NodeID, maxNodeID)
	}
	if s.Votes < 1 || s.Votes > maxVotes {
		return "", "", nil, bad("votes %d is outside 1..%d", s.Votes, maxVotes)
	}
	if len(s.Links) == 0 {
		return "", "", nil, bad("no link addresses (quorate always passes them: without them pvecm guesses the node's address)")
	}
	links = map[int]string{}
	for _, l := range s.Links {
		if l.Link < 0 || l.Link > maxLink {
			return "", "", nil, bad("link %d is outside 0..%d", l.Link, maxLink)
		}
		if _, dup := links[l.Link]; dup {
			return "", "", nil, bad("link %d is given twice", l.Link)
		}
		a, aerr := netip.ParseAddr(l.Address)
		if aerr != nil || a.Zone() != "" {
			return "", "", nil, bad("link%d address %q is not an IP address", l.Link, l.Address)
		}
		if a.String() == peer {
			return "", "", nil, bad("link%d address %s is the peer's own address", l.Link, l.Address)
		}
		links[l.Link] = a.String()
	}
	return peer, fp, links, nil
}

// rootPassword reads root@pam's password now (so a rotated secret is used)
// and checks it fits pvecm's one-line read.
func (r *Remote) rootPassword(s reconciler.Step) (string, error) {
	pw, err := r.decl.RootPassword()
	if err != nil {
		// RootPassword's errors name the field and the file or variable only.
		return "", fmt.Errorf("step %s: %w; nothing was run", s, err)
	}
	if strings.ContainsAny(pw, "\r\n") {
		return "", fmt.Errorf("step %s: spec.access.rootPassword contains a line break, but pvecm add reads one line from standard input; nothing was run", s)
	}
	if len(pw) > maxPasswordLen {
		return "", fmt.Errorf("step %s: spec.access.rootPassword is %d characters long; Proxmox accepts at most %d; nothing was run", s, len(pw), maxPasswordLen)
	}
	return pw, nil
}

// join runs `pvecm add` on m. pvecm add is a synchronous worker whose
// failure does not change its exit code (reference §3, §11.4), so success is
// the "successfully added node" line and nothing else.
func (r *Remote) join(ctx context.Context, m *api.Member, s reconciler.Step) error {
	peer, fp, links, err := r.validateJoin(s)
	if err != nil {
		return err
	}
	pw, err := r.rootPassword(s)
	if err != nil {
		return err
	}
	res, err := r.run(ctx, m, CmdJoin(peer, fp, s.NodeID, s.Votes, links), []byte(pw+"\n"))
	if err != nil {
		if strings.Contains(err.Error(), pw) {
			return fmt.Errorf("%s: %s", s, scrub(err.Error(), pw))
		}
		return fmt.Errorf("%s: %w", s, err)
	}
	out := scrub(string(res.Stdout)+"\n"+string(res.Stderr), pw)
	if strings.Contains(out, joinSuccess) {
		return nil
	}
	return &StepError{Step: s, Code: res.Code, Msg: joinFailure(out, r.peerField(peer))}
}

// peerField names the declaration field that pins peer's certificate, for
// the hint after a fingerprint failure.
func (r *Remote) peerField(peer string) string {
	for i := range r.decl.Spec.Members {
		m := &r.decl.Spec.Members[i]
		if m.Name == peer || m.Management.Host == peer {
			return fmt.Sprintf("spec.members[%d].management.fingerprint", i)
		}
		for _, a := range m.Addresses {
			if a.Address == peer {
				return fmt.Sprintf("spec.members[%d].management.fingerprint", i)
			}
		}
	}
	return "the peer's management.fingerprint"
}

// scrub replaces every occurrence of the password in text.
func scrub(text, pw string) string {
	if pw == "" {
		return text
	}
	return strings.ReplaceAll(text, pw, "<password>")
}

// joinFailure explains a pvecm add that did not report success: the lines
// that say why (Proxmox's wording, reference §2.9, §3.2), or the last lines
// when none of the known ones is there, and what to do.
// fpField names the declaration field that pins the peer's certificate.
func joinFailure(out, fpField string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var picked []string
	var hints []string
	seen := map[string]bool{}
	pick := func(l string) {
		if len(l) > 200 {
			l = l[:200] + "..."
		}
		if !seen[l] {
			seen[l] = true
			picked = append(picked, l)
		}
	}
	hint := func(h string) {
		for _, x := range hints {
			if x == h {
				return
			}
		}
		hints = append(hints, h)
	}
	for i, l := range lines {
		lower := strings.ToLower(l)
		switch {
		case strings.HasPrefix(l, "detected the following error(s):"):
			pick(l)
			for _, n := range lines[i+1:] {
				if !strings.HasPrefix(n, "* ") {
					break
				}
				pick(n)
			}
			hint("Proxmox's join check refused the node; nothing was changed on the cluster; fix the node and apply again")
		case strings.HasPrefix(l, "An error occurred on the cluster node:"):
			pick(l)
			for _, n := range lines[i+1:] {
				if !strings.HasPrefix(n, "* ") && !strings.HasPrefix(n, "! ") {
					break
				}
				pick(n)
			}
			hint("the cluster refused to add the node; observe and plan again before retrying")
		case strings.Contains(lower, "not verified"):
			pick(l)
			hint("the peer's certificate is not the pinned one: verify it with `pvenode cert info` on the peer and update " + fpField + "; nothing was changed")
		case strings.Contains(lower, "authentication failure") || strings.Contains(lower, "login failed"):
			pick(l)
			hint("root@pam's login was refused: check spec.access.rootPassword; nothing was changed")
		case l == "Check if node may join a cluster failed!" || l == "Cluster join aborted!":
			pick(l)
		}
	}
	if len(picked) == 0 {
		from := max(0, len(lines)-3)
		for _, l := range lines[from:] {
			pick(l)
		}
		hint("observe and plan again: the node may or may not be in the cluster now")
	}
	if len(picked) == 0 {
		picked = []string{"(no output)"}
	}
	return fmt.Sprintf("pvecm add did not report %q (it exits 0 even after a failed join, reference §3, §11.4): %s. %s",
		joinSuccess, strings.Join(quoteAll(picked), " "), strings.Join(hints, "; "))
}

func quoteAll(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = fmt.Sprintf("%q", l)
	}
	return out
}
