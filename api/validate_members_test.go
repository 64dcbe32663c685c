package api

import (
	"strings"
	"testing"
)

func member(c *Cluster, i int) *Member { return &c.Spec.Members[i] }

// addLink1 declares link 1 and gives every member an address on it.
func addLink1(c *Cluster) {
	c.Spec.Links = append(c.Spec.Links, Link{Number: 1, Priority: 20})
	for i := range c.Spec.Members {
		m := member(c, i)
		m.Addresses = append(m.Addresses, LinkAddress{Link: 1, Address: "10.20.20." + m.Name[3:]})
	}
}

// renumberLink1 adds link 1 and then renumbers it, addresses included, to n.
func renumberLink1(c *Cluster, n int) {
	addLink1(c)
	c.Spec.Links[1].Number = n
	for i := range c.Spec.Members {
		member(c, i).Addresses[1].Link = n
	}
}

func TestValidate_Links(t *testing.T) {
	runRules(t, []ruleCase{
		{"second link on every member", addLink1, "", ""},
		{"no links", func(c *Cluster) {
			c.Spec.Links = nil
			for i := range c.Spec.Members {
				member(c, i).Addresses = nil
			}
		}, "spec.links", "at least one link"},
		{"number 8 is beyond corosync's 0..7, ref 2.11", func(c *Cluster) { renumberLink1(c, 8) }, "spec.links[1].number", "0..7"},
		{"negative number", func(c *Cluster) { renumberLink1(c, -1) }, "spec.links[1].number", "0..7"},
		{"number declared twice", func(c *Cluster) { c.Spec.Links = append(c.Spec.Links, Link{Number: 0}) }, "spec.links[1].number", "declared twice"},
		{"link 0 missing, ref 4.4", func(c *Cluster) {
			addLink1(c)
			c.Spec.Links = c.Spec.Links[1:]
			for i := range c.Spec.Members {
				member(c, i).Addresses = member(c, i).Addresses[1:]
			}
		}, "spec.links", "link 0 is not declared"},
		{"priority 256, ref 2.11", func(c *Cluster) { c.Spec.Links[0].Priority = 256 }, "spec.links[0].priority", "0..255"},
		{"priority negative", func(c *Cluster) { c.Spec.Links[0].Priority = -1 }, "spec.links[0].priority", "0..255"},
		{"priority 255", func(c *Cluster) { c.Spec.Links[0].Priority = 255 }, "", ""},
	})
	t.Run("nine links", func(t *testing.T) {
		c := validCluster()
		for n := 1; n <= 8; n++ {
			c.Spec.Links = append(c.Spec.Links, Link{Number: n})
		}
		errs := Validate(c)
		found := false
		for _, e := range errs {
			found = found || (e.Path == "spec.links" && strings.Contains(e.Message, "at most 8"))
		}
		if !found {
			t.Fatalf("no 'at most 8' problem for 9 links; got:\n%s", (*Errors)(&errs).Error())
		}
	})
}

func TestValidate_Members(t *testing.T) {
	runRules(t, []ruleCase{
		{"no members", func(c *Cluster) { c.Spec.Members = nil }, "spec.members", "at least one member"},
		{"single member", func(c *Cluster) { c.Spec.Members = c.Spec.Members[:1] }, "", ""},
		{"name missing", func(c *Cluster) { member(c, 1).Name = "" }, "spec.members[1].name", "is required"},
		{"name with dot (FQDN)", func(c *Cluster) { member(c, 1).Name = "pve2.lan" }, "spec.members[1].name", "not a valid node name"},
		{"name with shell metacharacters", func(c *Cluster) { member(c, 1).Name = "pve2;rm" }, "spec.members[1].name", "not a valid node name"},
		{"name starting with hyphen", func(c *Cluster) { member(c, 1).Name = "-pve2" }, "spec.members[1].name", "not a valid node name"},
		{"name 64 chars", func(c *Cluster) { member(c, 1).Name = strings.Repeat("a", 64) }, "spec.members[1].name", "at most 63"},
		{"name 63 chars", func(c *Cluster) { member(c, 1).Name = strings.Repeat("a", 63) }, "", ""},
		{"name all digits", func(c *Cluster) { member(c, 1).Name = "42" }, "spec.members[1].name", "all digits"},
		{"name duplicate", func(c *Cluster) { member(c, 2).Name = "pve1" }, "spec.members[2].name", "already the name of spec.members[0]"},
		{"name duplicate ignoring case", func(c *Cluster) { member(c, 2).Name = "PVE1" }, "spec.members[2].name", "already the name"},
		{"nodeid 0 is reserved, ref 4.4", func(c *Cluster) { member(c, 0).NodeID = 0 }, "spec.members[0].nodeid", "0 is reserved"},
		{"nodeid 65536, ref 4.4", func(c *Cluster) { member(c, 0).NodeID = 65536 }, "spec.members[0].nodeid", "1..65535"},
		{"nodeid 65535", func(c *Cluster) { member(c, 0).NodeID = 65535 }, "", ""},
		{"nodeid duplicate, ref 4.4", func(c *Cluster) { member(c, 2).NodeID = 1 }, "spec.members[2].nodeid", "already used by pve1"},
		{"votes 0 counts as 1, ref 2.6 item 10", func(c *Cluster) { member(c, 1).Votes = 0 }, "spec.members[1].votes", "counts 1 vote"},
		{"votes negative", func(c *Cluster) { member(c, 1).Votes = -1 }, "spec.members[1].votes", "1..255"},
		{"votes 256", func(c *Cluster) { member(c, 1).Votes = 256 }, "spec.members[1].votes", "1..255"},
		{"votes 3", func(c *Cluster) { member(c, 1).Votes = 3 }, "", ""},
	})
}

func TestValidate_Addresses(t *testing.T) {
	addr := func(c *Cluster, i, j int) *LinkAddress { return &member(c, i).Addresses[j] }
	runRules(t, []ruleCase{
		{"not an IP, hint names the link", func(c *Cluster) { addr(c, 2, 0).Address = "10.0.0.300" }, "spec.members[2].addresses[0].address", "use the node's address on link 0"},
		{"host name refused, ref 4.4", func(c *Cluster) { addr(c, 2, 0).Address = "pve3.lan" }, "spec.members[2].addresses[0].address", "corosync resolves names only when it starts"},
		{"empty", func(c *Cluster) { addr(c, 2, 0).Address = "" }, "spec.members[2].addresses[0].address", "is required"},
		{"IPv6 zone", func(c *Cluster) { addr(c, 2, 0).Address = "fe80::1%eth0" }, "spec.members[2].addresses[0].address", "zone"},
		{"IPv4-mapped IPv6", func(c *Cluster) { addr(c, 2, 0).Address = "::ffff:10.10.10.3" }, "spec.members[2].addresses[0].address", "write it as 10.10.10.3"},
		{"unspecified", func(c *Cluster) { addr(c, 2, 0).Address = "0.0.0.0" }, "spec.members[2].addresses[0].address", "unspecified"},
		{"multicast", func(c *Cluster) { addr(c, 2, 0).Address = "239.192.0.1" }, "spec.members[2].addresses[0].address", "multicast"},
		{"leading zeros", func(c *Cluster) { addr(c, 2, 0).Address = "10.10.10.03" }, "spec.members[2].addresses[0].address", "not an IP address"},
		{"IPv6 link on every member", func(c *Cluster) {
			for i := range c.Spec.Members {
				addr(c, i, 0).Address = "fd00::" + member(c, i).Name[3:]
			}
		}, "", ""},
		{"duplicate across members, ref 2.6 item 5", func(c *Cluster) { addr(c, 2, 0).Address = "10.10.10.1" }, "spec.members[2].addresses[0].address", "already used by pve1 on link 0"},
		{"duplicate in another spelling", func(c *Cluster) {
			for i := range c.Spec.Members {
				addr(c, i, 0).Address = "fd00::" + member(c, i).Name[3:]
			}
			addr(c, 2, 0).Address = "fd00:0:0::1"
		}, "spec.members[2].addresses[0].address", "already used by pve1"},
		{"duplicate across links of one member", func(c *Cluster) {
			addLink1(c)
			addr(c, 0, 1).Address = "10.10.10.1"
		}, "spec.members[0].addresses[1].address", "already used by pve1 on link 0"},
		{"link not declared", func(c *Cluster) {
			member(c, 1).Addresses = append(member(c, 1).Addresses, LinkAddress{Link: 3, Address: "10.30.30.2"})
		}, "spec.members[1].addresses[1].link", "link 3 is not declared"},
		{"link given twice", func(c *Cluster) {
			member(c, 1).Addresses = append(member(c, 1).Addresses, LinkAddress{Link: 0, Address: "10.30.30.2"})
		}, "spec.members[1].addresses[1].link", "already has an address"},
		{"member lacks a declared link, ref 4.4", func(c *Cluster) {
			addLink1(c)
			member(c, 2).Addresses = member(c, 2).Addresses[:1]
		}, "spec.members[2].addresses", "no address for link 1"},
		{"member has no addresses", func(c *Cluster) { member(c, 2).Addresses = nil }, "spec.members[2].addresses", "no address for link 0"},
		{"mixed families on one link", func(c *Cluster) { addr(c, 2, 0).Address = "fd00::3" }, "spec.members[2].addresses[0].address", "mixes IPv4 and IPv6"},
		{"different families on different links", func(c *Cluster) {
			addLink1(c)
			for i := range c.Spec.Members {
				addr(c, i, 1).Address = "fd00::" + member(c, i).Name[3:]
			}
		}, "", ""},
	})
}

func TestValidate_Management(t *testing.T) {
	mg := func(c *Cluster, i int) *Management { return &member(c, i).Management }
	runRules(t, []ruleCase{
		{"host missing", func(c *Cluster) { mg(c, 0).Host = "" }, "spec.members[0].management.host", "is required"},
		{"host DNS name", func(c *Cluster) { mg(c, 0).Host = "pve1.example.com" }, "", ""},
		{"host DNS name with trailing dot", func(c *Cluster) { mg(c, 0).Host = "pve1.example.com." }, "", ""},
		{"host IPv6", func(c *Cluster) { mg(c, 0).Host = "fd00::1" }, "", ""},
		{"host with space", func(c *Cluster) { mg(c, 0).Host = "pve1 lan" }, "spec.members[0].management.host", "neither an IP address nor a DNS name"},
		{"host with shell metacharacter", func(c *Cluster) { mg(c, 0).Host = "pve1$(id)" }, "spec.members[0].management.host", "neither"},
		{"host with port", func(c *Cluster) { mg(c, 0).Host = "127.0.0.1:8006" }, "spec.members[0].management.host", "neither"},
		{"host bad IPv4 is not a name", func(c *Cluster) { mg(c, 0).Host = "10.0.0.300" }, "spec.members[0].management.host", "neither"},
		{"host label too long", func(c *Cluster) { mg(c, 0).Host = strings.Repeat("a", 64) + ".lan" }, "spec.members[0].management.host", "neither"},
		{"host label starting with hyphen", func(c *Cluster) { mg(c, 0).Host = "-pve1.lan" }, "spec.members[0].management.host", "neither"},
		{"host unspecified IP", func(c *Cluster) { mg(c, 0).Host = "::" }, "spec.members[0].management.host", "unspecified"},
		{"apiPort 0 inherits", func(c *Cluster) { mg(c, 0).APIPort = 0 }, "", ""},
		{"apiPort out of range", func(c *Cluster) { mg(c, 0).APIPort = 70000 }, "spec.members[0].management.apiPort", "not a TCP port"},
		{"sshPort negative", func(c *Cluster) { mg(c, 0).SSHPort = -1 }, "spec.members[0].management.sshPort", "not a TCP port"},
		{"fingerprint missing", func(c *Cluster) { mg(c, 0).Fingerprint = "" }, "spec.members[0].management.fingerprint", "is required"},
		{"fingerprint lower case", func(c *Cluster) { mg(c, 0).Fingerprint = strings.ToLower(fp(1)) }, "", ""},
		{"fingerprint 31 bytes, ref 1.1", func(c *Cluster) { mg(c, 0).Fingerprint = fp(1)[3:] }, "spec.members[0].management.fingerprint", "not a SHA-256 fingerprint"},
		{"fingerprint without colons", func(c *Cluster) { mg(c, 0).Fingerprint = strings.ReplaceAll(fp(1), ":", "") }, "spec.members[0].management.fingerprint", "not a SHA-256 fingerprint"},
		{"fingerprint SHA-1 length", func(c *Cluster) { mg(c, 0).Fingerprint = fp(1)[36:] }, "spec.members[0].management.fingerprint", "32 hex bytes"},
		{"same API endpoint twice", func(c *Cluster) { mg(c, 2).APIPort = 40001 }, "spec.members[2].management.apiPort", "127.0.0.1:40001 is also where pve1's API is"},
		{"same SSH endpoint twice via defaults", func(c *Cluster) { mg(c, 1).SSHPort, mg(c, 2).SSHPort = 0, 0 }, "spec.members[2].management.sshPort", "127.0.0.1:22 is also where pve2's SSH is"},
		{"same endpoint in another spelling", func(c *Cluster) {
			mg(c, 0).Host, mg(c, 1).Host = "PVE.lan", "pve.lan."
			mg(c, 1).APIPort = 40001
		}, "spec.members[1].management.apiPort", "also where pve1's API is"},
		{"distinct hosts on default ports", func(c *Cluster) {
			for i := range c.Spec.Members {
				*mg(c, i) = Management{Host: "10.0.0." + member(c, i).Name[3:], Fingerprint: fp(i)}
			}
		}, "", ""},
	})
}
