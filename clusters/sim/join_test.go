package sim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const testPassword = "s3cret"

// joinScenario is join-member with the fixed clock and root's password set.
func joinScenario(t *testing.T, name string) *Model {
	t.Helper()
	m := scenario(t, name)
	m.SetRootPassword(testPassword)
	return m
}

// joinCmd is the line clusters.CmdJoin builds for pve4 (nodeid 4, 1 vote,
// link0 10.10.10.4) with peer's current fingerprint.
func joinCmd(m *Model, peer string) string {
	return fmt.Sprintf("pvecm add '%s' --fingerprint '%s' --nodeid 4 --votes 1 --link0 '10.10.10.4'", peer, m.fingerprintOf(peer))
}

// joinOutput is the complete stdout of a successful join at fixedClock
// (reference §2.9, §3.2; Setup.pm join/finish_join/updatecerts_and_ssh).
func joinOutput(host string) string {
	return "Establishing API connection with host '" + host + "'\n" +
		"Login succeeded.\n" +
		"check cluster join API version\n" +
		"Request addition of this node\n" +
		"Join request OK, finishing setup locally\n" +
		"stopping pve-cluster service\n" +
		fmt.Sprintf("backup old database to '/var/lib/pve-cluster/backup/config-%d.sql.gz'\n", fixedClock().Unix()) +
		"waiting for quorum...OK\n" +
		"(re)generate node files\n" +
		"generate new node certificate\n" +
		"merge authorized SSH keys\n" +
		"generated new node certificate, restart pveproxy and pvedaemon services\n" +
		"successfully added node 'pve4' to cluster.\n"
}

// apiJSON GETs path on node and decodes data.
func apiJSON(t *testing.T, m *Model, node, path string, form url.Values) (int, any) {
	t.Helper()
	status, body := m.API(node, "GET", path, form)
	var env struct{ Data any }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s %s: %v: %s", node, path, err, body)
	}
	return status, env.Data
}

// A freshly installed machine (AddNode + PowerOn): pmxcfs in local mode
// with its own writable DB holding nodes/<self>/, corosync skipped for want
// of a config (reference §5.3, §6.2).
func TestStandalone_Machine(t *testing.T) {
	m := joinScenario(t, "join-member")
	if got := mustRunCode(t, m, "pve4", "systemctl is-active corosync pve-cluster", 3); got != "inactive\nactive\n" {
		t.Errorf("units: %q", got)
	}
	if j := journal(t, m, "pve4", "corosync"); !strings.Contains(j, "ConditionPathExists=/etc/corosync/corosync.conf") {
		t.Errorf("corosync journal:\n%s", j)
	}
	if got := mustRun(t, m, "pve4", "ls -1 /etc/pve/nodes/pve4"); got != "lxc\npriv\npve-ssl.pem\nqemu-server\nssh_known_hosts\n" {
		t.Errorf("nodes/pve4: %q", got)
	}
	if got := mustRun(t, m, "pve4", "ls -1 /etc/pve/nodes"); got != "pve4\n" {
		t.Errorf("nodes: %q (the standalone DB is its own)", got)
	}
	if got := mustRun(t, m, "pve4", "ls -1 /etc/corosync"); got != "" {
		t.Errorf("/etc/corosync: %q", got)
	}
	if keys := mustRun(t, m, "pve4", "cat /etc/pve/priv/authorized_keys"); keys != RootSSHKey("pve4")+" root@pve4\n" {
		t.Errorf("authorized_keys: %q", keys)
	}
	mustRun(t, m, "pve4", "mkdir /etc/pve/nodes/pve4/qemu-server/x") // writable: always quorate
	if _, _, code := run(t, m, "pve4", "corosync-quorumtool -l"); code != 1 {
		t.Errorf("quorumtool -l exit %d, want 1 (corosync not running)", code)
	}
	if st, _ := apiJSON(t, m, "pve4", "/cluster/config/join", nil); st != 424 {
		t.Errorf("join info on a standalone node: status %d, want 424", st)
	}
	_, data := apiJSON(t, m, "pve4", "/cluster/status", nil)
	if list, _ := data.([]any); len(list) != 1 || list[0].(map[string]any)["ip"] != "192.0.2.4" {
		t.Errorf("/cluster/status: %v", data)
	}
}

// A guest on a standalone machine goes into its own DB, not the cluster's.
func TestStandalone_AddGuest(t *testing.T) {
	m := joinScenario(t, "join-member")
	if err := m.AddGuest("pve4", 100, "qemu"); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, m, "pve4", "ls -1 /etc/pve/nodes/pve4/qemu-server"); got != "100.conf\n" {
		t.Errorf("pve4's guests: %q", got)
	}
	if _, _, code := run(t, m, "pve1", "ls -1 /etc/pve/nodes/pve4"); code != 2 {
		t.Errorf("the cluster got pve4's directory")
	}
	if err := m.AddGuest("pve4", 100, "lxc"); err == nil {
		t.Errorf("a second guest 100 on pve4 was accepted")
	}
	if err := m.AddGuest("pve1", 100, "qemu"); err != nil { // separate VMID spaces
		t.Errorf("guest 100 on the cluster: %v", err)
	}
}

// mustRunCode runs cmd and fails unless it exits with code.
func mustRunCode(t *testing.T, m *Model, node, cmd string, code int) string {
	t.Helper()
	o, e, c := run(t, m, node, cmd)
	if c != code {
		t.Fatalf("%s: %q: exit %d, want %d; stderr %q", node, cmd, c, code, e)
	}
	return o
}

// ip -o addr show in iproute2's exact one-line layout (clusters.CmdInterfaces).
func TestIPAddrShow(t *testing.T) {
	const lft = `\       valid_lft forever preferred_lft forever`
	m := joinScenario(t, "join-member")
	m.AddInterface("pve4", "fd00:10::4")
	want := "1: lo    inet 127.0.0.1/8 scope host lo" + lft + "\n" +
		"2: eth0    inet 192.0.2.4/24 brd 192.0.2.255 scope global eth0" + lft + "\n" +
		"3: eth1    inet 10.10.10.4/24 brd 10.10.10.255 scope global eth1" + lft + "\n" +
		"4: eth2    inet6 fd00:10::4/64 scope global " + lft + "\n"
	cases := []struct{ name, cmd, want string }{
		{"as commands.go sends it", "ip -o addr show", want},
		{"abbreviated", "ip -o a", want},
		{"cluster member without explicit interfaces", "ip -o addr show", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node, w := "pve4", tc.want
			if w == "" {
				node = "pve1"
				w = "1: lo    inet 127.0.0.1/8 scope host lo" + lft + "\n" +
					"2: eth0    inet 192.0.2.1/24 brd 192.0.2.255 scope global eth0" + lft + "\n" +
					"3: eth1    inet 10.10.10.1/24 brd 10.10.10.255 scope global eth1" + lft + "\n"
			}
			if got := mustRun(t, m, node, tc.cmd); got != w {
				t.Errorf("got:\n%s\nwant:\n%s", got, w)
			}
		})
	}
	if _, _, code := run(t, m, "pve4", "ip addr show"); code == 0 {
		t.Errorf("the multi-line form is not modelled and must say so")
	}
}

// The join as an operator runs it (reference §2.9, §3.2): exact output, exit
// 0, and every consequence: pve4 in corosync.conf v5 and running in the
// membership, its old DB replaced by the cluster's (backup kept), its node
// files and key in the cluster DB, a new certificate whose fingerprint the
// join info reports.
func TestJoin_Success(t *testing.T) {
	m := joinScenario(t, "join-member")
	m.WriteFile("pve4", "/etc/pve/user.cfg", []byte("user:local@pve:1:0::::::\n")) // gone after the join (§11.18)
	oldFP := m.fingerprintOf("pve4")
	var hookMu sync.Mutex
	var hooked []string
	m.SetOnCertChange(func(node string) {
		// The hook runs without the model's lock: it may call back in.
		m.SetFingerprints(map[string]string{node: "AA:" + node})
		hookMu.Lock()
		hooked = append(hooked, node)
		hookMu.Unlock()
	})
	out, errOut, code := run(t, m, "pve4", "pvecm add 192.0.2.1 --fingerprint "+strings.ToLower(m.fingerprintOf("pve1"))+" --nodeid 4 --votes 1 --link0 10.10.10.4", testPassword+"\n")
	if code != 0 || errOut != "" || out != joinOutput("192.0.2.1") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, joinOutput("192.0.2.1"))
	}
	if fmt.Sprint(hooked) != "[pve4]" {
		t.Errorf("OnCertChange calls: %v", hooked)
	}
	if g := m.CertGeneration("pve4"); g != 1 {
		t.Errorf("pve4 certificate generation %d, want 1", g)
	}
	conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
	if !strings.Contains(conf, "config_version: 5") || !strings.Contains(conf, "name: pve4\n    nodeid: 4\n    quorum_votes: 1\n    ring0_addr: 10.10.10.4") {
		t.Errorf("cluster corosync.conf:\n%s", conf)
	}
	if local := mustRun(t, m, "pve4", "cat /etc/corosync/corosync.conf"); local != conf {
		t.Errorf("pve4's local corosync.conf differs from the cluster's")
	}
	if got := mustRun(t, m, "pve4", "systemctl is-active corosync pve-cluster"); got != "active\nactive\n" {
		t.Errorf("pve4 units: %q", got)
	}
	for _, node := range []string{"pve1", "pve4"} {
		if got := memberIDs(t, m, node); got != "1 2 3 4" {
			t.Errorf("%s sees members %q", node, got)
		}
	}
	if q := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(q, "Expected votes:   4") || !strings.Contains(q, "Quorate:          Yes") {
		t.Errorf("quorum after the join:\n%s", q)
	}
	if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/nodes/pve4"); got != "lxc\npriv\npve-ssl.pem\nqemu-server\nssh_known_hosts\n" {
		t.Errorf("nodes/pve4 in the cluster: %q", got)
	}
	if pem := mustRun(t, m, "pve2", "cat /etc/pve/nodes/pve4/pve-ssl.pem"); pem != certPEM("pve4", 1) {
		t.Errorf("pve4's certificate is not generation 1: %q", pem)
	}
	keys := mustRun(t, m, "pve3", "cat /etc/pve/priv/authorized_keys")
	if strings.Count(keys, RootSSHKey("pve4")) != 1 || !strings.HasPrefix(keys, RootSSHKey("pve1")) {
		t.Errorf("authorized_keys:\n%s", keys)
	}
	if _, _, code := run(t, m, "pve4", "cat /etc/pve/user.cfg"); code != 1 {
		t.Errorf("pve4's pre-join /etc/pve/user.cfg survived the join")
	}
	if got := mustRun(t, m, "pve4", "ls -1 /var/lib/pve-cluster/backup"); got != fmt.Sprintf("config-%d.sql.gz\n", fixedClock().Unix()) {
		t.Errorf("backup dir: %q", got)
	}
	_, data := apiJSON(t, m, "pve1", "/cluster/config/join", nil)
	for _, it := range data.(map[string]any)["nodelist"].([]any) {
		item := it.(map[string]any)
		if item["name"] == "pve4" && (item["pve_fp"] != "AA:pve4" || item["pve_fp"] == oldFP || item["pve_addr"] != "192.0.2.4") {
			t.Errorf("join info for pve4: %v", item)
		}
	}
}

// Without a hook (no server in front), the model's own fake certificate
// changes, and with it the reported fingerprint; a fingerprint recorded for
// the node before is dropped.
func TestJoin_FingerprintWithoutServer(t *testing.T) {
	m := joinScenario(t, "join-member")
	m.SetFingerprints(map[string]string{"pve4": "AA:BB"})
	mustRun(t, m, "pve4", joinCmd(m, "pve1"), testPassword+"\n")
	want := fakeFingerprint("pve4", 1)
	if want == fakeFingerprint("pve4", 0) {
		t.Fatal("generations share a fingerprint")
	}
	_, data := apiJSON(t, m, "pve2", "/cluster/config/join", url.Values{"node": {"pve4"}})
	for _, it := range data.(map[string]any)["nodelist"].([]any) {
		if item := it.(map[string]any); item["name"] == "pve4" && item["pve_fp"] != want {
			t.Errorf("pve_fp %v, want %s", item["pve_fp"], want)
		}
	}
}

// PEER may be the peer's name, host IP or ring address; without
// --fingerprint pvecm asks, and reads the answer from stdin's second line.
func TestJoin_PeerForms(t *testing.T) {
	m0 := joinScenario(t, "join-member")
	fp := m0.fingerprintOf("pve2")
	prompt := "The authenticity of host '10.10.10.2' can't be established.\nX509 SHA256 key fingerprint is " + fp + ".\nAre you sure you want to continue connecting (yes/no)? "
	cases := []struct {
		name, cmd, stdin string
		wantOut          string
		wantErr          string
	}{
		{"name", "pvecm add pve2 --fingerprint " + fp + " --link0 10.10.10.4", testPassword + "\n", joinOutput("pve2"), ""},
		{"ring address, asked yes", "pvecm add 10.10.10.2 --link0 10.10.10.4", testPassword + "\nyes\n",
			strings.Replace(joinOutput("10.10.10.2"), "Login succeeded.\n", prompt+"Login succeeded.\n", 1), ""},
		{"ring address, asked no", "pvecm add 10.10.10.2 --link0 10.10.10.4", testPassword + "\nno\n",
			"Establishing API connection with host '10.10.10.2'\n" + prompt, "Fingerprint not verified, abort!\n"},
		{"no links: fallback to the host IP", "pvecm add pve2 --fingerprint " + fp, testPassword + "\n",
			strings.Replace(joinOutput("pve2"), "Request addition", "No cluster network links passed explicitly, fallback to local node IP '192.0.2.4'\nRequest addition", 1), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := joinScenario(t, "join-member")
			out, errOut, code := run(t, m, "pve4", tc.cmd, tc.stdin)
			if code != 0 || out != tc.wantOut || errOut != tc.wantErr {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr %q, want %q", code, out, tc.wantOut, errOut, tc.wantErr)
			}
		})
	}
}

// The no-links join lands pve4 on link 0 at its host IP (addnode's
// new_node_ip fallback, reference §2.6 step 7).
func TestJoin_NoLinksUsesHostIP(t *testing.T) {
	m := joinScenario(t, "join-member")
	mustRun(t, m, "pve4", "pvecm add pve1 --fingerprint "+m.fingerprintOf("pve1"), testPassword+"\n")
	if conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf"); !strings.Contains(conf, "nodeid: 4\n    quorum_votes: 1\n    ring0_addr: 192.0.2.4") {
		t.Errorf("corosync.conf:\n%s", conf)
	}
}

// Refusals after the worker started: exit 0 all the same (reference §3,
// §11.4), the reason on stdout/stderr exactly, the cluster untouched.
func TestJoin_Refusals(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(m *Model)
		cmd     func(m *Model) string
		stdin   string
		wantOut string
		wantErr string
	}{
		{name: "guests on the joiner",
			prepare: func(m *Model) {
				if err := m.AddGuest("pve4", 100, "qemu"); err != nil {
					panic(err)
				}
			},
			wantOut: "detected the following error(s):\n* this host already contains virtual guests\n",
			wantErr: "Check if node may join a cluster failed!\n"},
		{name: "authkey exists",
			prepare: func(m *Model) { m.WriteFile("pve4", authkeyPath, []byte("key")) },
			wantOut: "detected the following error(s):\n* authentication key '/etc/corosync/authkey' already exists\n",
			wantErr: "Check if node may join a cluster failed!\n"},
		{name: "corosync.conf and running corosync (a member of another cluster)",
			prepare: func(m *Model) {
				m.WriteFile("pve4", localConf, BuildConf("other", link0, []NodeSpec{{Name: "pve4", NodeID: 1, Addrs: map[int]string{0: "10.10.10.4"}}}, 1))
				m.WriteFile("pve4", authkeyPath, Authkey("other"))
				m.PowerOff("pve4")
				m.WriteFile("pve4", clusterConf, BuildConf("other", link0, []NodeSpec{{Name: "pve4", NodeID: 1, Addrs: map[int]string{0: "10.10.10.4"}}}, 1))
				m.PowerOn("pve4")
			},
			wantOut: "detected the following error(s):\n* authentication key '/etc/corosync/authkey' already exists\n* cluster config '/etc/pve/corosync.conf' already exists\n* corosync is already running, is this node already in a cluster?!\n",
			wantErr: "Check if node may join a cluster failed!\n"},
		{name: "link address not on the joiner",
			cmd: func(m *Model) string {
				return "pvecm add pve1 --fingerprint " + m.fingerprintOf("pve1") + " --link0 10.10.10.9"
			},
			wantOut: "detected the following error(s):\n* link0: cannot use IP '10.10.10.9', not found on local node!\n\n",
			wantErr: "Check if node may join a cluster failed!\n"},
		{name: "wrong fingerprint",
			cmd: func(m *Model) string {
				return "pvecm add pve1 --fingerprint " + m.fingerprintOf("pve2") + " --link0 10.10.10.4"
			},
			wantOut: "Establishing API connection with host 'pve1'\n",
			wantErr: "fingerprint '" + fakeFingerprint("pve1", 0) + "' not verified, abort!\n"},
		{name: "wrong password", stdin: "wrong\n",
			wantOut: "Establishing API connection with host 'pve1'\n",
			wantErr: "401 authentication failure\n"},
		{name: "no root password set on the model",
			prepare: func(m *Model) { m.SetRootPassword("") }, stdin: "\n",
			wantOut: "Establishing API connection with host 'pve1'\n",
			wantErr: "401 authentication failure\n"},
		{name: "no password on stdin", stdin: "-",
			wantOut: "",
			wantErr: "EOF while reading password\n"},
		{name: "peer powered off",
			prepare: func(m *Model) { m.PowerOff("pve3") },
			cmd:     func(m *Model) string { return joinCmd(m, "pve3") },
			wantOut: "Establishing API connection with host 'pve3'\n",
			wantErr: "500 Can't connect to pve3:8006 (No route to host)\n"},
		{name: "address used by another member (addnode refuses)",
			prepare: func(m *Model) { m.AddInterface("pve4", "10.10.10.3") },
			cmd: func(m *Model) string {
				return "pvecm add pve1 --fingerprint " + m.fingerprintOf("pve1") + " --link0 10.10.10.3"
			},
			wantOut: "Establishing API connection with host 'pve1'\nLogin succeeded.\ncheck cluster join API version\nRequest addition of this node\n" +
				"An error occurred on the cluster node: corosync: address '10.10.10.3' already used on link ring0_addr by node 'pve3'\n",
			wantErr: "Cluster join aborted!\n"},
		{name: "existing name without force (addnode refuses)",
			prepare: func(m *Model) {
				m.Exec("pve1", "pvecm addnode pve4 --nodeid 4 --link0 10.10.10.4", nil)
			},
			wantOut: "Establishing API connection with host 'pve1'\nLogin succeeded.\ncheck cluster join API version\nRequest addition of this node\n" +
				"An error occurred on the cluster node: can't add existing node 'pve4'\n",
			wantErr: "Cluster join aborted!\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := joinScenario(t, "join-member")
			if tc.prepare != nil {
				tc.prepare(m)
			}
			before := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
			cmd := joinCmd(m, "pve1")
			if tc.cmd != nil {
				cmd = tc.cmd(m)
			}
			stdin := testPassword + "\n"
			switch tc.stdin {
			case "":
			case "-":
				stdin = ""
			default:
				stdin = tc.stdin
			}
			out, errOut, code := run(t, m, "pve4", cmd, stdin)
			if code != 0 {
				t.Errorf("exit %d, want 0 (the worker had started)", code)
			}
			if out != tc.wantOut || errOut != tc.wantErr {
				t.Errorf("stdout:\n%s\nwant:\n%s\nstderr %q, want %q", out, tc.wantOut, errOut, tc.wantErr)
			}
			if after := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf"); after != before {
				t.Errorf("the cluster's corosync.conf changed:\n%s", after)
			}
			if g := m.CertGeneration("pve4"); g != 0 {
				t.Errorf("certificate regenerated (generation %d)", g)
			}
		})
	}
}

// --force turns assert_joinable's errors into a warning and goes on.
func TestJoin_ForceContinues(t *testing.T) {
	m := joinScenario(t, "join-member")
	if err := m.AddGuest("pve4", 100, "qemu"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, m, "pve4", joinCmd(m, "pve1")+" --force", testPassword+"\n")
	want := "detected the following error(s):\n* this host already contains virtual guests\n\nWARNING : detected error but forced to continue!\n\n" + joinOutput("pve1")
	if code != 0 || errOut != "" || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	// The joiner's guest went with its old DB (reference §2.9 consequences).
	if _, _, code := run(t, m, "pve1", "ls -1 /etc/pve/nodes/pve4/qemu-server/100.conf"); code != 2 {
		t.Errorf("the guest config survived the join")
	}
}

// Argument errors stop pvecm before the worker: exit 255, nothing changed.
func TestJoin_ArgumentErrors(t *testing.T) {
	fp := fakeFingerprint("pve1", 0)
	cases := []struct{ name, cmd, wantErr string }{
		{"no host", "pvecm add", "400 not enough arguments\npvecm add <hostname> [OPTIONS]\n"},
		{"two hosts", "pvecm add pve1 pve2", "400 too many arguments\npvecm add <hostname> [OPTIONS]\n"},
		{"bad nodeid", "pvecm add pve1 --fingerprint " + fp + " --nodeid x",
			"400 Parameter verification failed.\nnodeid: type check ('integer') failed - got 'x'\npvecm add <hostname> [OPTIONS]\n"},
		{"nodeid 0", "pvecm add pve1 --fingerprint " + fp + " --nodeid 0",
			"400 Parameter verification failed.\nnodeid: value must have a minimum value of 1\npvecm add <hostname> [OPTIONS]\n"},
		{"bad fingerprint", "pvecm add pve1 --fingerprint AB:CD",
			"400 Parameter verification failed.\nfingerprint: value does not match the regex pattern\npvecm add <hostname> [OPTIONS]\n"},
		{"unknown option", "pvecm add pve1 --link9 10.0.0.1",
			"400 Parameter verification failed.\nlink9: property is not defined in schema and the schema does not allow additional properties\npvecm add <hostname> [OPTIONS]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := joinScenario(t, "join-member")
			out, errOut, code := run(t, m, "pve4", tc.cmd, testPassword+"\n")
			if code != 255 || out != "" || errOut != tc.wantErr {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, tc.wantErr)
			}
			if got := mustRunCode(t, m, "pve4", "systemctl is-active corosync", 3); got != "inactive\n" {
				t.Errorf("corosync %q", got)
			}
		})
	}
}

// join-would-lose-quorum: 2 of 3 votes present. Adding pve4 raises expected
// votes to 4 at once (quorum 3, reference §2.6, lab §1(b)): the cluster is
// inquorate until pve4 runs.
func TestJoinWouldLoseQuorum_Scenario(t *testing.T) {
	m := joinScenario(t, "join-would-lose-quorum")
	if q := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(q, "Expected votes:   3") || !strings.Contains(q, "Quorate:          Yes") {
		t.Fatalf("before:\n%s", q)
	}
	if m.Powered("pve3") || !m.Powered("pve4") {
		t.Fatalf("power: pve3 %v pve4 %v", m.Powered("pve3"), m.Powered("pve4"))
	}
	// What the join's first half does on its own (addnode on pve1).
	mustRun(t, m, "pve1", "pvecm addnode pve4 --nodeid 4 --votes 1 --link0 10.10.10.4")
	q, _, code := run(t, m, "pve1", "corosync-quorumtool -s")
	if code != 2 || !strings.Contains(q, "Expected votes:   4") || !strings.Contains(q, "Quorum:           3 Activity blocked") {
		t.Errorf("after addnode: exit %d\n%s", code, q)
	}
}

// The join scenarios' cluster side: pve1..pve3 at version 4 without pve4;
// pve4 standalone.
func TestScenarios_Join_ClusterState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string
	}{{"join-member", "1 2 3"}, {"join-would-lose-quorum", "1 2"}} {
		t.Run(tc.name, func(t *testing.T) {
			m := scenario(t, tc.name)
			if got := memberIDs(t, m, "pve1"); got != tc.members {
				t.Errorf("members %q, want %q", got, tc.members)
			}
			conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
			if strings.Contains(conf, "pve4") || !strings.Contains(conf, "config_version: 4") {
				t.Errorf("corosync.conf:\n%s", conf)
			}
			if _, _, code := run(t, m, "pve4", "cat /etc/pve/corosync.conf"); code != 1 {
				t.Errorf("pve4 has a cluster config")
			}
		})
	}
}
