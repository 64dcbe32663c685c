package sim

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pvecm add, API mode (reference §3.2, §2.9), run on the joining machine.
//
// It is a synchronous worker (reference §3): once the arguments are valid,
// everything the worker prints — its own lines and its warnings alike —
// goes to stdout, a worker failure prints its message (newlines made
// spaces) to stderr, and the exit status is 0 either way. Only argument
// errors, found before the worker starts, exit 255. Callers must read the
// output and check the cluster afterwards.
//
// Simplifications: everything happens at once (no 3 s 401 delay, no wait
// for quorum: when the joined node is not quorate right after its start the
// worker fails where the real one would keep waiting); --use_ssh is not
// modelled; link addresses must be IP addresses; the peer's certificate is
// the one Fingerprints (or the model's fake one) names; the connection
// errors are LWP's "500 Can't connect to HOST:8006 (...)" with a
// representative reason.

const addUsage = "pvecm add <hostname> [OPTIONS]"

var fingerprintRE = regexp.MustCompile(`^([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}$`)

// joinReq is a parsed pvecm add.
type joinReq struct {
	host        string
	fingerprint string // "" = verify by asking on stdin
	nodeid      string
	votes       string
	force       bool
	links       map[int]string
}

// parseAdd checks pvecm add's arguments the way the CLI handler's schema
// check does; the error is the whole message (400 ... and the usage line).
func parseAdd(args []string) (joinReq, error) {
	q := joinReq{links: map[int]string{}}
	opts, pos := pvecmOpts(args)
	switch {
	case len(pos) == 0:
		return q, fmt.Errorf("400 not enough arguments\n%s", addUsage)
	case len(pos) > 1:
		return q, fmt.Errorf("400 too many arguments\n%s", addUsage)
	}
	q.host = pos[0]
	var bad []string
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := opts[k]
		switch {
		case k == "fingerprint":
			if !fingerprintRE.MatchString(v) {
				bad = append(bad, "fingerprint: value does not match the regex pattern")
			}
			q.fingerprint = v
		case k == "nodeid" || k == "votes":
			min := map[string]int{"nodeid": 1, "votes": 0}[k]
			i, err := strconv.Atoi(v)
			switch {
			case err != nil:
				bad = append(bad, fmt.Sprintf("%s: type check ('integer') failed - got '%s'", k, v))
			case i < min:
				bad = append(bad, fmt.Sprintf("%s: value must have a minimum value of %d", k, min))
			}
			if k == "nodeid" {
				q.nodeid = v
			} else {
				q.votes = v
			}
		case k == "force" || k == "use_ssh":
			if v != "0" && v != "1" {
				bad = append(bad, fmt.Sprintf("%s: type check ('boolean') failed - got '%s'", k, v))
			}
			if k == "force" {
				q.force = v == "1"
			} else if v == "1" {
				bad = append(bad, "use_ssh: not modelled by the simulator (only the API join is)")
			}
		case linkOptRE.MatchString(k):
			l, _ := strconv.Atoi(k[4:])
			a := linkAddress(v)
			if a == "" {
				bad = append(bad, fmt.Sprintf("%s: invalid format - missing key 'address'", k))
			}
			q.links[l] = a
		default:
			bad = append(bad, fmt.Sprintf("%s: property is not defined in schema and the schema does not allow additional properties", k))
		}
	}
	if len(bad) > 0 {
		return q, fmt.Errorf("400 Parameter verification failed.\n%s\n%s", strings.Join(bad, "\n"), addUsage)
	}
	return q, nil
}

// joinAbort is the worker's die: its message ends the task.
type joinAbort struct{ msg string }

// pvecmAdd is `pvecm add HOST [OPTIONS]` on n, root@pam's password on the
// first line of stdin (and, without --fingerprint, the answer to the
// fingerprint question on the second).
func (m *Model) pvecmAdd(n *node, args []string, stdin []byte) *result {
	r := &result{}
	q, err := parseAdd(args)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	lines := stdinLines(stdin)
	if msg := m.joinWorker(n, q, lines, &r.out); msg != "" {
		r.errf("%s\n", strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", " "))
	}
	return r // exit 0 even when the worker failed (reference §3, §11.4)
}

// stdinLines splits stdin as Perl's <STDIN> reads it: lines without their
// newline; a last line without one still counts.
func stdinLines(stdin []byte) []string {
	if len(stdin) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(stdin), "\n")
	return strings.Split(s, "\n")
}

// joinWorker runs the worker of pvecm add (PVE::Cluster::Setup::join and
// finish_join, reference §2.9) and returns its error message, "" on
// success.
func (m *Model) joinWorker(n *node, q joinReq, stdin []string, out *bytes.Buffer) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			a, ok := v.(joinAbort)
			if !ok {
				panic(v)
			}
			msg = a.msg
		}
	}()
	die := func(format string, a ...any) { panic(joinAbort{fmt.Sprintf(format, a...)}) }
	say := func(format string, a ...any) { fmt.Fprintf(out, format, a...) }

	// read_password: one line, no prompt, when stdin is not a TTY.
	if len(stdin) == 0 {
		die("EOF while reading password")
	}
	password := stdin[0]

	name := n.spec.Name
	localIP := n.spec.HostIP
	if localIP == "" {
		die("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name)
	}
	m.assertJoinable(n, localIP, q, say, die)

	say("Establishing API connection with host '%s'\n", q.host)
	peer := m.resolveHost(q.host)
	switch {
	case peer == nil:
		die("500 Can't connect to %s:8006 (Name or service not known)", q.host)
	case !peer.powered || peer.cut || n.cut:
		die("500 Can't connect to %s:8006 (No route to host)", q.host)
	case peer.cfs == nil:
		// pveproxy needs pmxcfs; with it stopped nothing answers on 8006.
		die("500 Can't connect to %s:8006 (Connection refused)", q.host)
	}
	fp := m.fingerprintOf(peer.spec.Name)
	if q.fingerprint != "" {
		if strings.ToUpper(q.fingerprint) != fp {
			die("fingerprint '%s' not verified, abort!", fp)
		}
	} else {
		say("The authenticity of host '%s' can't be established.\nX509 SHA256 key fingerprint is %s.\nAre you sure you want to continue connecting (yes/no)? ", q.host, fp)
		answer := ""
		if len(stdin) > 1 {
			answer = stdin[1]
		}
		if !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			die("Fingerprint not verified, abort!")
		}
	}
	if m.RootPassword == "" || password != m.RootPassword {
		// The login's status line; pveproxy makes the reason the message
		// (reference §1.2, §1.3).
		die("401 authentication failure")
	}
	say("Login succeeded.\n")
	say("check cluster join API version\n")

	req := addnodeReq{name: name, nodeid: q.nodeid, votes: q.votes, force: q.force, links: q.links}
	if len(q.links) == 0 {
		req.newNodeIP = localIP // the peer's apiversion is 1
		say("No cluster network links passed explicitly, fallback to local node IP '%s'\n", localIP)
	}
	say("Request addition of this node\n")
	if _, err := m.addnode(peer, req); err != nil {
		say("An error occurred on the cluster node: %s\n", strings.TrimRight(err.Error(), "\n"))
		die("Cluster join aborted!")
	}
	conf, _ := m.cfsRead(peer, clusterConf)
	conf = clone(conf)
	authkey := clone(peer.files[authkeyPath])
	say("Join request OK, finishing setup locally\n")
	m.finishJoin(n, conf, authkey, say, die)
	return ""
}

// assertJoinable is reference §2.9 step 1: every problem is listed, then
// the join stops unless forced.
func (m *Model) assertJoinable(n *node, localIP string, q joinReq, say func(string, ...any), die func(string, ...any)) {
	var errs strings.Builder
	problem := func(format string, a ...any) { fmt.Fprintf(&errs, "* "+format+"\n", a...) }
	if _, ok := n.files[authkeyPath]; ok {
		problem("authentication key '%s' already exists", authkeyPath)
	}
	if m.kindOf(n, clusterConf) == fileEntry {
		problem("cluster config '%s' already exists", clusterConf)
	}
	if n.cfs != nil && len(m.guests(n)) > 0 {
		problem("this host already contains virtual guests")
	}
	if n.cs != nil { // corosync-quorumtool -l succeeds
		problem("corosync is already running, is this node already in a cluster?!")
	}
	// The IP checks' messages end in a newline of their own, so each is
	// followed by an empty line, as on a real node.
	checkIP := func(ip, logid string) {
		if _, err := netip.ParseAddr(ip); err != nil {
			problem("%s: cannot use '%s': hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known\n", logid, ip, ip, ip)
			return
		}
		if !n.ifaces[ip] {
			problem("%s: cannot use IP '%s', not found on local node!\n", logid, ip)
		}
	}
	checkIP(localIP, "local node address")
	var ls []int
	for l := range q.links {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	for _, l := range ls {
		checkIP(q.links[l], fmt.Sprintf("link%d", l))
	}
	if errs.Len() == 0 {
		return
	}
	say("detected the following error(s):\n%s", errs.String())
	if !q.force {
		die("Check if node may join a cluster failed!")
	}
	say("\nWARNING : detected error but forced to continue!\n\n")
}

// resolveHost finds the machine a host argument names: its name, its host
// IP or any address configured on it (a ring address). Powered-off machines
// are found too (the address exists; nothing answers).
func (m *Model) resolveHost(host string) *node {
	if x := m.nodes[host]; x != nil {
		return x
	}
	for _, x := range m.sortedNodes() {
		if x.spec.HostIP == host || x.ifaces[host] {
			return x
		}
	}
	return nil
}

// finishJoin is finish_join (reference §2.9 step 6) on n.
func (m *Model) finishJoin(n *node, conf, authkey []byte, say func(string, ...any), die func(string, ...any)) {
	n.mkdirAll("/etc/corosync")
	n.files[authkeyPath] = authkey
	n.files[localConf] = conf

	say("stopping pve-cluster service\n")
	m.stopPmxcfs(n)
	m.settle()

	backup := fmt.Sprintf("/var/lib/pve-cluster/backup/config-%d.sql.gz", m.now().Unix())
	say("backup old database to '%s'\n", backup)
	n.mkdirAll(parentDir(backup))
	n.files[backup] = dumpDB(n.db)
	n.db = nil // config.db deleted: the next start imports corosync.conf (§5.3)

	// systemctl start corosync pve-cluster: pve-cluster is ordered first.
	m.startPmxcfs(n)
	m.settle()
	if !m.startCorosync(n) {
		die("starting pve-cluster failed: command 'systemctl start corosync pve-cluster' failed: exit code 1")
	}
	m.settle()

	// check_cfs_quorum. Real pvecm prints the first part, waits (about 3 s
	// for corosync to join) and prints OK; it waits forever when quorum
	// never comes, which the instant model reports as a failure.
	say("waiting for quorum...")
	if n.cfs == nil || !n.cfs.quorate {
		die("simulator: node '%s' has no quorum after joining; the real pvecm add would wait here until it has", n.spec.Name)
	}
	say("OK\n")

	say("(re)generate node files\n")
	say("generate new node certificate\n")
	say("merge authorized SSH keys\n")
	if err := m.updateNodeFiles(n, true); err != nil {
		die("no quorum - unable to update files")
	}
	say("generated new node certificate, restart pveproxy and pvedaemon services\n")
	say("successfully added node '%s' to cluster.\n", n.spec.Name)
}

// dumpDB is a stand-in for `sqlite3 config.db .dump | gzip`: a gzip of one
// line per entry (nothing reads it back).
func dumpDB(d *pveDB) []byte {
	var text bytes.Buffer
	text.WriteString("-- quorate simulator: pmxcfs DB dump (not SQL)\n")
	if d != nil {
		fmt.Fprintf(&text, "-- version %d\n", d.version)
		for _, p := range d.tree(pveDir) {
			if b, ok := d.files[p]; ok {
				fmt.Fprintf(&text, "file %s %d\n", p, len(b))
			} else {
				fmt.Fprintf(&text, "dir %s\n", p)
			}
		}
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(text.Bytes())
	w.Close()
	return gz.Bytes()
}
