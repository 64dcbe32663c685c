package state

import "testing"

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{{"9.2.1", true}, {"9.2", true}, {"9.10.0", true}, {"10.0.1", true}, {"9.1.6", false}, {"8.4.1", false}, {"", false}, {"nine", false}} {
		if got := VersionAtLeast(tc.v, 9, 2); got != tc.want {
			t.Errorf("VersionAtLeast(%q, 9, 2) = %t", tc.v, got)
		}
	}
}
