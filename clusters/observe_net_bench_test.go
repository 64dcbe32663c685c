package clusters_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/simnet"
)

// BenchmarkObserveNet measures one observation of 1 and 32 nodes through the
// real clients (HTTPS API, SSH with its session limit) against the simnet
// servers, every API request and SSH command costing 2 ms. Unlike
// BenchmarkObserveInMemory it includes TLS, SSH channel setup and the
// servers' own work; connections are established by one observation before
// the timer starts, as in a long-running controller.
func BenchmarkObserveNet(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			m := benchCluster(b, n)
			srv, err := simnet.Start(m, simnet.Options{Dir: b.TempDir(), Latency: 2 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			m.SetFingerprints(srv.Fingerprints())
			path := filepath.Join(b.TempDir(), "cluster.yaml")
			if err := srv.WriteConfig(path, m.Declaration()); err != nil {
				b.Fatal(err)
			}
			decl, err := api.Load(path)
			if err != nil {
				b.Fatal(err)
			}
			remote, err := clusters.Connect(decl, clusters.ConnectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer remote.Close()
			ctx := context.Background()
			observe := func() {
				obs, err := remote.Observe(ctx)
				if err != nil {
					b.Fatalf("observe: %v", err)
				}
				if len(obs.Nodes) != n {
					b.Fatalf("observed %d nodes, want %d", len(obs.Nodes), n)
				}
				for _, node := range obs.Nodes {
					if !node.SSH.OK || !node.API.OK {
						b.Fatalf("%s: ssh %+v api %+v", node.Name, node.SSH, node.API)
					}
				}
			}
			observe() // dial SSH and warm up TLS outside the timer
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				observe()
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/observe")
		})
	}
}
