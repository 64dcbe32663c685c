package sim

import "strings"

// Engine lets real corosync processes run under the model (the lab, issue
// #5): the model keeps playing Proxmox's layer — pmxcfs with its copy rule,
// the API, pvecm, systemctl, the node's files — and tells the engine each
// time its corosync would start, stop, die, reload or get a new
// /etc/corosync/corosync.conf; the read-only corosync tools
// (corosync-quorumtool -s/-l, corosync-cfgtool -s, corosync-cmapctl -g/-m)
// and `journalctl -u corosync` are answered by the engine, that is by real
// corosync. Membership, quorum, the config_version refusal and link state as
// quorate observes them then come from real corosync, while pmxcfs's
// read-only-without-quorum still follows the model's own votequorum (which
// sees the same files and the same starts and stops; the conformance tests
// compare the two).
//
// Engine methods are called with the model's lock held, in the order the
// model's events happened, at the end of the Exec, PowerOn or PowerOff that
// caused them.
type Engine interface {
	// WriteConf installs conf as node's /etc/corosync/corosync.conf.
	WriteConf(node string, conf []byte) error
	// Start starts corosync on node (systemctl start corosync).
	Start(node string) error
	// Stop stops it with SIGTERM (systemctl stop corosync).
	Stop(node string) error
	// Kill ends it without a leave message (power loss, cfgtool -k).
	Kill(node string) error
	// Reload runs corosync-cfgtool -R on node.
	Reload(node string) error
	// Tool runs one corosync tool on node and returns what it printed.
	Tool(node string, argv []string) (stdout, stderr []byte, code int)
	// Journal returns node's corosync log in journalctl's short format
	// ("Nov 22 06:00:00 pve1 corosync[1234]:   [CMAP  ] ...").
	Journal(node string) []byte
}

// engineEvent is one corosync lifecycle event to replay on the engine.
type engineEvent struct {
	node string
	what string // start, stop, kill, reload
}

// SetEngine attaches e; from then on the model replays its corosync events on
// it (after installing every node's current corosync.conf). Call it before
// powering nodes on.
func (m *Model) SetEngine(e Engine) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.engine = e
	m.engineConf = map[string][]byte{}
	return m.flushEngine()
}

// engineNote queues a lifecycle event when an engine is attached.
func (m *Model) engineNote(n *node, what string) {
	if m.engine != nil {
		m.engineEvents = append(m.engineEvents, engineEvent{node: n.spec.Name, what: what})
	}
}

// flushEngine installs changed corosync.conf files, then replays the queued
// events. The first error is returned (and kept in EngineErr); the model
// carries on, as a node would.
func (m *Model) flushEngine() error {
	if m.engine == nil {
		return nil
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for _, name := range m.order {
		n := m.nodes[name]
		conf, ok := n.files[localConf]
		if ok && string(conf) != string(m.engineConf[name]) {
			keep(m.engine.WriteConf(name, conf))
			m.engineConf[name] = clone(conf)
		}
	}
	events := m.engineEvents
	m.engineEvents = nil
	for _, ev := range events {
		switch ev.what {
		case "start":
			keep(m.engine.Start(ev.node))
		case "stop":
			keep(m.engine.Stop(ev.node))
		case "kill":
			keep(m.engine.Kill(ev.node))
		case "reload":
			keep(m.engine.Reload(ev.node))
		}
	}
	if first != nil {
		m.EngineErr = first
	}
	return first
}

// engineTool answers c from the engine when it is a read-only corosync tool
// invocation; ok is false when the model must answer itself.
func (m *Model) engineTool(n *node, c simpleCmd) (r *result, ok bool) {
	if m.engine == nil || len(c.args) == 0 {
		return nil, false
	}
	args := c.args
	read := false
	switch args[0] {
	case "corosync-quorumtool":
		read = len(args) == 2 && (args[1] == "-s" || args[1] == "-l")
	case "corosync-cfgtool":
		read = len(args) == 2 && (args[1] == "-s" || args[1] == "-n")
	case "corosync-cmapctl":
		read = len(args) >= 2 && (args[1] == "-g" || args[1] == "-m" || args[1] == "-p") || len(args) == 1
	case "corosync-qdevice-tool":
		read = true
	case "journalctl":
		for i, a := range args {
			if (a == "-u" && i+1 < len(args) && strings.TrimSuffix(args[i+1], ".service") == unitCorosync) || a == "--unit=corosync" || a == "--unit=corosync.service" {
				r := &result{}
				r.out.Write(tailLines(m.engine.Journal(n.spec.Name), journalLimit(args)))
				return r, true
			}
		}
		return nil, false
	}
	if !read {
		return nil, false
	}
	m.flushEngine()
	out, errb, code := m.engine.Tool(n.spec.Name, args)
	r = &result{code: code}
	r.out.Write(out)
	r.err.Write(errb)
	return r, true
}

// journalLimit reads -n N / --lines=N (0 = all).
func journalLimit(args []string) int {
	for i, a := range args {
		v := ""
		if a == "-n" && i+1 < len(args) {
			v = args[i+1]
		} else if s, ok := strings.CutPrefix(a, "--lines="); ok {
			v = s
		}
		if v != "" {
			n := 0
			for _, c := range v {
				if c < '0' || c > '9' {
					return 0
				}
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	return 0
}

// tailLines keeps the last k lines of b (all when k is 0).
func tailLines(b []byte, k int) []byte {
	if k <= 0 {
		return b
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return []byte(strings.Join(lines, ""))
}
