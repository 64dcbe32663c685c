package pveapi

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FlexInt is an integer that PVE may send as a JSON number (1, 1.0) or a
// string ("1"): values parsed from corosync.conf come back as strings,
// values from pmxcfs as numbers (reference §1.2). null and "" decode as 0;
// true and false as 1 and 0 (PVE flags are 0/1).
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch s {
	case "null", `""`, "false":
		*f = 0
		return nil
	case "true":
		*f = 1
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = FlexInt(n)
		return nil
	}
	// Re-encoded JSON numbers may arrive as 1e+06.
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%s is not an integer", string(b))
	}
	*f = FlexInt(x)
	return nil
}

// stringify renders a decoded JSON value as PVE would print it: strings as
// they are, integral numbers without exponent, flags as 1/0, null as "".
func stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// flexString is a string that also accepts a JSON number or flag.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = flexString(stringify(v))
	return nil
}

// stringMap decodes an object whose values may be strings, numbers or flags
// into map[string]string.
type stringMap map[string]string

func (m *stringMap) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(stringMap, len(raw))
	for k, v := range raw {
		out[k] = stringify(v)
	}
	*m = out
	return nil
}
