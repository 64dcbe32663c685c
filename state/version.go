package state

import (
	"strconv"
	"strings"
)

// VersionAtLeast reports whether a "major.minor[.patch]" version (as
// pveversion prints pve-manager's) is at least major.minor. An unparsable
// version is not.
func VersionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
