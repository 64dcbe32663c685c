package clusters_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state/corosync"
)

// benchCluster is a healthy powered-on simulated cluster of n nodes.
func benchCluster(tb testing.TB, n int) *sim.Model {
	tb.Helper()
	var specs []sim.NodeSpec
	for i := 1; i <= n; i++ {
		specs = append(specs, sim.NodeSpec{Name: fmt.Sprintf("pve%d", i), NodeID: i, Votes: 1,
			Addrs: map[int]string{0: fmt.Sprintf("10.10.%d.%d", i/200, i%200+1)}, HostIP: fmt.Sprintf("192.0.2.%d", i)})
	}
	m := sim.NewCluster("bench", []corosync.Interface{{Number: 0}}, specs, 7)
	for _, s := range specs {
		if err := m.PowerOn(s.Name); err != nil {
			tb.Fatal(err)
		}
	}
	return m
}

// BenchmarkObserveInMemory measures one observation of 1 and 32 nodes when
// every node command costs 2 ms (the in-memory transport, so only quorate's
// own fan-out is measured). With full parallelism an observation costs two
// command latencies per node (systemctl first, then six commands at once),
// whatever the node count.
func BenchmarkObserveInMemory(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			m := benchCluster(b, n)
			_, remote, runner := inMemory(b, m)
			runner.latency = 2 * time.Millisecond
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				obs, err := remote.Observe(ctx)
				if err != nil || len(obs.Nodes) != n {
					b.Fatalf("observe: %v", err)
				}
			}
		})
	}
}
