package cmdout

import (
	"regexp"
)

var pveVersionRE = regexp.MustCompile(`(?m)^pve-manager/([0-9][0-9A-Za-z.~+-]*)/`)

// ParsePVEVersion returns the pve-manager version from `pveversion` output
// ("pve-manager/9.2.1/2a5fa54a (running kernel: 6.8.12-4-pve)" → "9.2.1"),
// or "" when the line is not there.
func ParsePVEVersion(out []byte) string {
	m := pveVersionRE.FindSubmatch(out)
	if m == nil {
		return ""
	}
	return string(m[1])
}
