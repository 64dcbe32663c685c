package sim

import (
	"fmt"
	"strconv"

	"github.com/quorate/quorate/state/corosync"
)

// rtDevice is quorum.device as corosync and corosync-qdevice read it
// (reference §4.6, §7.5). Defaults are filled in: port 5403, tls on,
// algorithm ffsplit, tie_breaker lowest.
type rtDevice struct {
	model      string
	votes      int // quorum.device.votes; 0 = absent (derived, §7.4)
	host       string
	port       int
	tls        string
	algorithm  string
	tieBreaker string
}

// readDevice fills c.device, c.devVotes, c.devErr and c.vqErr from the
// quorum.device section. votequorum treats a device as configured when
// quorum.device.model is set (corosync exec/votequorum.c).
func (c *rtConf) readDevice(d *corosync.Section) {
	model, ok := d.Value("model")
	if !ok {
		return
	}
	dev := &rtDevice{model: model, port: 5403, tls: "on", algorithm: "ffsplit", tieBreaker: "lowest"}
	if v, ok := d.Value("votes"); ok {
		dev.votes, _ = strconv.Atoi(v)
	}
	net := d.Section("net")
	dev.host, _ = net.Value("host")
	if v, ok := net.Value("port"); ok {
		dev.port, _ = strconv.Atoi(v)
	}
	for key, dst := range map[string]*string{"tls": &dev.tls, "algorithm": &dev.algorithm, "tie_breaker": &dev.tieBreaker} {
		if v, ok := net.Value(key); ok {
			*dst = v
		}
	}
	c.device = dev
	c.devVotes, c.devErr = c.computeDeviceVotes()
	if c.twoNode {
		c.vqErr = "two_node and quorum device cannot be configured at the same time!"
	}
}

// computeDeviceVotes is votequorum_readconfig's rule (reference §7.4): the
// configured votes, checked against quorum.expected_votes; when absent, every
// node must have 1 vote and expected_votes must be unset, and the device gets
// node_count − 1.
func (c *rtConf) computeDeviceVotes() (int, string) {
	if v := c.device.votes; v > 0 {
		if c.expected > 0 && c.expected-v < 2 {
			return 0, "quorum.device.votes is too high or expected_votes is too low"
		}
		return v, ""
	}
	if c.expected > 0 {
		return 0, "quorum.device.votes must be specified when quorum.expected_votes is set"
	}
	for _, n := range c.nodes {
		if n.votes != 1 {
			return 0, "quorum.device.votes must be specified when not all nodes votes 1"
		}
	}
	return len(c.nodes) - 1, ""
}

// algorithmName is how corosync-qdevice-tool and the API name the
// algorithm (reference §2.10).
func (d *rtDevice) algorithmName() string {
	switch d.algorithm {
	case "ffsplit":
		return "Fifty-Fifty split"
	case "lms":
		return "LMS"
	case "test":
		return "Test"
	}
	return d.algorithm
}

// tieBreakerName is the Tie-breaker line's text (reference §2.10).
func (d *rtDevice) tieBreakerName() string {
	switch d.tieBreaker {
	case "lowest":
		return "Node with lowest node ID"
	case "highest":
		return "Node with highest node ID"
	}
	return "Node with node ID " + d.tieBreaker
}

// hostPort is "HOST:PORT" as the QNetd host line shows it.
func (d *rtDevice) hostPort() string { return fmt.Sprintf("%s:%d", d.host, d.port) }

// quorumConfigError is votequorum's fatal configuration error at start
// ("" when none): two_node with a device (§7.2) or inconsistent device votes
// (§7.4).
func (c *rtConf) quorumConfigError() string {
	if c.vqErr != "" {
		return c.vqErr
	}
	return c.devErr
}
