package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"time"

	"github.com/quorate/quorate/clusters/sim"
)

// Engine makes the lab's real corosync processes run under a simulator model
// (sim.Model.SetEngine): the model plays Proxmox's layer (pmxcfs, the API,
// pvecm, systemctl) and the lab's corosync answers for membership, quorum,
// the config_version refusal and links. Served over simnet, the pair is a
// Proxmox cluster quorate can observe, plan and apply against, with real
// corosync underneath.
func (l *Lab) Engine() sim.Engine { return labEngine{l} }

type labEngine struct{ l *Lab }

var _ sim.Engine = labEngine{}

// WriteConf installs the model's file with the lab's logging (a log file in
// the node's directory, hires timestamps) added: what real corosync reads.
// The model keeps the file as Proxmox wrote it, which is what quorate reads.
func (e labEngine) WriteConf(node string, conf []byte) error {
	withLog, err := WithLogfile(conf)
	if err != nil {
		return err
	}
	return e.l.WriteConf(node, withLog)
}

// Start starts corosync. The model only starts a corosync it believes is not
// running; a real one still running is on its way out (the model's twin has
// already exited on the CMAP check, which real corosync logs a moment before
// it exits), so Start waits for that exit, and stops it if it lingers.
func (e labEngine) Start(node string) error {
	if e.l.Running(node) {
		if _, err := e.l.WaitCorosyncExit(node, exitGrace); err != nil {
			if err := e.l.StopCorosync(node); err != nil {
				return err
			}
		}
	}
	return e.l.StartCorosync(node)
}

// exitGrace bounds the wait for a corosync that is exiting by itself
// (corosync-lab §2: the CMAP exit takes well under a second after the line).
const exitGrace = 10 * time.Second

func (e labEngine) Stop(node string) error { return e.l.StopCorosync(node) }

func (e labEngine) Kill(node string) error { return e.l.Kill(node) }

func (e labEngine) Reload(node string) error {
	if !e.l.Running(node) {
		return nil
	}
	_, serr, code := e.l.Exec(node, "corosync-cfgtool", "-R")
	if code != 0 {
		return fmt.Errorf("lab: %s: corosync-cfgtool -R: exit %d: %s", node, code, bytes.TrimSpace(serr))
	}
	return nil
}

func (e labEngine) Tool(node string, argv []string) ([]byte, []byte, int) {
	return e.l.Exec(node, argv...)
}

// logLineRE is a line of corosync's log file with timestamp: hires,
// "Nov 22 02:04:38.402 [PID] pve3 corosync error   [CMAP  ] message"
// (corosync-lab "Log lines").
var logLineRE = regexp.MustCompile(`^(\w{3} [ \d]\d \d\d:\d\d:\d\d)\.\d+ \[(\d+)\] (\S+) corosync \w+\s+(\[.*)$`)

// Journal renders the log file as journalctl's short format shows the same
// lines on Proxmox: "Nov 22 02:04:38 pve3 corosync[PID]:   [CMAP  ] message".
func (e labEngine) Journal(node string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(e.l.Log(node)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if m := logLineRE.FindStringSubmatch(sc.Text()); m != nil {
			fmt.Fprintf(&out, "%s %s corosync[%s]:   %s\n", m[1], m[3], m[2], m[4])
		}
	}
	return out.Bytes()
}
