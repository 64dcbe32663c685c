package corosync

import (
	"errors"
	"testing"
)

// TestParseErrors: messages are Proxmox's own, spelling included
// (reference §4.1).
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"value with a space (reference §4.1 example)", "quorum {\n  auto_tie_breaker_node: 1 3 5\n}\n", "missing ':' after key '3'"},
		{"key without colon", "totem {\n  version 2\n}\n", "missing ':' after key 'version'"},
		{"key:value in one token", "totem {\n  version:2\n}\n", "missing ':' after key 'version:2'"},
		{"brace glued to the section name", "totem{\n  version: 2\n}\n", "missing ':' after key 'totem{'"},
		{"key at the end of the file", "totem {\n  version: 2\n}\nlogging:", "parse error - no value for 'logging'"},
		{"key at the end after a comment", "totem {\n  version:   # two\n", "parse error - no value for 'version'"},
		{"stray closing brace", "totem {\n}\n}\n", "parse error - uncexpected '}'"},
		{"closing brace first", "}", "parse error - uncexpected '}'"},
		{"repeated totem", "totem {\n}\ntotem {\n}\n", "section 'totem' already exists and not marked as array!"},
		{"repeated nested section", "quorum {\n  device {\n  }\n  device {\n  }\n}\n", "section 'device' already exists and not marked as array!"},
		{"section over a leaf of the same name", "totem: x\ntotem {\n}\n", "section 'totem' already exists and not marked as array!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %s", c.Bytes())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

// TestParseTokenizer pins parse_conf's text rules (reference §4.1): comments
// to end of line are dropped, all whitespace is one separator, sections may be
// left unclosed, node/interface repeat, and a later leaf replaces an earlier one.
func TestParseTokenizer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // Bytes() of the result
	}{
		{"one line, comments, tabs", "totem { version: 2 # proto\n\tcluster_name:\tx }", "totem {\n  cluster_name: x\n  version: 2\n}\n\n"},
		{"CRLF and vertical tab, form feed are whitespace", "totem {\r\n\vversion:\f2\r\n}\r\n", "totem {\n  version: 2\n}\n\n"},
		{"no-break space is not whitespace (Perl \\s on bytes)", "totem {\n  cluster_name: a\u00a0b\n}\n", "totem {\n  cluster_name: a\u00a0b\n}\n\n"},
		{"unclosed section is accepted", "totem {\n  version: 2\n", "totem {\n  version: 2\n}\n\n"},
		{"later leaf wins", "totem {\n  version: 1\n  version: 2\n}\n", "totem {\n  version: 2\n}\n\n"},
		{"hash inside a value cuts it", "totem {\n  cluster_name: a#b\n}\n", "totem {\n  cluster_name: a\n}\n\n"},
		{"leaf at top level", "x: 1\n", "x: 1\n"},
		{"only comments", "# nothing\n#\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := string(c.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestParseArraysKeyed: after parsing, nodes are keyed by name (else
// ring0_addr) and interfaces by linknumber (else ringnumber); a later
// duplicate replaces an earlier one (reference §4.1).
func TestParseArraysKeyed(t *testing.T) {
	in := `nodelist {
  node {
    name: b
    nodeid: 2
  }
  node {
    ring0_addr: 10.0.0.9
    nodeid: 9
  }
  node {
    name: b
    nodeid: 3
  }
  node {
    name: a
    nodeid: 1
  }
}
totem {
  interface {
    ringnumber: 1
  }
  interface {
    linknumber: 0
    knet_link_priority: 5
  }
  interface {
    linknumber: 0
  }
}
`
	c, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	nodes := c.Nodes()
	var got []string
	for _, n := range nodes {
		got = append(got, n.Name)
	}
	if want := []string{"10.0.0.9", "a", "b"}; !equalStrings(got, want) {
		t.Errorf("node order %q, want %q (sorted keys, name falls back to ring0_addr)", got, want)
	}
	if nodes[2].NodeID != 3 {
		t.Errorf("node b has nodeid %d, want 3 (the later duplicate wins)", nodes[2].NodeID)
	}
	ifs := c.Interfaces()
	if len(ifs) != 2 || ifs[0] != (Interface{Number: 0}) || ifs[1] != (Interface{Number: 1}) {
		t.Errorf("interfaces %+v, want link 0 (later one, no priority) then ring 1", ifs)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
