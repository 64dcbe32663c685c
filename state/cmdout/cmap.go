package cmdout

import (
	"fmt"
	"strconv"
	"strings"
)

const cmapctl = "corosync-cmapctl -g"

// ParseCmapGet parses the one line `corosync-cmapctl -g KEY` prints,
// "totem.config_version (u64) = 2" (reference §7.6): the key, the type in
// parentheses (u8…u64, i8…i64, flt, dbl, str, bin) and the value, which for a
// str key may contain spaces and is returned as printed after " = ". Blank
// lines around it are ignored; anything else (an error message such as "Can't
// get key ...", or a second line) is an error.
func ParseCmapGet(out []byte) (key, typ, value string, err error) {
	var line string
	for _, l := range splitLines(out) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if line != "" {
			return "", "", "", fmt.Errorf("%s: more than one line of output", cmapctl)
		}
		line = l
	}
	if line == "" {
		return "", "", "", fmt.Errorf("%s: no output", cmapctl)
	}
	head, value, ok := strings.Cut(line, " = ")
	if !ok {
		return "", "", "", fmt.Errorf("%s: %s is not \"KEY (TYPE) = VALUE\"", cmapctl, quoteLine(line))
	}
	key, typ, ok = strings.Cut(head, " (")
	if !ok || key == "" || strings.ContainsAny(key, " \t") || !strings.HasSuffix(typ, ")") {
		return "", "", "", fmt.Errorf("%s: %s is not \"KEY (TYPE) = VALUE\"", cmapctl, quoteLine(line))
	}
	typ = strings.TrimSuffix(typ, ")")
	if typ == "" {
		return "", "", "", fmt.Errorf("%s: %s has an empty type", cmapctl, quoteLine(line))
	}
	return key, typ, value, nil
}

// ParseCmapUint parses `corosync-cmapctl -g KEY` for an integer key and
// returns its value, e.g. 2 for "totem.config_version (u64) = 2". It refuses
// non-integer types and negative values.
func ParseCmapUint(out []byte) (uint64, error) {
	key, typ, value, err := ParseCmapGet(out)
	if err != nil {
		return 0, err
	}
	switch typ {
	case "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64":
	default:
		return 0, fmt.Errorf("%s: %s has type %s, not an integer type", cmapctl, key, typ)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %s = %s is not a non-negative integer", cmapctl, key, quoteLine(value))
	}
	return v, nil
}
