package pveapi

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/quorate/quorate/state"
)

// Bodies follow reference §2.1, §2.5, §2.8 and §2.12; "strings" variants
// send numbers as strings, as PVE does for values parsed from corosync.conf
// (reference §1.2).
const (
	statusNumbers = `{"data":[
 {"type":"cluster","id":"cluster","name":"prod","version":7,"nodes":3,"quorate":1},
 {"type":"node","id":"node/pve2","name":"pve2","nodeid":2,"local":0,"online":1,"ip":"192.0.2.12","level":""},
 {"type":"node","id":"node/pve1","name":"pve1","nodeid":1,"local":1,"online":1,"ip":"192.0.2.11","level":""},
 {"type":"node","id":"node/pve3","name":"pve3","nodeid":3,"local":0,"online":0,"ip":"192.0.2.13","level":""}]}`
	statusStrings = `{"data":[
 {"type":"node","id":"node/pve2","name":"pve2","nodeid":"2","local":"0","online":"1"},
 {"type":"cluster","id":"cluster","name":"prod","version":"12","nodes":"2","quorate":"0"},
 {"type":"node","id":"node/pve1","name":"pve1","nodeid":"1","local":"1","online":"0"}]}`
	statusStandalone = `{"data":[{"type":"node","id":"node/pve9","name":"pve9","ip":"192.0.2.19","local":1,"nodeid":0,"online":1,"level":""}]}`
	nodesMixed       = `{"data":[
 {"node":"pve2","name":"pve2","nodeid":2,"quorum_votes":1,"ring0_addr":"10.10.10.2"},
 {"node":"pve1","name":"pve1","nodeid":"1","quorum_votes":"1","ring0_addr":"10.10.10.1","ring1_addr":"10.20.20.1"}]}`
	joinBody = `{"data":{"config_digest":"0a1b2c","preferred_node":"pve1",
 "nodelist":[
  {"name":"pve2","nodeid":"2","quorum_votes":"1","ring0_addr":"10.10.10.2","pve_addr":"192.0.2.12","pve_fp":"AA:BB"},
  {"name":"pve1","nodeid":1,"quorum_votes":"1","ring0_addr":"10.10.10.1","pve_addr":"192.0.2.11","pve_fp":"CC:DD"}],
 "totem":{"cluster_name":"prod","config_version":"4","interface":{"0":{"linknumber":"0"}}}}}`
)

func TestClusterStatusDecoding(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *state.PVEStatus
	}{
		{name: "numbers, hash order (reference §2.1 example)", body: statusNumbers, want: &state.PVEStatus{
			ClusterName: "prod", Version: 7, Quorate: true,
			Nodes: []state.PVENode{
				{Name: "pve1", NodeID: 1, Online: true, Local: true, IP: "192.0.2.11"},
				{Name: "pve2", NodeID: 2, Online: true, IP: "192.0.2.12"},
				{Name: "pve3", NodeID: 3, Online: false, IP: "192.0.2.13"},
			}}},
		{name: "strings", body: statusStrings, want: &state.PVEStatus{
			ClusterName: "prod", Version: 12, Quorate: false,
			Nodes: []state.PVENode{
				{Name: "pve1", NodeID: 1, Local: true},
				{Name: "pve2", NodeID: 2, Online: true},
			}}},
		{name: "standalone node has no cluster entry", body: statusStandalone, want: &state.PVEStatus{
			Nodes: []state.PVENode{{Name: "pve9", NodeID: 0, Online: true, Local: true, IP: "192.0.2.19"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.body) })
			c := newTestClient(t, f.srv.URL, f.fingerprint())
			got, err := c.ClusterStatus(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigNodesStringsOrNumbers(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, nodesMixed) })
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	got, err := c.ConfigNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"node": "pve1", "name": "pve1", "nodeid": "1", "quorum_votes": "1", "ring0_addr": "10.10.10.1", "ring1_addr": "10.20.20.1"},
		{"node": "pve2", "name": "pve2", "nodeid": "2", "quorum_votes": "1", "ring0_addr": "10.10.10.2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestJoinInfo(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, joinBody) })
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	ji, err := c.JoinInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ji.ConfigDigest != "0a1b2c" || ji.PreferredNode != "pve1" || len(ji.Nodelist) != 2 {
		t.Fatalf("JoinInfo = %+v", ji)
	}
	n := ji.Nodelist[0]
	if n.Name != "pve1" || n.NodeID != "1" || n.QuorumVotes != "1" || n.PVEAddr != "192.0.2.11" || n.PVEFingerprint != "CC:DD" || n.Fields["ring0_addr"] != "10.10.10.1" {
		t.Errorf("Nodelist[0] = %+v", n)
	}
	if ji.Totem["config_version"] != "4" || ji.Totem["interface"] != `{"0":{"linknumber":"0"}}` {
		t.Errorf("Totem = %v", ji.Totem)
	}
}

func TestJoinInfoNotInCluster(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 424, `{"data":null,"message":"node is not in a cluster, no join info available!\n"}`)
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	_, err := c.JoinInfo(context.Background())
	if !IsNotInCluster(err) {
		t.Fatalf("err = %v; want IsNotInCluster", err)
	}
}

func TestVersionAndTokenHeader(t *testing.T) {
	f := newFakePVE(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api2/json/version" {
			writeJSON(w, 501, `{"data":null,"message":"Method 'GET `+r.URL.Path+`' not implemented"}`)
			return
		}
		writeJSON(w, 200, `{"data":{"version":"9.1.2","release":9.1,"repoid":"0a1b2c3d"}}`)
	})
	c := newTestClient(t, f.srv.URL, f.fingerprint())
	v, err := c.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v != (Version{Version: "9.1.2", Release: "9.1", RepoID: "0a1b2c3d"}) {
		t.Errorf("Version = %+v", v)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := "PVEAPIToken=" + testTokenID + "=" + testTokenSecret // reference §1.3
	if len(f.auth) != 1 || f.auth[0] != want {
		t.Errorf("Authorization headers %q; want [%q]", f.auth, want)
	}
}

func TestPathEscapesSegments(t *testing.T) {
	tests := []struct {
		name string
		segs []string
		want string
	}{
		{name: "plain", segs: []string{"nodes", "pve1", "status"}, want: "/nodes/pve1/status"},
		{name: "slash and query chars escaped", segs: []string{"nodes", "a/b?c", "tasks", "UPID:pve2:0001A2B3::root@pam:"}, want: "/nodes/a%2Fb%3Fc/tasks/UPID:pve2:0001A2B3::root@pam:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Path(tt.segs...); got != tt.want {
				t.Errorf("Path = %q; want %q", got, tt.want)
			}
		})
	}
}
