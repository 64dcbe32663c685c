package controller

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newHandler serves the controller's HTTP endpoints:
//   - /metrics: Prometheus text format;
//   - /healthz: 200 while the process serves (liveness);
//   - /readyz: 200 once the clusters directory was read and while not
//     shutting down, else 503 (readiness);
//   - /status: every cluster's status as a JSON array; /status/NAME one.
func newHandler(c *Controller) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(c.opts.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.Ready() {
			http.Error(w, "not ready: the clusters directory was not read yet, cannot be read, or the controller is stopping", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, c.Statuses())
	})
	mux.HandleFunc("GET /status/{cluster}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("cluster")
		for _, st := range c.Statuses() {
			if st.Cluster == name {
				writeJSON(w, st)
				return
			}
		}
		http.Error(w, "no cluster "+strings.TrimSpace(name)+" is declared", http.StatusNotFound)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
