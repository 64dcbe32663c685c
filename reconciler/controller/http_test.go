package controller

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/state/status"
)

// TestHandler_Endpoints: /healthz, /readyz, /metrics and /status answer as
// Kubernetes probes and Prometheus expect.
func TestHandler_Endpoints(t *testing.T) {
	dir := t.TempDir()
	startClusters(t, dir, "east")
	s := startController(t, testConfig(t, dir, "mgmt-1"), nil)
	srv := httptest.NewServer(s.c.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, "east Ready", 20*time.Second, func() bool { return s.ready("east") })
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d while running", code)
	}
	code, body := get("/metrics")
	for _, want := range []string{`controller_runtime_reconcile_total{controller="cluster",result="success"}`, `quorate_cluster_quorate{cluster="east"} 1`, "controller_runtime_active_workers"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	code, body = get("/status")
	var sts []status.ClusterStatus
	if code != 200 || json.Unmarshal([]byte(body), &sts) != nil || len(sts) != 1 || sts[0].Cluster != "east" {
		t.Errorf("/status %d: %s", code, body)
	}
	if code, _ := get("/status/east"); code != 200 {
		t.Errorf("/status/east %d", code)
	}
	if code, _ := get("/status/nowhere"); code != 404 {
		t.Errorf("/status/nowhere %d, want 404", code)
	}
	s.stop()
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz %d after stop, want 503", code)
	}
}
