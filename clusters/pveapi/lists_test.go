package pveapi

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

// TestClusterLists serves each list endpoint with mixed number/string values
// (reference §1.2) and checks path, query and decoding.
func TestClusterLists(t *testing.T) {
	var gotQuery string
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api2/json/cluster/resources":
			gotQuery = r.URL.RawQuery
			writeJSON(w, 200, `{"data":[{"id":"qemu/101","type":"qemu","vmid":"101","node":"pve2","name":"db"},
				{"id":"lxc/100","type":"lxc","vmid":100,"node":"pve1"}]}`)
		case "/api2/json/cluster/ha/resources":
			writeJSON(w, 200, `{"data":[{"sid":"vm:101","type":"vm","state":"started","group":"g1"}]}`)
		case "/api2/json/cluster/ha/groups":
			writeJSON(w, 200, `{"data":[{"group":"g1","nodes":"pve2:2,pve1:1","type":"group"}]}`)
		case "/api2/json/cluster/replication":
			writeJSON(w, 200, `{"data":[{"id":"101-0","guest":101,"jobnum":0,"target":"pve1","type":"local"}]}`)
		default:
			writeJSON(w, 501, `{"data":null,"message":"Method 'GET `+r.URL.Path+`' not implemented"}`)
		}
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	ctx := context.Background()
	guests, err := c.Resources(ctx, "vm")
	if err != nil {
		t.Fatal(err)
	}
	if gotQuery != "type=vm" {
		t.Errorf("query %q, want type=vm", gotQuery)
	}
	wantGuests := []state.Guest{{VMID: 100, Type: "lxc", Node: "pve1"}, {VMID: 101, Type: "qemu", Node: "pve2", Name: "db"}}
	if !reflect.DeepEqual(guests, wantGuests) {
		t.Errorf("Resources = %+v", guests)
	}
	ha, err := c.HAResources(ctx)
	if err != nil || !reflect.DeepEqual(ha, []state.HAResource{{SID: "vm:101", Group: "g1", State: "started"}}) {
		t.Errorf("HAResources = %+v, %v", ha, err)
	}
	groups, err := c.HAGroups(ctx)
	if err != nil || !reflect.DeepEqual(groups, []state.HAGroup{{Group: "g1", Nodes: []string{"pve2", "pve1"}}}) {
		t.Errorf("HAGroups = %+v, %v", groups, err)
	}
	repl, err := c.Replication(ctx)
	if err != nil || !reflect.DeepEqual(repl, []state.ReplicationJob{{ID: "101-0", Guest: 101, Target: "pve1"}}) {
		t.Errorf("Replication = %+v, %v", repl, err)
	}
}

// TestClusterListsErrors: an API error is returned as such (with no list),
// and a body of the wrong shape is an error, not an empty list.
func TestClusterListsErrors(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api2/json/cluster/ha/groups" {
			writeJSON(w, 200, `{"data":[{"nodes":"pve1"}]}`)
			return
		}
		writeJSON(w, 403, `{"data":null,"message":"Permission check failed (/, Sys.Audit)"}`)
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	if got, err := c.Replication(context.Background()); err == nil || got != nil || !strings.Contains(err.Error(), "Permission check failed") {
		t.Errorf("Replication = %v, %v; want the 403", got, err)
	}
	if got, err := c.HAGroups(context.Background()); err == nil || got != nil || !strings.Contains(err.Error(), "no group name") {
		t.Errorf("HAGroups = %v, %v; want a shape error", got, err)
	}
}
