package sim

import (
	"bytes"
	"fmt"
	"strings"
)

// A tiny shell, enough for the command lines clusters/commands.go builds:
// words with single quotes, double quotes and backslash escapes (adjacent
// pieces join, so 'a'\''b' is a'b), `&&` between commands (run left to right,
// stop at the first non-zero status), and `>` redirection for `cat > FILE`.
// Anything else is a word; an unknown command is "command not found" (127).

// token is a shell word or operator.
type token struct {
	text string
	op   bool // an unquoted && or >
}

// lex splits a command line into tokens.
func lex(line string) ([]token, error) {
	var out []token
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, token{text: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `''")
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `\"'")
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == '&' && i+1 < len(line) && line[i+1] == '&':
			flush()
			out = append(out, token{text: "&&", op: true})
			i++
		case c == '>':
			flush()
			out = append(out, token{text: ">", op: true})
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return out, nil
}

// simpleCmd is one command of a && chain.
type simpleCmd struct {
	args     []string
	redirect string // target of >, "" for none
}

// parseLine splits tokens into commands at &&.
func parseLine(toks []token) ([]simpleCmd, error) {
	var cmds []simpleCmd
	var cur simpleCmd
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.op && t.text == "&&":
			if len(cur.args) == 0 {
				return nil, fmt.Errorf("syntax error near unexpected token `&&'")
			}
			cmds = append(cmds, cur)
			cur = simpleCmd{}
		case t.op && t.text == ">":
			if i+1 >= len(toks) || toks[i+1].op {
				return nil, fmt.Errorf("syntax error near unexpected token `newline'")
			}
			cur.redirect = toks[i+1].text
			i++
		default:
			cur.args = append(cur.args, t.text)
		}
	}
	if len(cur.args) > 0 || cur.redirect != "" {
		cmds = append(cmds, cur)
	}
	return cmds, nil
}

// result is one command's outcome.
type result struct {
	out, err bytes.Buffer
	code     int
}

func (r *result) outf(format string, a ...any) { fmt.Fprintf(&r.out, format, a...) }
func (r *result) errf(format string, a ...any) { fmt.Fprintf(&r.err, format, a...) }

// fail writes a line to stderr and sets the status.
func (r *result) fail(code int, format string, a ...any) *result {
	r.errf(format+"\n", a...)
	r.code = code
	return r
}

// commandFunc runs one command on a node.
type commandFunc func(m *Model, n *node, c simpleCmd, stdin []byte) *result

// commands is the supported command surface, by argv[0].
var commands map[string]commandFunc

func init() {
	commands = map[string]commandFunc{
		"hostname":              cmdHostname,
		"ip":                    cmdIP,
		"systemctl":             cmdSystemctl,
		"corosync-quorumtool":   cmdQuorumtool,
		"corosync-cmapctl":      cmdCmapctl,
		"corosync-cfgtool":      cmdCfgtool,
		"pvecm":                 cmdPvecm,
		"cat":                   cmdCat,
		"cp":                    cmdCp,
		"mv":                    cmdMv,
		"mkdir":                 cmdMkdir,
		"rmdir":                 cmdRmdir,
		"ls":                    cmdLs,
		"rm":                    cmdRm,
		"touch":                 cmdTouch,
		"test":                  cmdTest,
		"sha256sum":             cmdSha256sum,
		"journalctl":            cmdJournalctl,
		"true":                  func(*Model, *node, simpleCmd, []byte) *result { return &result{} },
		"command":               cmdCommand,
		"timeout":               cmdTimeout,
		"corosync-qdevice-tool": cmdQDeviceTool,
		"pveversion":            cmdPveversion,
		"ha-manager":            cmdHAManager,
	}
}

// runLine runs a whole command line on n, then settles the model. A line of
// read-only commands (readOnlyCmd) on a settled model runs without
// settling: nothing it does can change what settle computes.
func (m *Model) runLine(n *node, line string, stdin []byte) (stdout, stderr []byte, code int) {
	toks, lexErr := lex(line)
	var cmds []simpleCmd
	var parseErr error
	if lexErr == nil {
		cmds, parseErr = parseLine(toks)
	}
	quick := m.settled
	for _, c := range cmds {
		quick = quick && readOnlyCmd(c)
	}
	if !quick {
		m.settled = false
		defer m.commit()
	}
	if lexErr != nil {
		return nil, []byte("bash: line 1: " + lexErr.Error() + "\n"), 2
	}
	if parseErr != nil {
		return nil, []byte("bash: line 1: " + parseErr.Error() + "\n"), 2
	}
	run := func() {
		var out, errb bytes.Buffer
		for _, c := range cmds {
			r := m.runCmd(n, c, stdin)
			out.Write(r.out.Bytes())
			errb.Write(r.err.Bytes())
			code = r.code
			if code != 0 {
				break
			}
		}
		stdout, stderr = out.Bytes(), errb.Bytes()
	}
	if quick && settleCheck != nil {
		settleCheck(m, run)
	} else {
		run()
	}
	return stdout, stderr, code
}

// settleCheck, when set (by the package's tests), wraps every run of
// read-only commands on a settled model, to verify that settling would
// indeed have changed nothing.
var settleCheck func(m *Model, run func())

// readOnlyCmd reports whether c only reads the model. It must never answer
// true for a command that changes anything (the package's tests check every
// such line, see settleCheck); answering false only costs a settle.
func readOnlyCmd(c simpleCmd) bool {
	if c.redirect != "" || len(c.args) == 0 {
		return false
	}
	switch c.args[0] {
	case "hostname", "true", "cat", "sha256sum", "journalctl", "corosync-cmapctl", "ls", "ip",
		"command", "timeout", "corosync-qdevice-tool", "pveversion", "test":
		return true
	case "systemctl":
		return len(c.args) >= 2 && c.args[1] == "is-active"
	case "corosync-quorumtool": // -e sets expected votes
		opts, _, _, err := getopt(c.args[1:], "evn")
		return err != nil || !has(opts, 'e')
	case "corosync-cfgtool": // -R reloads, -k kills
		opts, _, _, err := getopt(c.args[1:], "kai")
		return err != nil || !(has(opts, 'R') || has(opts, 'k'))
	case "pvecm":
		return len(c.args) >= 2 && (c.args[1] == "status" || c.args[1] == "nodes" || c.args[1] == "apiver")
	}
	return false
}

func (m *Model) runCmd(n *node, c simpleCmd, stdin []byte) *result {
	if len(c.args) == 0 {
		return &result{}
	}
	if c.redirect != "" && c.args[0] != "cat" {
		return (&result{}).fail(1, "bash: line 1: redirection is only supported for cat > FILE")
	}
	f, ok := commands[c.args[0]]
	if !ok {
		return (&result{}).fail(127, "bash: line 1: %s: command not found", c.args[0])
	}
	if r, ok := m.engineTool(n, c); ok {
		return r
	}
	r := f(m, n, c, stdin)
	m.settleIfNeeded()
	return r
}

func cmdHostname(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	r.outf("%s\n", n.spec.Name)
	return r
}
