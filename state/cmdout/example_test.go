package cmdout_test

import (
	"fmt"

	"github.com/quorate/quorate/state/cmdout"
)

func ExampleParseQuorumtool() {
	out := "Quorum information\n------------------\n" +
		"Nodes:            2\nNode ID:          1\nRing ID:          1.9\nQuorate:          Yes\n\n" +
		"Votequorum information\n----------------------\n" +
		"Expected votes:   3\nHighest expected: 3\nTotal votes:      3\nQuorum:           2  \n" +
		"Flags:            Quorate Qdevice \n\n" +
		"Membership information\n----------------------\n" +
		"    Nodeid      Votes    Qdevice Name\n" +
		"         1          1    A,V,NMW pve1 (local)\n" +
		"         2          1    A,V,NMW pve2\n" +
		"         0          1            Qdevice\n"
	q, err := cmdout.ParseQuorumtool([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Quorate, q.TotalVotes, q.Flags)
	for _, m := range q.Members {
		fmt.Printf("%d %d %q %s local=%t\n", m.NodeID, m.Votes, m.Qdevice, m.Name, m.Local)
	}
	// Output:
	// true 3 [Quorate Qdevice]
	// 1 1 "A,V,NMW" pve1 local=true
	// 2 1 "A,V,NMW" pve2 local=false
	// 0 1 "" Qdevice local=false
}

func ExampleFindCMAPRejection() {
	log := "Nov 22 02:04:35 pve3 corosync[1234]:   [MAIN  ] Corosync Cluster Engine 3.1.7 starting up\n" +
		"Nov 22 02:04:38 pve3 corosync[1234]:   [CMAP  ] Received config version (32) is different than my config version (31)! Exiting\n" +
		"Nov 22 02:04:39 pve3 corosync[1234]:   [MAIN  ] Corosync Cluster Engine exiting normally\n"
	r := cmdout.FindCMAPRejection([]byte(log))
	fmt.Printf("cluster has %d, this node has %d\n", r.Received, r.Mine)
	// Output: cluster has 32, this node has 31
}
