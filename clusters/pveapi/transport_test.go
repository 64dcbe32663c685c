package pveapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

// TestTransportFailuresReachTelmateAsFinal checks the mechanism described in
// transport.go: for every kind of failure, Telmate's GET path must see an
// answer it classifies as final. Telmate returns *ApiError only on its
// retry=false path; any other error type would mean a retry sleep
// (dependencies.md §1.7, §1.9). The holder must carry the real error.
func TestTransportFailuresReachTelmateAsFinal(t *testing.T) {
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return "https://" + ln.Addr().String()
	}()
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil = use the refused address
		badPin  bool
		want    func(error) bool
	}{
		{name: "connection refused", want: func(err error) bool { var oe *net.OpError; return errors.As(err, &oe) }},
		{name: "pin mismatch", badPin: true, handler: func(w http.ResponseWriter, r *http.Request) {},
			want: func(err error) bool { var fe *FingerprintError; return errors.As(err, &fe) }},
		{name: "non-JSON 500", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			want: func(err error) bool { var ae *APIError; return errors.As(err, &ae) && ae.Status == 500 }},
		{name: "non-JSON 200", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("nope")) },
			want: func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, fp := refused, FormatFingerprint(make([]byte, 32))
			if tt.handler != nil {
				f := newFakePVE(t, tt.handler)
				base = f.srv.URL
				if !tt.badPin {
					fp = f.fingerprint()
				}
			}
			c := newTestClient(t, base, fp)
			h := &holder{}
			ctx := context.WithValue(context.Background(), holderKey{}, h)
			var env map[string]any
			err := c.px.GetJsonRetryable(ctx, "/version", &env, 1)
			var pe *pxapi.ApiError
			if !errors.As(err, &pe) || pe.Code != "599" {
				t.Fatalf("Telmate returned %v (%T); want ApiError 599 (its no-retry path)", err, err)
			}
			if !tt.want(h.get()) {
				t.Errorf("holder has %v (%T)", h.get(), h.get())
			}
		})
	}
}
