package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// want is one expected problem: its line, path and a substring of its
// message or hint.
type want struct {
	line int
	path string
	msg  string
}

func loadProblems(t *testing.T, src string) Errors {
	t.Helper()
	c, err := LoadBytes("cluster.yaml", []byte(src))
	if err == nil {
		t.Fatalf("LoadBytes accepted the input: %+v", c)
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err is %T (%v), want *Errors", err, err)
	}
	if c != nil {
		t.Errorf("LoadBytes returned a Cluster along with errors")
	}
	return *errs
}

func checkProblems(t *testing.T, got Errors, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d problem(s), want %d:\n%s", len(got), len(wants), got.Error())
	}
	for i, w := range wants {
		g := got[i]
		if g.File != "cluster.yaml" || g.Line != w.line || g.Path != w.path || !strings.Contains(g.Message+"; "+g.Hint, w.msg) {
			t.Errorf("problem %d = %s (line %d, path %q)\nwant line %d, path %q, mentioning %q", i, g.Error(), g.Line, g.Path, w.line, w.path, w.msg)
		}
	}
}

// lastLine is the number of validYAML's last line.
var lastLine = strings.Count(validYAML, "\n")

func TestLoad_DocumentProblems(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []want
	}{
		{"empty file", "", []want{{0, "", "the file is empty"}}},
		{"only comments", "# nothing yet\n\n", []want{{0, "", "the file is empty"}}},
		{"only a separator", "---\n", []want{{1, "", "the document is empty"}}},
		{"second document", validYAML + "---\nkind: Cluster\n", []want{{lastLine + 1, "", "second YAML document"}}},
		{"syntax error with its line", "apiVersion: x\nkind: [\n", []want{{2, "", "YAML syntax error"}}},
		{"tab indentation", "apiVersion: x\nmetadata:\n\tname: lab\n", []want{{3, "", "no tabs"}}},
		{"top level is a list", "- a\n- b\n", []want{{1, "", "expected a mapping"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, loadProblems(t, tc.src), tc.want) })
	}
}

func TestLoad_TrailingSeparatorIsAccepted(t *testing.T) {
	mustLoad(t, "cluster.yaml", validYAML+"---\n")
	mustLoad(t, "cluster.yaml", "---\n"+validYAML+"...\n")
}

func TestLoad_SchemaProblems(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		want     []want
	}{
		{"unknown field suggests the near name", "          address: 10.10.10.1", "          adress: 10.10.10.1",
			[]want{{lineMember0Addr, "spec.members[0].addresses[0].adress", `did you mean "address"`}}},
		{"wrong case suggests the right name", "      nodeid: 1\n", "      nodeID: 1\n",
			[]want{{lineMember0NodeID, "spec.members[0].nodeID", `did you mean "nodeid"`}}},
		{"unknown field lists the allowed ones", "kind: Cluster\n", "kind: Cluster\nstatus: ok\n",
			[]want{{3, "status", "fields allowed here: apiVersion, kind, metadata, spec"}}},
		{"inline secret is refused", "        secretFile: token.secret\n", "        secret: 1234\n",
			[]want{{10, "spec.access.api.token.secret", "never written in this file"}}},
		{"duplicate key", "      nodeid: 1\n", "      nodeid: 1\n      nodeid: 4\n",
			[]want{{lineMember0NodeID + 1, "spec.members[0].nodeid", "set twice (first at line 18)"}}},
		{"word for a number", "      nodeid: 1\n", "      nodeid: one\n",
			[]want{{lineMember0NodeID, "spec.members[0].nodeid", `"one" is not a whole number`}}},
		{"quoted number", "      nodeid: 1\n", "      nodeid: \"1\"\n",
			[]want{{lineMember0NodeID, "spec.members[0].nodeid", "without quotes"}}},
		{"number too large", "      nodeid: 1\n", "      nodeid: 99999999999999999999\n",
			[]want{{lineMember0NodeID, "spec.members[0].nodeid", "not a whole number"}}},
		{"duration without unit", "    ssh:\n", "    ssh:\n      timeout: 10\n",
			[]want{{12, "spec.access.ssh.timeout", "such as 10s"}}},
		{"word for a boolean", "  links:\n", "  quorum:\n    twoNode: maybe\n  links:\n",
			[]want{{15, "spec.quorum.twoNode", "write true or false"}}},
		{"scalar for a list", "  links:\n    - number: 0\n", "  links: 0\n",
			[]want{{lineLinks, "spec.links", "expected a list"}}},
		{"list for a scalar", "  name: lab\n", "  name: [lab]\n",
			[]want{{4, "metadata.name", "expected a single value, found a list"}}},
		{"scalar for a mapping", "metadata:\n  name: lab\n", "metadata: lab\n",
			[]want{{3, "metadata", `expected a mapping (name: value lines), found the value "lab"`}}},
		{"merge key", "      management:\n        host: 127.0.0.1\n", "      management:\n        <<: {host: 127.0.0.1}\n",
			[]want{{23, "spec.members[0].management", "merge keys"}}},
		{"several problems in line order", "  name: lab\n", "  name: lab\n  labels: {}\n",
			[]want{{5, "metadata.labels", "unknown field"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, loadProblems(t, edit(t, tc.old, tc.new)), tc.want) })
	}
}

func TestLoad_SeveralProblemsSortedByLine(t *testing.T) {
	src := edit(t, "          address: 10.10.10.2\n", "          adress: 10.10.10.2\n")
	src = strings.Replace(src, "kind: Cluster\n", "kind: Cluster\nstatus: {}\n", 1) // shifts lines by 1
	src = strings.Replace(src, "      nodeid: 1\n", "      nodeid: x\n", 1)
	checkProblems(t, loadProblems(t, src), []want{
		{3, "status", "unknown field"},
		{lineMember0NodeID + 1, "spec.members[0].nodeid", "whole number"},
		{lineMember1Addr + 1, "spec.members[1].addresses[0].adress", "unknown field"},
	})
}

func TestLoad_ValidationProblemsGetLines(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		want     []want
	}{
		{"at the offending value", "address: 10.10.10.2", "address: 10.0.0.300",
			[]want{{lineMember1Addr, "spec.members[1].addresses[0].address", "not an IP address"}}},
		{"explicit zero is not replaced by the default, ref 2.6 item 10", "      nodeid: 1\n", "      nodeid: 1\n      votes: 0\n",
			[]want{{lineMember0NodeID + 1, "spec.members[0].votes", "counts 1 vote"}}},
		{"explicit zero port", "    ssh:\n", "    ssh:\n      port: 0\n",
			[]want{{12, "spec.access.ssh.port", "not a TCP port"}}},
		{"explicit zero maxSessions", "    ssh:\n", "    ssh:\n      maxSessions: 0\n",
			[]want{{12, "spec.access.ssh.maxSessions", "1..10"}}},
		{"explicit zero timeout", "    ssh:\n", "    ssh:\n      timeout: 0s\n",
			[]want{{12, "spec.access.ssh.timeout", "positive"}}},
		{"explicit empty qdevice algorithm", "  links:\n", "  qdevice:\n    host: 192.0.2.9\n    algorithm: \"\"\n  links:\n",
			[]want{{16, "spec.qdevice.algorithm", "not an algorithm"}}},
		{"missing field points at its parent mapping", "      nodeid: 1\n", "",
			[]want{{lineMember0, "spec.members[0].nodeid", "1..65535"}}},
		{"missing section points at the enclosing mapping", "metadata:\n  name: lab\n", "",
			[]want{{1, "metadata.name", "is required"}}},
		{"list problem points at its key", "    - number: 0\n", "    - number: 1\n",
			[]want{
				{lineLinks, "spec.links", "link 0 is not declared"},
				{lineMember0Addrs, "spec.members[0].addresses", "no address for link 1"},
				{lineMember0Addrs + 1, "spec.members[0].addresses[0].link", "link 0 is not declared"},
				{lineMember1Addr - 2, "spec.members[1].addresses", "no address for link 1"},
				{lineMember1Addr - 1, "spec.members[1].addresses[0].link", "link 0 is not declared"},
			}},
		{"host name as ring address, ref 4.4", "address: 10.10.10.2", "address: pve2.lan",
			[]want{{lineMember1Addr, "spec.members[1].addresses[0].address", "host name"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, loadProblems(t, edit(t, tc.old, tc.new)), tc.want) })
	}
	t.Run("rule order becomes line order", func(t *testing.T) {
		src := edit(t, "address: 10.10.10.2", "address: 10.0.0.300")
		src = strings.Replace(src, "  name: lab\n", "  name: lab_1\n", 1)
		checkProblems(t, loadProblems(t, src), []want{
			{4, "metadata.name", "not a valid cluster name"},
			{lineMember1Addr, "spec.members[1].addresses[0].address", "not an IP address"},
		})
	})
}

func TestLoad_ErrorText(t *testing.T) {
	// The exact form operators see (one problem per line, file:line first).
	src := edit(t, "address: 10.10.10.2", "address: 10.0.0.300")
	src = strings.Replace(src, "  name: lab\n", "  name: lab_1\n", 1)
	_, err := LoadBytes("cluster.yaml", []byte(src))
	wantText := strings.Join([]string{
		`cluster.yaml:4: metadata.name: "lab_1" is not a valid cluster name; use letters, digits and inner hyphens only (Proxmox's pve-node format, reference §2.3)`,
		fmt.Sprintf(`cluster.yaml:%d: spec.members[1].addresses[0].address: "10.0.0.300" is not an IP address; use the node's address on link 0`, lineMember1Addr),
	}, "\n")
	if err == nil || err.Error() != wantText {
		t.Fatalf("error text:\n%v\nwant:\n%s", err, wantText)
	}
}

func TestLoad_AliasExpansionIsBounded(t *testing.T) {
	// The schema has no recursion, so a type-correct alias bomb can only
	// multiply lists: 300 members sharing one 1000-address list expand to
	// 300,000 addresses from 1,300 written items.
	var b strings.Builder
	b.WriteString("apiVersion: quorate.dev/v1alpha1\nspec:\n  links: [{number: 0}]\n  members:\n")
	b.WriteString("    - name: m0\n      addresses: &ad\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "        - {link: 0, address: 10.0.%d.%d}\n", i/250, i%250+1)
	}
	for i := 1; i < 300; i++ {
		fmt.Fprintf(&b, "    - {name: m%d, addresses: *ad}\n", i)
	}
	errs := loadProblems(t, b.String())
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e.Message, "expands to more than")
	}
	if !found {
		t.Fatalf("no expansion limit reported:\n%s", errs.Error())
	}
}

func TestLoad_ProblemCountIsCapped(t *testing.T) {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "unknown%d: 1\n", i)
	}
	errs := loadProblems(t, b.String())
	if len(errs) != maxProblems+1 || !strings.Contains(errs[len(errs)-1].Message, "stopped looking") {
		t.Fatalf("got %d problems, last %q; want %d and a closing note", len(errs), errs[len(errs)-1].Message, maxProblems+1)
	}
}

func TestStrictDecode_PassesYAMLErrorsOnWithLines(t *testing.T) {
	// The schema walk normally catches these first; this is the fallback.
	doc := &document{file: "cluster.yaml"}
	var c Cluster
	errs := strictDecode(doc, []byte("kind: Cluster\nbogus: 1\n"), &c)
	if len(errs) != 1 || errs[0].Line != 2 || !strings.Contains(errs[0].Message, "bogus") {
		t.Fatalf("strictDecode = %+v, want one problem on line 2 naming bogus", errs)
	}
}
