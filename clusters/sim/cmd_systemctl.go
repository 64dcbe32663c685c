package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// unitName maps "corosync" and "corosync.service" to the model's unit keys;
// ok is false for units the model does not know (corosync-qdevice is known
// only where its package is installed).
func unitName(n *node, arg string) (string, bool) {
	u := strings.TrimSuffix(arg, ".service")
	switch u {
	case unitCorosync, unitPVECluster:
		return u, true
	case unitQDevice:
		return u, n.qdInstalled
	}
	return u, false
}

// cmdSystemctl: is-active|start|stop|restart|enable|disable UNIT...
// Starting a running unit does nothing; a corosync start that fails before
// READY (parse error, not in the nodelist) fails the job with exit 1, while
// one that exits later on the CMAP check succeeds (corosync-lab §2').
// corosync-qdevice Requires= corosync: starting it starts corosync, stopping
// or restarting corosync stops or restarts it. Unknown units give systemd
// 252's wording (exit 5; enable/disable exit 1).
func cmdSystemctl(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	if len(c.args) < 2 {
		return r.fail(1, "systemctl: missing verb")
	}
	verb, units := c.args[1], c.args[2:]
	if len(units) == 0 && verb != "is-active" {
		return r.fail(1, "Too few arguments.")
	}
	switch verb {
	case "is-active":
		for _, a := range units {
			u, ok := unitName(n, a)
			st := "inactive"
			if ok {
				st = n.units[u]
			}
			r.outf("%s\n", st)
			if st != "active" {
				r.code = 3
			}
		}
		return r
	case "start", "stop", "restart", "enable", "disable":
	default:
		return r.fail(1, "Unknown command verb '%s'.", verb)
	}
	for _, a := range units {
		if u, ok := unitName(n, a); !ok {
			switch verb {
			case "enable", "disable":
				return r.fail(1, "Failed to %s unit: Unit file %s.service does not exist.", verb, u)
			case "stop":
				return r.fail(5, "Failed to stop %s.service: Unit %s.service not loaded.", u, u)
			}
			return r.fail(5, "Failed to %s %s.service: Unit %s.service not found.", verb, u, u)
		}
	}
	for _, a := range units {
		u, _ := unitName(n, a)
		if verb == "enable" || verb == "disable" {
			m.enableUnit(n, u, verb == "enable", r)
			continue
		}
		qdWasUp := n.qd != nil
		if verb == "stop" || verb == "restart" {
			m.stopUnit(n, u)
		}
		if verb == "start" || verb == "restart" {
			if msg := m.startUnit(n, u); msg != "" {
				return r.fail(1, "%s", msg)
			}
			if u == unitCorosync && verb == "restart" && qdWasUp {
				m.startQDevice(n)
			}
		}
		m.settle()
	}
	return r
}

// enableUnit is systemctl enable/disable: only corosync-qdevice changes
// (corosync and pve-cluster are enabled on every Proxmox VE node); systemd
// prints its symlink lines on stderr.
func (m *Model) enableUnit(n *node, u string, on bool, r *result) {
	if u != unitQDevice || n.qdEnabled == on {
		return
	}
	n.qdEnabled = on
	link := "/etc/systemd/system/multi-user.target.wants/corosync-qdevice.service"
	if on {
		r.errf("Created symlink %s \u2192 /lib/systemd/system/corosync-qdevice.service.\n", link)
	} else {
		r.errf("Removed \"%s\".\n", link)
	}
}

func (m *Model) stopUnit(n *node, u string) {
	switch u {
	case unitCorosync:
		m.stopCorosync(n)
	case unitPVECluster:
		m.stopPmxcfs(n)
	case unitQDevice:
		m.stopQDevice(n)
	}
	m.settle()
}

// startUnit starts u and returns systemctl's error text ("" on success).
func (m *Model) startUnit(n *node, u string) string {
	switch u {
	case unitCorosync:
		if n.cs != nil {
			return ""
		}
		ok := m.startCorosync(n)
		m.settle()
		if !ok {
			return fmt.Sprintf("Job for %[1]s.service failed because the control process exited with error code.\nSee \"systemctl status %[1]s.service\" and \"journalctl -xeu %[1]s.service\" for details.", u)
		}
	case unitPVECluster:
		m.startPmxcfs(n)
		m.settle()
	case unitQDevice:
		msg := m.startQDevice(n)
		m.settle()
		return msg
	}
	return ""
}

// cmdJournalctl: journalctl -b -u UNIT [--no-pager] [-o short] [-n N].
func cmdJournalctl(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	unit, last := "", 0
	args := c.args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-b" || a == "--no-pager" || a == "-q" || a == "--quiet":
		case a == "-u" || a == "-o" || a == "-n":
			if i+1 >= len(args) {
				return r.fail(1, "journalctl: option requires an argument -- '%s'", strings.TrimPrefix(a, "-"))
			}
			i++
			switch a {
			case "-u":
				unit = strings.TrimSuffix(args[i], ".service")
			case "-o":
				if args[i] != "short" && args[i] != "cat" {
					return r.fail(1, "Unsupported output mode in the simulator: %s", args[i])
				}
			case "-n":
				v, err := strconv.Atoi(args[i])
				if err != nil || v < 0 {
					return r.fail(1, "Failed to parse lines '%s'", args[i])
				}
				last = v
			}
		case strings.HasPrefix(a, "--unit="):
			unit = strings.TrimSuffix(strings.TrimPrefix(a, "--unit="), ".service")
		case strings.HasPrefix(a, "--lines="):
			v, err := strconv.Atoi(strings.TrimPrefix(a, "--lines="))
			if err != nil {
				return r.fail(1, "Failed to parse lines '%s'", a)
			}
			last = v
		default:
			return r.fail(1, "journalctl: unsupported argument in the simulator: %s", a)
		}
	}
	if unit == "" {
		return r.fail(1, "journalctl: the simulator needs -u UNIT")
	}
	lines := n.journalFor(unit, last)
	if len(lines) == 0 {
		r.outf("-- No entries --\n")
		return r
	}
	for _, l := range lines {
		r.out.WriteString(l)
		r.out.WriteByte('\n')
	}
	return r
}
