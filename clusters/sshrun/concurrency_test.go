package sshrun

import (
	"context"
	"sync"
	"testing"
)

// TestRunCapsSessionsPerConnection starts 20 commands that all block on the
// server. It releases them only once MaxSessions are running on the server
// and the other 20-MaxSessions are queued in the runner, so without the
// semaphore the test cannot reach the release point (it fails by timeout)
// and a leaky one shows up in the server's peak.
func TestRunCapsSessionsPerConnection(t *testing.T) {
	const total, maxSessions = 20, 3
	queued := make(chan struct{}, total)
	f := newFixture(t, func(c *Config) { c.MaxSessions = maxSessions })
	f.runner.onQueue = func(string) { queued <- struct{}{} }

	var wg sync.WaitGroup
	errs := make(chan error, total)
	for range total {
		wg.Go(func() {
			res, err := f.runner.Run(context.Background(), f.srv.addr, "hold", nil)
			if err == nil && res.Code != 0 {
				t.Errorf("hold exited %d", res.Code)
			}
			errs <- err
		})
	}
	for range maxSessions {
		recv(t, f.srv.started, "a session to start on the server")
	}
	for range total - maxSessions {
		recv(t, queued, "a command to queue for a session slot")
	}
	if _, active, _ := f.srv.stats(); active != maxSessions {
		t.Errorf("server has %d sessions open while %d are queued; want %d", active, total-maxSessions, maxSessions)
	}
	close(f.srv.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	accepted, _, peak := f.srv.stats()
	if peak > maxSessions {
		t.Errorf("server saw %d concurrent sessions; MaxSessions is %d", peak, maxSessions)
	}
	if accepted != 1 {
		t.Errorf("server saw %d connections; want 1", accepted)
	}
}
