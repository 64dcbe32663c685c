package sim

import (
	"strings"
)

// Proxmox's section-config format (PVE::SectionConfig), as used by
// /etc/pve/ha/resources.cfg, /etc/pve/ha/groups.cfg and
// /etc/pve/replication.cfg:
//
//	group: g1
//		nodes pve1:2,pve2
//
// A header "TYPE: ID" at the start of a line, then property lines indented
// by whitespace ("KEY VALUE"), a blank line between sections. Comment lines
// start with '#'.

// section is one entry of a section-config file. Props keep file order.
type section struct {
	typ, id string
	props   [][2]string
}

// get returns a property's value ("" when absent).
func (s *section) get(key string) string {
	for _, kv := range s.props {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// parseSections reads a section-config file. Lines it cannot read are
// skipped, as PVE::SectionConfig warns and goes on.
func parseSections(raw []byte) []section {
	var out []section
	var cur *section
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			cur = nil
		case strings.HasPrefix(trimmed, "#"):
		case line[0] != ' ' && line[0] != '\t':
			typ, id, ok := strings.Cut(trimmed, ":")
			if !ok {
				cur = nil
				continue
			}
			out = append(out, section{typ: strings.TrimSpace(typ), id: strings.TrimSpace(id)})
			cur = &out[len(out)-1]
		case cur != nil:
			k, v, _ := strings.Cut(trimmed, " ")
			cur.props = append(cur.props, [2]string{k, strings.TrimSpace(v)})
		}
	}
	return out
}

// formatSections writes sections the way PVE::SectionConfig does: header,
// tab-indented properties, a blank line after each section.
func formatSections(secs []section) []byte {
	var b strings.Builder
	for _, s := range secs {
		b.WriteString(s.typ + ": " + s.id + "\n")
		for _, kv := range s.props {
			b.WriteString("\t" + kv[0] + " " + kv[1] + "\n")
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
