package corosync

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestNodes(t *testing.T) {
	tests := []struct {
		name string
		conf string
		want []Node
	}{
		{
			name: "reference §4.5 create output",
			conf: string(readTestdata(t, "ref45-create.conf")),
			want: []Node{{Name: "pve1", NodeID: 1, Votes: 1, Addrs: map[int]string{0: "10.10.10.1", 1: "10.20.20.1"}}},
		},
		{
			name: "name falls back to ring0_addr, absent quorum_votes is 0, linkN_addr keys (reference §4.1)",
			conf: "nodelist {\n node {\n  ring0_addr: 10.0.0.5\n  link1_addr: 10.1.0.5\n  nodeid: 5\n }\n}\n",
			want: []Node{{Name: "10.0.0.5", NodeID: 5, Votes: 0, Addrs: map[int]string{0: "10.0.0.5", 1: "10.1.0.5"}}},
		},
		{
			name: "non-link keys are not addresses",
			conf: "nodelist {\n node {\n  name: a\n  ring0_addrx: 1\n  xring0_addr: 2\n  ring_addr: 3\n }\n}\n",
			want: []Node{{Name: "a", Addrs: map[int]string{}}},
		},
		{
			name: "no nodelist",
			conf: "totem {\n version: 2\n}\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.conf).Nodes()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestNodesOrder: the writer's order, names as strings (reference §4.2).
func TestNodesOrder(t *testing.T) {
	var names []string
	for _, n := range mustParse(t, string(readTestdata(t, "many-nodes.conf"))).Nodes() {
		names = append(names, n.Name)
	}
	want := "pve1 pve10 pve11 pve12 pve2 pve3 pve4 pve5 pve6 pve7 pve8 pve9"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestInterfaces(t *testing.T) {
	got := mustParse(t, string(readTestdata(t, "three-nodes-two-links.conf"))).Interfaces()
	want := []Interface{{Number: 0, Priority: 10}, {Number: 1, Priority: 20}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got = mustParse(t, "totem {\n interface {\n  ringnumber: 1\n }\n}\n").Interfaces()
	if want := []Interface{{Number: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ringnumber: got %+v, want %+v", got, want)
	}
}

func TestConfigVersionAndClusterName(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		version uint64
		ok      bool
		cluster string
	}{
		{"reference §4.5", string(readTestdata(t, "ref45-create.conf")), 1, true, "prod"},
		{"absent", "totem {\n cluster_name: x\n}\n", 0, false, "x"},
		{"not a number", "totem {\n config_version: abc\n}\n", 0, false, ""},
		{"negative", "totem {\n config_version: -1\n}\n", 0, false, ""},
		{"largest", "totem {\n config_version: 18446744073709551615\n}\n", 18446744073709551615, true, ""},
		{"no totem", "", 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.conf)
			v, ok := c.ConfigVersion()
			if v != tt.version || ok != tt.ok {
				t.Errorf("ConfigVersion() = %d, %t; want %d, %t", v, ok, tt.version, tt.ok)
			}
			if got := c.ClusterName(); got != tt.cluster {
				t.Errorf("ClusterName() = %q, want %q", got, tt.cluster)
			}
		})
	}
}

// TestBumpVersion: +1 on what was read, as atomic_write_conf does
// (reference §4.3), and the same refusal when there is no version.
func TestBumpVersion(t *testing.T) {
	c := mustParse(t, string(readTestdata(t, "ref45-create.conf")))
	v, err := c.BumpVersion()
	if err != nil || v != 2 {
		t.Fatalf("BumpVersion() = %d, %v; want 2", v, err)
	}
	if !strings.Contains(string(c.Bytes()), "\n  config_version: 2\n") {
		t.Errorf("Bytes() does not show the bumped version:\n%s", c.Bytes())
	}
	if got, _ := VersionOf(c.Bytes()); got != 2 {
		t.Errorf("VersionOf(Bytes()) = %d, want 2", got)
	}

	for _, conf := range []string{"totem {\n}\n", "", "totem {\n config_version: x\n}\n"} {
		_, err := mustParse(t, conf).BumpVersion()
		if !errors.Is(err, ErrNoVersion) {
			t.Errorf("%q: error %v, want ErrNoVersion", conf, err)
		}
	}
	if ErrNoVersion.Error() != "invalid corosync config: unable to read config version" {
		t.Errorf("ErrNoVersion text %q is not Proxmox's", ErrNoVersion)
	}

	// At the top of the range +1 would wrap to 0, which turns corosync's
	// version check off (reference §5.2); refuse instead.
	max := mustParse(t, "totem {\n config_version: 18446744073709551615\n}\n")
	if _, err := max.BumpVersion(); err == nil {
		t.Error("BumpVersion at the largest version succeeded, want an error")
	}
	if v, _ := max.ConfigVersion(); v != 18446744073709551615 {
		t.Errorf("a refused bump changed the version to %d", v)
	}
}

// TestVersionOf pins pmxcfs's reading (reference §5.1, cfs-utils.c): the first
// regex match anywhere, comments included.
func TestVersionOf(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		ok   bool
	}{
		{"reference §4.5", string(readTestdata(t, "ref45-create.conf")), 1, true},
		{"first match wins, even in a comment", "# config_version: 99\ntotem {\n  config_version: 3\n}\n", 99, true},
		{"no space around the colon", "config_version:7", 7, true},
		{"newlines around the colon", "config_version\n:\n8", 8, true},
		{"key inside another word still matches", "old_config_version: 4\nconfig_version: 5", 4, true},
		{"none", "totem {\n  version: 2\n}\n", 0, false},
		{"empty", "", 0, false},
		{"not digits", "config_version: x", 0, false},
		{"largest u64", "config_version: 18446744073709551615", 18446744073709551615, true},
		{"overflow", "config_version: 18446744073709551616", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := VersionOf([]byte(tt.in))
			if v != tt.want || ok != tt.ok {
				t.Errorf("VersionOf = %d, %t; want %d, %t", v, ok, tt.want, tt.ok)
			}
		})
	}
}
