package sim

import (
	"fmt"

	"github.com/quorate/quorate/state/corosync"
)

// Healthy builds a healthy cluster called name with nodes pve1..pveN
// (nodeid 1..N, link0 10.10.10.i, host IPs 192.0.2.i), config_version 3, all
// powered on and quorate: the "healthy" scenario under another name, so that
// several simulated clusters can run side by side (`quorate sim serve
// --scenario healthy --name NAME`).
func Healthy(name string, nodes int) (*Model, error) {
	if nodes < 1 || nodes > 32 {
		return nil, fmt.Errorf("sim: %d nodes; use 1..32", nodes)
	}
	nums := make([]int, nodes)
	for i := range nums {
		nums[i] = i + 1
	}
	m := NewCluster(name, link0, labNodes("pve", nums...), 3)
	return m, powerAll(m, m.Nodes()...)
}

// MakeStale makes node miss a corosync.conf change, as a node repaired after
// weeks offline has: it is powered off, another powered member bumps
// config_version with the manual edit procedure (reference §4.3: .new, then
// rename), and node is powered on again, where its corosync exits with the
// CMAP "Received config version" line (reference §5.4). The declared state
// is unchanged: only the version moved.
func (m *Model) MakeStale(node string) error {
	var editor string
	for _, n := range m.Nodes() {
		if n != node && m.Powered(n) {
			editor = n
			break
		}
	}
	if editor == "" {
		return fmt.Errorf("sim: MakeStale(%s): no other powered member to edit from", node)
	}
	if err := m.PowerOff(node); err != nil {
		return err
	}
	out, serr, code := m.Exec(editor, "cat /etc/pve/corosync.conf", nil)
	if code != 0 {
		return fmt.Errorf("sim: MakeStale: %s: cat: %s", editor, serr)
	}
	conf, err := bumpVersion(out)
	if err != nil {
		return err
	}
	for _, step := range []struct {
		cmd   string
		stdin []byte
	}{
		{"cat > /etc/pve/corosync.conf.new", conf},
		{"mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf", nil},
	} {
		if _, serr, code := m.Exec(editor, step.cmd, step.stdin); code != 0 {
			return fmt.Errorf("sim: MakeStale: %s: %s: exit %d: %s", editor, step.cmd, code, serr)
		}
	}
	return m.PowerOn(node)
}

// bumpVersion raises the config_version line of a corosync.conf by one.
func bumpVersion(conf []byte) ([]byte, error) {
	cfg, err := corosync.Parse(conf)
	if err != nil {
		return nil, fmt.Errorf("sim: MakeStale: %w", err)
	}
	if _, err := cfg.BumpVersion(); err != nil {
		return nil, fmt.Errorf("sim: MakeStale: %w", err)
	}
	return cfg.Bytes(), nil
}
