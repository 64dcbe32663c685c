package sim

import (
	"sync"
	"testing"
)

// The servers call Exec and API from many goroutines; run with -race.
func TestModel_ConcurrentUse(t *testing.T) {
	m := scenario(t, "healthy")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nm := m.Nodes()[i%3]
			m.Exec(nm, "corosync-quorumtool -s", nil)
			m.API(nm, "GET", "/cluster/status", nil)
			m.Exec(nm, "cat > /etc/pve/x", []byte("y"))
			_ = m.Snapshot()
		}(i)
	}
	wg.Wait()
	if got := memberIDs(t, m, "pve1"); got != "1 2 3" {
		t.Errorf("members %q", got)
	}
}
