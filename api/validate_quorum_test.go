package api

import "testing"

// twoMembers drops pve3.
func twoMembers(c *Cluster) { c.Spec.Members = c.Spec.Members[:2] }

func withQDevice(alg string) func(*Cluster) {
	return func(c *Cluster) {
		c.Spec.QDevice = &QDevice{Host: "192.0.2.50", Algorithm: alg, TieBreaker: TieBreakerLowest}
	}
}

func TestValidate_Quorum(t *testing.T) {
	runRules(t, []ruleCase{
		{"twoNode with 2 members of 1 vote, ref 7.2", func(c *Cluster) {
			twoMembers(c)
			c.Spec.Quorum.TwoNode = true
		}, "", ""},
		{"twoNode with 3 members, ref 7.2", func(c *Cluster) { c.Spec.Quorum.TwoNode = true }, "spec.quorum.twoNode", "exactly 2 members"},
		{"twoNode with 2 votes on one member, ref 7.2", func(c *Cluster) {
			twoMembers(c)
			c.Spec.Quorum.TwoNode = true
			member(c, 1).Votes = 2
		}, "spec.quorum.twoNode", "1 vote"},
		{"twoNode with a qdevice, ref 7.2", func(c *Cluster) {
			twoMembers(c)
			withQDevice(AlgorithmFFSplit)(c)
			c.Spec.Quorum.TwoNode = true
		}, "spec.quorum.twoNode", "two_node and quorum device cannot be configured at the same time"},
		{"waitForAll alone", func(c *Cluster) { c.Spec.Quorum.WaitForAll = true }, "", ""},
		{"expectedVotes negative", func(c *Cluster) { c.Spec.Quorum.ExpectedVotes = -1 }, "spec.quorum.expectedVotes", "negative"},
		{"expectedVotes equal to total", func(c *Cluster) { c.Spec.Quorum.ExpectedVotes = 3 }, "", ""},
		{"expectedVotes above total", func(c *Cluster) { c.Spec.Quorum.ExpectedVotes = 5 }, "", ""},
		{"expectedVotes below total, ref 7.1", func(c *Cluster) { c.Spec.Quorum.ExpectedVotes = 2 }, "spec.quorum.expectedVotes", "at least 3"},
		{"expectedVotes counts member votes", func(c *Cluster) {
			member(c, 0).Votes = 3
			c.Spec.Quorum.ExpectedVotes = 4
		}, "spec.quorum.expectedVotes", "less than the 5 votes"},
		{"expectedVotes counts the ffsplit vote, ref 4.6", func(c *Cluster) {
			twoMembers(c)
			withQDevice(AlgorithmFFSplit)(c)
			c.Spec.Quorum.ExpectedVotes = 2
		}, "spec.quorum.expectedVotes", "plus the qdevice's"},
		{"expectedVotes with ffsplit at total", func(c *Cluster) {
			twoMembers(c)
			withQDevice(AlgorithmFFSplit)(c)
			c.Spec.Quorum.ExpectedVotes = 3
		}, "", ""},
		{"expectedVotes with lms, ref 7.4", func(c *Cluster) {
			withQDevice(AlgorithmLMS)(c)
			c.Spec.Quorum.ExpectedVotes = 5
		}, "spec.quorum.expectedVotes", "lms"},
	})
}

func TestValidate_QDevice(t *testing.T) {
	q := func(c *Cluster) *QDevice { return c.Spec.QDevice }
	lms := withQDevice(AlgorithmLMS) // validCluster has 3 members: lms fits
	runRules(t, []ruleCase{
		{"lms on 3 members", lms, "", ""},
		{"ffsplit on 2 members", func(c *Cluster) { twoMembers(c); withQDevice(AlgorithmFFSplit)(c) }, "", ""},
		{"ffsplit on 4 members", func(c *Cluster) {
			c.Spec.Members = append(c.Spec.Members, Member{Name: "pve4", NodeID: 4, Votes: 1,
				Addresses:  []LinkAddress{{Link: 0, Address: "10.10.10.4"}},
				Management: Management{Host: "127.0.0.1", APIPort: 40004, SSHPort: 40104, Fingerprint: fp(4)}})
			withQDevice(AlgorithmFFSplit)(c)
		}, "", ""},
		{"ffsplit on 3 members, ref 3.9", withQDevice(AlgorithmFFSplit), "spec.qdevice.algorithm", "set algorithm: lms"},
		{"lms on 2 members, ref 3.9", func(c *Cluster) { twoMembers(c); lms(c) }, "spec.qdevice.algorithm", "set algorithm: ffsplit"},
		{"unknown algorithm", func(c *Cluster) { lms(c); q(c).Algorithm = "2nodelms" }, "spec.qdevice.algorithm", "ffsplit or lms"},
		{"one member", func(c *Cluster) { c.Spec.Members = c.Spec.Members[:1]; lms(c) }, "spec.qdevice", "at least 2 members"},
		{"host missing", func(c *Cluster) { lms(c); q(c).Host = "" }, "spec.qdevice.host", "is required"},
		{"host name refused, ref 3.9", func(c *Cluster) { lms(c); q(c).Host = "qnetd.lan" }, "spec.qdevice.host", "takes an IP address only"},
		{"host not an address", func(c *Cluster) { lms(c); q(c).Host = "qnetd lan" }, "spec.qdevice.host", "not an IP address"},
		{"host IPv6", func(c *Cluster) { lms(c); q(c).Host = "2001:db8::50" }, "", ""},
		{"host is a member's ring address", func(c *Cluster) { lms(c); q(c).Host = "10.10.10.2" }, "spec.qdevice.host", "member pve2"},
		{"host is a member's management address", func(c *Cluster) {
			lms(c)
			member(c, 1).Management.Host = "192.0.2.50"
		}, "spec.qdevice.host", "member pve2"},
		{"loopback host shared with management, as in the simulator", func(c *Cluster) { lms(c); q(c).Host = "127.0.0.1" }, "", ""},
		{"member with 2 votes, ref 7.4", func(c *Cluster) { lms(c); member(c, 2).Votes = 2 }, "spec.members[2].votes", "every member must have 1 vote"},
		{"tieBreaker highest", func(c *Cluster) { lms(c); q(c).TieBreaker = TieBreakerHighest }, "", ""},
		{"tieBreaker member nodeid", func(c *Cluster) { lms(c); q(c).TieBreaker = "2" }, "", ""},
		{"tieBreaker unknown nodeid", func(c *Cluster) { lms(c); q(c).TieBreaker = "9" }, "spec.qdevice.tieBreaker", "nodeid 9 is not a member's"},
		{"tieBreaker word", func(c *Cluster) { lms(c); q(c).TieBreaker = "first" }, "spec.qdevice.tieBreaker", "lowest, highest or a member's nodeid"},
		{"tieBreaker empty", func(c *Cluster) { lms(c); q(c).TieBreaker = "" }, "spec.qdevice.tieBreaker", "not a tie-breaker"},
	})
}
