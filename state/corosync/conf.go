package corosync

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// arraySections are the section names that may repeat (Proxmox's
// $conf_array_sections).
var arraySections = map[string]bool{"node": true, "interface": true}

// Section is one brace-delimited block (or the file's top level). Every key holds
// exactly one of: a leaf value, a nested section, or a list of repeated sections
// ("node", "interface").
type Section struct {
	entries map[string]*entry
}

type entry struct {
	value    string
	section  *Section
	list     []*Section
	isValue  bool
	isList   bool
	isNested bool
}

// Config is a parsed corosync.conf.
type Config struct {
	// Main is the top level: normally logging, nodelist, quorum and totem.
	Main *Section
	// Digest is the SHA-1 hex of the raw bytes parsed, as Proxmox reports it in
	// config_digest ("" for a Config built in memory).
	Digest string
}

// ParseError is a syntax error, worded as Proxmox words it.
type ParseError struct{ Msg string }

// Error returns Proxmox's wording of the problem.
func (e *ParseError) Error() string { return e.Msg }

// Parse reads corosync.conf text with Proxmox's rules. Empty input gives an empty
// Config (Proxmox returns {} for it).
func Parse(raw []byte) (*Config, error) {
	c := &Config{Main: NewSection()}
	if len(raw) == 0 {
		return c, nil
	}
	sum := sha1.Sum(raw)
	c.Digest = hex.EncodeToString(sum[:])

	tokens := tokenize(string(raw))
	var stack []*Section
	cur := c.Main
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		if i+1 < len(tokens) && tokens[i+1] == "{" {
			i++
			ns := NewSection()
			e := cur.entries[tok]
			switch {
			case arraySections[tok]:
				if e == nil {
					e = &entry{isList: true}
					cur.entries[tok] = e
				} else if !e.isList {
					return nil, &ParseError{fmt.Sprintf("section '%s' already exists and not marked as array!", tok)}
				}
				e.list = append(e.list, ns)
			case e == nil:
				cur.entries[tok] = &entry{isNested: true, section: ns}
			default:
				return nil, &ParseError{fmt.Sprintf("section '%s' already exists and not marked as array!", tok)}
			}
			stack = append(stack, cur)
			cur = ns
			continue
		}
		if tok == "}" {
			if len(stack) == 0 {
				return nil, &ParseError{"parse error - uncexpected '}'"}
			}
			cur = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			continue
		}
		key, ok := strings.CutSuffix(tok, ":")
		if !ok {
			return nil, &ParseError{fmt.Sprintf("missing ':' after key '%s'", tok)}
		}
		if i+1 >= len(tokens) {
			return nil, &ParseError{fmt.Sprintf("parse error - no value for '%s'", key)}
		}
		i++
		cur.entries[key] = &entry{isValue: true, value: tokens[i]}
	}
	// Proxmox does not complain about unclosed sections; neither do we.
	c.normalizeArrays()
	return c, nil
}

// tokenize applies parse_conf's text rules: drop "#" to end of line, collapse
// whitespace, split on it.
func tokenize(raw string) []string {
	lines := strings.Split(raw, "\n")
	for i, l := range lines {
		if j := strings.IndexByte(l, '#'); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.FieldsFunc(strings.Join(lines, " "), isPerlSpace)
}

// isPerlSpace is Perl's \s on a byte string, which is how parse_conf sees the
// file (it is not decoded as UTF-8): ASCII space, \t, \n, \v, \f and \r only.
// strings.Fields would also split on U+0085 and U+00A0 and other Unicode
// spaces, which Proxmox keeps inside a token.
func isPerlSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// normalizeArrays keys nodelist.node by name (else ring0_addr) and
// totem.interface by linknumber (else ringnumber), as parse_conf does: a later
// section with the same key replaces an earlier one, and the order becomes the
// writer's (sorted by key as a string).
func (c *Config) normalizeArrays() {
	if nl := c.Main.Section("nodelist"); nl != nil {
		nl.dedupe("node", func(s *Section) string {
			if v, ok := s.Value("name"); ok {
				return v
			}
			v, _ := s.Value("ring0_addr")
			return v
		})
	}
	if t := c.Main.Section("totem"); t != nil {
		t.dedupe("interface", func(s *Section) string {
			if v, ok := s.Value("linknumber"); ok {
				return v
			}
			v, _ := s.Value("ringnumber")
			return v
		})
	}
}

func (s *Section) dedupe(name string, key func(*Section) string) {
	e := s.entries[name]
	if e == nil || !e.isList {
		return
	}
	byKey := map[string]*Section{}
	for _, child := range e.list {
		byKey[key(child)] = child
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.list = e.list[:0]
	for _, k := range keys {
		e.list = append(e.list, byKey[k])
	}
}

// NewSection returns an empty section.
func NewSection() *Section { return &Section{entries: map[string]*entry{}} }

// Value returns the leaf value of key.
func (s *Section) Value(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	e := s.entries[key]
	if e == nil || !e.isValue {
		return "", false
	}
	return e.value, true
}

// Section returns the nested (non-repeating) section key, or nil.
func (s *Section) Section(key string) *Section {
	if s == nil {
		return nil
	}
	e := s.entries[key]
	if e == nil || !e.isNested {
		return nil
	}
	return e.section
}

// List returns the repeated sections named key, in file order after parsing
// (which is the writer's order).
func (s *Section) List(key string) []*Section {
	if s == nil {
		return nil
	}
	e := s.entries[key]
	if e == nil || !e.isList {
		return nil
	}
	return e.list
}

// Set sets a leaf value, replacing whatever key held.
func (s *Section) Set(key, value string) { s.entries[key] = &entry{isValue: true, value: value} }

// Delete removes key, whatever it holds.
func (s *Section) Delete(key string) { delete(s.entries, key) }

// Ensure returns the nested section key, creating it when missing. It replaces a
// leaf or list of the same name.
func (s *Section) Ensure(key string) *Section {
	if sec := s.Section(key); sec != nil {
		return sec
	}
	ns := NewSection()
	s.entries[key] = &entry{isNested: true, section: ns}
	return ns
}

// SetList replaces the repeated sections named key.
func (s *Section) SetList(key string, list []*Section) {
	s.entries[key] = &entry{isList: true, list: list}
}

// Keys returns the section's keys in ASCII order.
func (s *Section) Keys() []string {
	keys := make([]string, 0, len(s.entries))
	for k := range s.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Clone returns a deep copy.
func (s *Section) Clone() *Section {
	n := NewSection()
	for k, e := range s.entries {
		ne := *e
		if e.section != nil {
			ne.section = e.section.Clone()
		}
		if e.list != nil {
			ne.list = make([]*Section, len(e.list))
			for i, c := range e.list {
				ne.list[i] = c.Clone()
			}
		}
		n.entries[k] = &ne
	}
	return n
}

// Clone returns a deep copy of the configuration.
func (c *Config) Clone() *Config { return &Config{Main: c.Main.Clone(), Digest: c.Digest} }

// Bytes renders the configuration in Proxmox's write_conf layout. Lists named
// node and interface are re-sorted by their keys first, as Proxmox does.
func (c *Config) Bytes() []byte {
	cc := c.Clone()
	cc.normalizeArrays()
	var b strings.Builder
	writeSection(&b, cc.Main, "")
	return []byte(b.String())
}

func writeSection(b *strings.Builder, s *Section, prefix string) {
	for _, k := range s.Keys() {
		e := s.entries[k]
		switch {
		case e.isNested:
			b.WriteString(prefix + k + " {\n")
			writeSection(b, e.section, prefix+"  ")
			b.WriteString(prefix + "}\n")
			if prefix == "" {
				b.WriteString("\n")
			}
		case e.isList:
			for _, child := range e.list {
				b.WriteString(prefix + k + " {\n")
				writeSection(b, child, prefix+"  ")
				b.WriteString(prefix + "}\n")
			}
		default:
			b.WriteString(prefix + k + ": " + e.value + "\n")
		}
	}
}

// ClusterName returns totem.cluster_name.
func (c *Config) ClusterName() string {
	v, _ := c.Main.Section("totem").Value("cluster_name")
	return v
}

// ConfigVersion returns totem.config_version as parsed.
func (c *Config) ConfigVersion() (uint64, bool) {
	v, ok := c.Main.Section("totem").Value("config_version")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// ErrNoVersion is returned by BumpVersion when the file has no config_version,
// which Proxmox refuses too ("unable to read config version").
var ErrNoVersion = errors.New("invalid corosync config: unable to read config version")

// BumpVersion increments totem.config_version by one, as atomic_write_conf does,
// and returns the new version. It returns ErrNoVersion when there is no
// readable version, and an error without changing anything when the version
// is already the largest uint64.
func (c *Config) BumpVersion() (uint64, error) {
	v, ok := c.ConfigVersion()
	if !ok {
		return 0, ErrNoVersion
	}
	if v == math.MaxUint64 {
		// +1 would wrap to 0, and corosync skips its version check for 0
		// (reference §5.2). Proxmox would write a float here; neither is sane.
		return 0, fmt.Errorf("invalid corosync config: config_version %d is at its maximum and cannot be increased", v)
	}
	c.Main.Section("totem").Set("config_version", strconv.FormatUint(v+1, 10))
	return v + 1, nil
}

// Node is the typed view of one nodelist entry.
type Node struct {
	Name   string
	NodeID int
	// Votes is quorum_votes; 0 means the key is absent, which corosync counts as 1.
	Votes int
	// Addrs maps link number to ringN_addr (or linkN_addr).
	Addrs map[int]string
}

var linkAddrRE = regexp.MustCompile(`^(ring|link)(\d+)_addr$`)

// Nodes returns the nodelist in the writer's order (by name as a string).
func (c *Config) Nodes() []Node {
	var out []Node
	for _, s := range c.Main.Section("nodelist").List("node") {
		n := Node{Addrs: map[int]string{}}
		n.Name, _ = s.Value("name")
		if v, ok := s.Value("nodeid"); ok {
			n.NodeID, _ = strconv.Atoi(v)
		}
		if v, ok := s.Value("quorum_votes"); ok {
			n.Votes, _ = strconv.Atoi(v)
		}
		for _, k := range s.Keys() {
			if m := linkAddrRE.FindStringSubmatch(k); m != nil {
				num, _ := strconv.Atoi(m[2])
				n.Addrs[num], _ = s.Value(k)
			}
		}
		if n.Name == "" {
			n.Name = n.Addrs[0]
		}
		out = append(out, n)
	}
	return out
}

// Interface is the typed view of one totem interface section.
type Interface struct {
	Number   int
	Priority int // knet_link_priority; 0 when absent
}

// Interfaces returns totem's interface sections in the writer's order.
func (c *Config) Interfaces() []Interface {
	var out []Interface
	for _, s := range c.Main.Section("totem").List("interface") {
		var it Interface
		v, ok := s.Value("linknumber")
		if !ok {
			v, _ = s.Value("ringnumber")
		}
		it.Number, _ = strconv.Atoi(v)
		if p, ok := s.Value("knet_link_priority"); ok {
			it.Priority, _ = strconv.Atoi(p)
		}
		out = append(out, it)
	}
	return out
}

var pmxcfsVersionRE = regexp.MustCompile(`config_version\s*:\s*(\d+)`)

// VersionOf returns config_version as pmxcfs reads it (cfs-utils.c
// cluster_config_version): the first regex match anywhere in the text, comments
// included. ok is false when there is none or it does not fit in 64 bits.
func VersionOf(raw []byte) (v uint64, ok bool) {
	m := pmxcfsVersionRE.FindSubmatch(raw)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(string(m[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
