package sim

import (
	"net/url"
	"strings"
	"testing"
)

// apiData returns the JSON body of a 200 GET, failing otherwise.
func apiData(t *testing.T, m *Model, node, path string, form url.Values) string {
	t.Helper()
	st, body := m.API(node, "GET", path, form)
	if st != 200 {
		t.Fatalf("%s GET %s: %d %s", node, path, st, body)
	}
	return string(body)
}

// The remove-with-guests fixtures, written as Proxmox's section-config files
// through the model and read back by the API on another node (numbers as
// numbers, §1.2).
func TestShared_FilesAndAPI(t *testing.T) {
	m := scenario(t, "remove-with-guests")
	files := []struct{ path, want string }{
		{"/etc/pve/ha/groups.cfg", "group: g1\n\tnodes pve1:2,pve4\n\n"},
		{"/etc/pve/ha/resources.cfg", "vm: 104\n\tgroup g1\n\n"},
		{"/etc/pve/replication.cfg", "local: 100-0\n\ttarget pve4\n\n"},
	}
	for _, f := range files {
		if got := mustRun(t, m, "pve3", "cat "+f.path); got != f.want {
			t.Errorf("%s = %q, want %q", f.path, got, f.want)
		}
	}
	if got := mustRun(t, m, "pve2", "ls -1 /etc/pve/nodes/pve4/qemu-server"); got != "104.conf\n" {
		t.Errorf("pve4 qemu-server = %q", got)
	}
	cases := []struct {
		path string
		form url.Values
		want string
	}{
		{"/cluster/resources", url.Values{"type": {"vm"}}, `{"data":[` +
			`{"id":"qemu/100","name":"vm100","node":"pve1","status":"running","template":0,"type":"qemu","vmid":100},` +
			`{"id":"qemu/104","name":"vm104","node":"pve4","status":"unknown","template":0,"type":"qemu","vmid":104}]}`},
		{"/cluster/resources", url.Values{"type": {"node"}}, `{"data":[` +
			`{"id":"node/pve1","level":"","node":"pve1","status":"online","type":"node"},` +
			`{"id":"node/pve2","level":"","node":"pve2","status":"online","type":"node"},` +
			`{"id":"node/pve3","level":"","node":"pve3","status":"online","type":"node"},` +
			`{"id":"node/pve4","level":"","node":"pve4","status":"offline","type":"node"}]}`},
		{"/cluster/ha/resources", nil, `{"data":[{"group":"g1","sid":"vm:104","state":"started","type":"vm"}]}`},
		{"/cluster/ha/groups", nil, `{"data":[{"group":"g1","nodes":"pve1:2,pve4","nofailback":0,"restricted":0,"type":"group"}]}`},
		{"/cluster/replication", nil, `{"data":[{"guest":100,"id":"100-0","jobnum":0,"source":"pve1","target":"pve4","type":"local"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.path+"?"+tc.form.Encode(), func(t *testing.T) {
			if got := apiData(t, m, "pve2", tc.path, tc.form); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	all := apiData(t, m, "pve2", "/cluster/resources", nil)
	if !strings.Contains(all, `"id":"qemu/104"`) || !strings.Contains(all, `"id":"node/pve4"`) {
		t.Errorf("/cluster/resources without type lacks guests or nodes: %s", all)
	}
	if st, body := m.API("pve2", "GET", "/cluster/resources", url.Values{"type": {"bogus"}}); st != 400 {
		t.Errorf("bad type: %d %s", st, body)
	}
	sh := m.Snapshot().Shared
	if sh == nil {
		t.Fatal("snapshot has no Shared")
	}
	refs, ok := sh.References("pve4")
	if got := strings.Join(refs, ", "); !ok || got != "qemu 104, HA resource vm:104, HA group g1, replication job 100-0" {
		t.Errorf("References(pve4) = %q (ok %v)", got, ok)
	}
	if got := strings.Join(sh.NodeDirs, " "); got != "pve1 pve2 pve3 pve4" || !strings.Contains(sh.AuthorizedKeys.Content, "root@pve4") {
		t.Errorf("shared dirs %q keys %q", got, sh.AuthorizedKeys.Content)
	}
}

// Empty lists are [] (not null), and the helpers refuse bad input or a
// cluster without quorum.
func TestShared_EmptyAndErrors(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	for _, p := range []string{"/cluster/ha/resources", "/cluster/ha/groups", "/cluster/replication"} {
		if got := apiData(t, m, "pve1", p, nil); got != `{"data":[]}` {
			t.Errorf("%s = %s", p, got)
		}
	}
	if err := m.AddGuest("pve1", 100, "vz"); err == nil {
		t.Error("AddGuest accepted type vz")
	}
	if err := m.AddGuest("pve1", 100, "lxc"); err != nil {
		t.Fatal(err)
	}
	if err := m.AddGuest("pve2", 100, "qemu"); err == nil || !strings.Contains(err.Error(), "VMID 100 already exists") {
		t.Errorf("duplicate VMID: %v", err)
	}
	if got := apiData(t, m, "pve3", "/cluster/resources", url.Values{"type": {"vm"}}); !strings.Contains(got, `"id":"lxc/100","name":"ct100"`) {
		t.Errorf("lxc guest: %s", got)
	}
	if err := m.AddReplication("101-0", 100, "pve2"); err == nil {
		t.Error("AddReplication accepted an ID of another guest")
	}
	if err := m.AddHAResource("100", ""); err == nil {
		t.Error("AddHAResource accepted a SID without type")
	}
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	if err := m.AddHAGroup("g", "pve1"); err == nil || !strings.Contains(err.Error(), "no node with a quorate pmxcfs") {
		t.Errorf("AddHAGroup while inquorate: %v", err)
	}
}

func TestSectionConfig_RoundTrip(t *testing.T) {
	raw := "# comment\ngroup: g1\n\tnodes pve1:2,pve2\n\trestricted 1\n\ngroup: g2\n    nodes pve3\n"
	secs := parseSections([]byte(raw))
	if len(secs) != 2 || secs[0].id != "g1" || secs[0].get("restricted") != "1" || secs[1].get("nodes") != "pve3" {
		t.Fatalf("parsed %+v", secs)
	}
	if got := string(formatSections(secs)); got != "group: g1\n\tnodes pve1:2,pve2\n\trestricted 1\n\ngroup: g2\n\tnodes pve3\n\n" {
		t.Errorf("formatted %q", got)
	}
}
