package cmdout

import (
	"strings"
	"testing"
)

func TestParseCmapGet(t *testing.T) {
	tests := []struct {
		name                 string
		in                   string
		key, typ, value, err string
	}{
		{name: "reference §7.6 config_version", in: "totem.config_version (u64) = 2\n", key: "totem.config_version", typ: "u64", value: "2"},
		{name: "str value with spaces kept", in: "config.reload_error_message (str) = Cannot change node address\n", key: "config.reload_error_message", typ: "str", value: "Cannot change node address"},
		{name: "reference §7.6 reload_status i32", in: "config.reload_status (i32) = 7\n", key: "config.reload_status", typ: "i32", value: "7"},
		{name: "blank lines around", in: "\n  \ntotem.config_version (u64) = 31\n\n", key: "totem.config_version", typ: "u64", value: "31"},
		{name: "missing key message", in: "Can't get key totem.config_version. Error CS_ERR_NOT_EXIST\n", err: `is not "KEY (TYPE) = VALUE"`},
		{name: "empty", in: "", err: "no output"},
		{name: "two lines", in: "a (u8) = 1\nb (u8) = 2\n", err: "more than one line"},
		{name: "no type", in: "totem.config_version = 2\n", err: `is not "KEY (TYPE) = VALUE"`},
		{name: "empty type", in: "totem.config_version () = 2\n", err: "empty type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, typ, value, err := ParseCmapGet([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key != tt.key || typ != tt.typ || value != tt.value {
				t.Errorf("got (%q, %q, %q), want (%q, %q, %q)", key, typ, value, tt.key, tt.typ, tt.value)
			}
		})
	}
}

func TestParseCmapUint(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		err  string
	}{
		{name: "reference §7.6 u64", in: "totem.config_version (u64) = 2\n", want: 2},
		{name: "largest u64", in: "totem.config_version (u64) = 18446744073709551615\n", want: 18446744073709551615},
		{name: "i32 non-negative", in: "config.reload_status (i32) = 7\n", want: 7},
		{name: "negative i32", in: "x (i32) = -1\n", err: "not a non-negative integer"},
		{name: "str type", in: "totem.cluster_name (str) = prod\n", err: "has type str, not an integer type"},
		{name: "overflow", in: "totem.config_version (u64) = 18446744073709551616\n", err: "not a non-negative integer"},
		{name: "garbage", in: "bash: corosync-cmapctl: command not found\n", err: "KEY (TYPE) = VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCmapUint([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %d, error %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
