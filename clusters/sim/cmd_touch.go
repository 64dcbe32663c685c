package sim

import (
	"strconv"
	"strings"
	"time"
)

// touch and test, as far as cluster locks need them (pmxcfs_lock.go).
// Messages are GNU coreutils 9.1's (Debian 12, as on Proxmox VE 8) in the C
// locale; test is bash's builtin, with the shell's "bash: line 1:" prefix
// the rest of the model uses.

// touchOpts are the parsed options of one touch command.
type touchOpts struct {
	noCreate  bool
	atimeOnly bool       // -a without -m: the model keeps no atimes
	date      *time.Time // -d @EPOCH; nil = now
	files     []string
}

// touchUsage is coreutils' hint after a usage error.
const touchUsage = "\nTry 'touch --help' for more information."

// parseTouch reads touch's options: -a, -c (--no-create), -m, -f (ignored),
// -h, and -d/--date with the @EPOCH form only. It returns the message of a
// usage error ("" when none).
func parseTouch(args []string) (touchOpts, string) {
	var o touchOpts
	a, mOnly := false, false
	setDate := func(s string) string {
		sec, err := strconv.ParseInt(strings.TrimPrefix(s, "@"), 10, 64)
		if !strings.HasPrefix(s, "@") || err != nil {
			// GNU touch accepts many more date forms; the model knows
			// only @EPOCH, the one quorate and Proxmox's Perl use.
			return "touch: invalid date format '" + s + "'"
		}
		t := time.Unix(sec, 0)
		o.date = &t
		return ""
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			o.files = append(o.files, args[i+1:]...)
			i = len(args)
		case arg == "--no-create":
			o.noCreate = true
		case strings.HasPrefix(arg, "--date="):
			if msg := setDate(strings.TrimPrefix(arg, "--date=")); msg != "" {
				return o, msg
			}
		case arg == "--date":
			if i+1 >= len(args) {
				return o, "touch: option '--date' requires an argument" + touchUsage
			}
			i++
			if msg := setDate(args[i]); msg != "" {
				return o, msg
			}
		case strings.HasPrefix(arg, "--"):
			return o, "touch: unrecognized option '" + arg + "'" + touchUsage
		case len(arg) > 1 && arg[0] == '-':
			for j := 1; j < len(arg); j++ {
				switch c := arg[j]; c {
				case 'a':
					a = true
				case 'm':
					mOnly = true
				case 'c':
					o.noCreate = true
				case 'f', 'h':
				case 't', 'r':
					return o, "touch: -" + string(c) + " is not modelled by the simulator (use -d @EPOCH)"
				case 'd':
					v := arg[j+1:]
					if v == "" {
						if i+1 >= len(args) {
							return o, "touch: option requires an argument -- 'd'" + touchUsage
						}
						i++
						v = args[i]
					}
					if msg := setDate(v); msg != "" {
						return o, msg
					}
					j = len(arg)
				default:
					return o, "touch: invalid option -- '" + string(c) + "'" + touchUsage
				}
			}
		default:
			o.files = append(o.files, arg)
		}
	}
	o.atimeOnly = a && !mOnly
	if len(o.files) == 0 {
		return o, "touch: missing file operand" + touchUsage
	}
	return o, ""
}

// cmdTouch is `touch [-a] [-c] [-m] [-d @EPOCH] FILE...`. A missing file is
// created empty unless -c; an existing one gets the new mtime. Outside
// /etc/pve (and for files in it) times are not modelled, so only creation
// shows. In /etc/pve the change is pmxcfs's (cfsUtime): on a lock
// directory, mtime 0 is an unlock request and a newer mtime a renewal by
// the lock's writer; anything refused is "setting times of 'X':
// Permission denied", exit 1, as from a real node.
func cmdTouch(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	o, msg := parseTouch(c.args[1:])
	if msg != "" {
		return r.fail(1, "%s", msg)
	}
	mtime := m.now()
	if o.date != nil {
		mtime = *o.date
	}
	for _, op := range o.files {
		p := m.abs(op)
		switch {
		case m.kindOf(n, p) == noEntry:
			if o.noCreate {
				continue
			}
			if err := m.writePath(n, p, nil); err != nil {
				r.errf("touch: cannot touch '%s': %s\n", op, err)
				r.code = 1
			}
		case inCfs(n, p) && !o.atimeOnly:
			if err := m.cfsUtime(n, p, mtime); err != nil {
				r.errf("touch: setting times of '%s': %s\n", op, err)
				r.code = 1
			}
		}
	}
	return r
}

// cmdTest is bash's `test` builtin for the file tests the lock commands use:
// -e, -d, -f and -s PATH (and ! before one); exit 0 when true, 1 when false,
// 2 on a usage error. With one argument it is true when that is non-empty.
func cmdTest(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	args := c.args[1:]
	negate := false
	if len(args) >= 2 && args[0] == "!" {
		negate, args = true, args[1:]
	}
	var ok bool
	switch len(args) {
	case 0:
		ok = false
	case 1:
		ok = args[0] != ""
	case 2:
		p := m.abs(args[1])
		kind := m.kindOf(n, p)
		switch args[0] {
		case "-e":
			ok = kind != noEntry
		case "-d":
			ok = kind == dirEntry
		case "-f":
			ok = kind == fileEntry
		case "-s":
			b, err := m.readPath(n, p)
			ok = err == nil && len(b) > 0
		default:
			return r.fail(2, "bash: line 1: test: %s: unary operator expected", args[0])
		}
	case 3:
		return r.fail(2, "bash: line 1: test: %s: binary operator expected", args[1])
	default:
		return r.fail(2, "bash: line 1: test: too many arguments")
	}
	if ok == negate {
		r.code = 1
	}
	return r
}
