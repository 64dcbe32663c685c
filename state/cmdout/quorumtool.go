package cmdout

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/state"
)

const quorumtool = "corosync-quorumtool -s"

// Section titles of corosync-quorumtool -s, plus the block pvecm status prints
// before it (reference §3.6).
const (
	secNone       = ""
	secCluster    = "Cluster information"
	secQuorum     = "Quorum information"
	secVotequorum = "Votequorum information"
	secMembership = "Membership information"
)

// requiredQuorumFields are the labels corosync-quorumtool -s always prints
// (reference §3.6, corosync-lab §3). Output without one of them was cut short
// or is not votequorum's.
var requiredQuorumFields = []string{
	"Nodes", "Node ID", "Quorate",
	"Expected votes", "Highest expected", "Total votes", "Quorum", "Flags",
}

// ParseQuorumtool parses the output of `corosync-quorumtool -s` as reference
// §3.6 and corosync-lab §3–§4 show it, with or without -i (addresses as names)
// and -H (hex node IDs), with or without the Qdevice column. The output of
// `pvecm status` is accepted too: its "Cluster information" block (which reads
// /etc/pve/corosync.conf, not the running corosync) is skipped.
//
// Flags keep their printed order; an empty "Flags:" line gives an empty,
// non-nil slice. Members keep their printed order. The qdevice row has NodeID
// 0 and Name "Qdevice"; its " (votes N)" suffix (configured votes while the
// device is not casting them) is dropped, Votes is the column value. Local
// marks the " (local)" row.
//
// It returns an error, never a partial value, when a line does not fit its
// section, a required field is missing, or the member table holds fewer or
// more nodes than the "Nodes:" line announced (output cut short).
func ParseQuorumtool(out []byte) (*state.Quorum, error) {
	q := &state.Quorum{Flags: []string{}, Members: []state.Member{}}
	seen := map[string]bool{}
	section := secNone
	haveHeader, qdeviceColumn := false, false
	for i, line := range splitLines(out) {
		n := i + 1
		t := strings.TrimSpace(line)
		switch t {
		case "":
			continue
		case secCluster, secQuorum, secVotequorum, secMembership:
			section = t
			continue
		}
		if strings.Trim(t, "-") == "" {
			continue // the underline below a section title
		}
		switch section {
		case secNone:
			return nil, lineError(quorumtool, n, "%s comes before any section; is corosync running?", quoteLine(t))
		case secCluster:
			// pvecm's own block: values from the file, not from corosync.
		case secQuorum, secVotequorum:
			label, value, ok := strings.Cut(t, ":")
			if !ok {
				return nil, lineError(quorumtool, n, "%s is not a \"Label: value\" line", quoteLine(t))
			}
			if err := setQuorumField(q, label, strings.TrimSpace(value)); err != nil {
				return nil, lineError(quorumtool, n, "%s", err)
			}
			seen[label] = true
		case secMembership:
			if !haveHeader {
				cols := strings.Fields(t)
				if len(cols) < 3 || cols[0] != "Nodeid" || cols[1] != "Votes" || cols[len(cols)-1] != "Name" {
					return nil, lineError(quorumtool, n, "expected the member table header \"Nodeid Votes [Qdevice] Name\", got %s", quoteLine(t))
				}
				haveHeader, qdeviceColumn = true, len(cols) == 4 && cols[2] == "Qdevice"
				continue
			}
			m, err := parseMemberRow(t, qdeviceColumn)
			if err != nil {
				return nil, lineError(quorumtool, n, "%s", err)
			}
			q.Members = append(q.Members, m)
		}
	}
	var missing []string
	for _, f := range requiredQuorumFields {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	if !haveHeader {
		missing = append(missing, "member table")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: output lacks %s (cut short, or corosync not running?)", quorumtool, strings.Join(missing, ", "))
	}
	// "Nodes:" and the table both come from the same view list in
	// corosync-quorumtool, so a mismatch means the output was cut short.
	nodes := 0
	for _, m := range q.Members {
		if m.NodeID != 0 {
			nodes++
		}
	}
	if nodes != q.Nodes {
		return nil, fmt.Errorf("%s: \"Nodes: %d\" but the member table lists %d nodes (output cut short?)", quorumtool, q.Nodes, nodes)
	}
	return q, nil
}

// setQuorumField stores one "Label: value" line of the Quorum and Votequorum
// sections. Labels it does not use (Date, Quorum provider, any future ones)
// are ignored.
func setQuorumField(q *state.Quorum, label, value string) error {
	var err error
	switch label {
	case "Nodes":
		q.Nodes, err = parseCount("Nodes", value)
	case "Node ID":
		q.NodeID, err = parseNodeID(value)
	case "Ring ID":
		q.RingID = value
	case "Quorate":
		switch value {
		case "Yes":
			q.Quorate = true
		case "No":
			q.Quorate = false
		default:
			err = fmt.Errorf("Quorate is %s, want Yes or No", quoteLine(value))
		}
	case "Expected votes":
		q.ExpectedVotes, err = parseCount("Expected votes", value)
	case "Highest expected":
		q.HighestExpected, err = parseCount("Highest expected", value)
	case "Total votes":
		q.TotalVotes, err = parseCount("Total votes", value)
	case "Quorum":
		// "2  " when quorate, "2 Activity blocked" when not (reference §3.6);
		// Quorate: already says which.
		first, _, _ := strings.Cut(value, " ")
		q.Quorum, err = parseCount("Quorum", first)
	case "Flags":
		q.Flags = append([]string{}, strings.Fields(value)...)
	}
	return err
}

// parseMemberRow reads one row of the member table: node ID, votes, the
// qdevice flags when that column is present and filled, the name, and the
// " (local)" and " (votes N)" suffixes (reference §3.6). Names never contain
// spaces (node names and addresses), so fields are split on whitespace.
func parseMemberRow(t string, qdeviceColumn bool) (state.Member, error) {
	var m state.Member
	f := strings.Fields(t)
	if len(f) > 0 && f[len(f)-1] == "(local)" {
		m.Local = true
		f = f[:len(f)-1]
	}
	if len(f) >= 2 && f[len(f)-2] == "(votes" {
		if _, err := parseCount("qdevice votes", strings.TrimSuffix(f[len(f)-1], ")")); err != nil || !strings.HasSuffix(f[len(f)-1], ")") {
			return m, fmt.Errorf("member row %s: bad \"(votes N)\" suffix", quoteLine(t))
		}
		f = f[:len(f)-2]
	}
	switch {
	case len(f) == 3:
		m.Name = f[2]
	case len(f) == 4 && qdeviceColumn:
		m.Qdevice, m.Name = f[2], f[3]
	default:
		return m, fmt.Errorf("member row %s: want \"NODEID VOTES [QDEVICE] NAME [(local)]\"", quoteLine(t))
	}
	var err error
	if m.NodeID, err = parseNodeID(f[0]); err != nil {
		return m, fmt.Errorf("member row %s: %w", quoteLine(t), err)
	}
	if m.Votes, err = parseCount("votes", f[1]); err != nil {
		return m, fmt.Errorf("member row %s: %w", quoteLine(t), err)
	}
	return m, nil
}
