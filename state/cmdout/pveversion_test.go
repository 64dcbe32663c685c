package cmdout

import "testing"

func TestParsePVEVersion(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"pve 9", "pve-manager/9.2.1/2a5fa54a (running kernel: 6.14.8-2-pve)\n", "9.2.1"},
		{"pve 8", "pve-manager/8.4.1/2a5fa54a (running kernel: 6.8.12-4-pve)\n", "8.4.1"},
		{"verbose form first line", "proxmox-ve: 8.4.0 (running kernel: 6.8.12-4-pve)\npve-manager/8.4.1/2a5fa54a (running version: 8.4.1/2a5fa54a)\n", "8.4.1"},
		{"garbage", "bash: pveversion: command not found\n", ""},
	} {
		if got := ParsePVEVersion([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
