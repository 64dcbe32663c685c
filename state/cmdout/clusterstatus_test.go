package cmdout

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

func TestParseClusterStatus(t *testing.T) {
	tests := []struct {
		name string
		body string
		want state.PVEStatus
	}{
		{
			name: "reference §2.1 example: envelope, hash order, pve3 down",
			body: string(readTestdata(t, "clusterstatus", "ref21-pve3-down.json")),
			want: state.PVEStatus{ClusterName: "prod", Version: 7, Quorate: true, Nodes: []state.PVENode{
				{Name: "pve1", NodeID: 1, Online: true, Local: true, IP: "192.0.2.11"},
				{Name: "pve2", NodeID: 2, Online: true, IP: "192.0.2.12"},
				{Name: "pve3", NodeID: 3, Online: false, IP: "192.0.2.13"},
			}},
		},
		{
			name: "reference §2.1 standalone: one nodeid 0 entry, no cluster entry",
			body: string(readTestdata(t, "clusterstatus", "standalone.json")),
			want: state.PVEStatus{ClusterName: "", Nodes: []state.PVENode{
				{Name: "pve1", NodeID: 0, Online: true, Local: true, IP: "192.0.2.11"},
			}},
		},
		{
			name: "bare array, numbers as strings, cluster entry not first, ip absent, sorted as strings",
			body: string(readTestdata(t, "clusterstatus", "strings-bare-array.json")),
			want: state.PVEStatus{ClusterName: "lab", Version: 12, Quorate: false, Nodes: []state.PVENode{
				{Name: "pve1", NodeID: 1, Online: false},
				{Name: "pve10", NodeID: 10, Online: true, IP: "192.0.2.20"},
				{Name: "pve2", NodeID: 2, Online: true, Local: true, IP: "192.0.2.12"},
			}},
		},
		{
			name: "booleans for flags and unknown entry types ignored",
			body: `{"data":[{"type":"cluster","name":"c","version":1,"quorate":true},{"type":"qdevice","name":"q"},{"type":"node","name":"a","nodeid":1,"online":true,"local":false}]}`,
			want: state.PVEStatus{ClusterName: "c", Version: 1, Quorate: true, Nodes: []state.PVENode{{Name: "a", NodeID: 1, Online: true}}},
		},
		{
			name: "empty data",
			body: `{"data":[]}`,
			want: state.PVEStatus{Nodes: []state.PVENode{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClusterStatus([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseClusterStatus: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseClusterStatusErrors(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"empty body", "", "not the expected JSON"},
		{"HTML error page", "<html>502</html>", "not the expected JSON"},
		{"reference §1.2 error envelope with null data", `{"data":null,"message":"Permission check failed (/, Sys.Audit)\n"}`, `has no data; the API said: "Permission check failed (/, Sys.Audit)"`},
		{"no data key", `{"success":1}`, "has no data"},
		{"node without name", `[{"type":"node","nodeid":1}]`, `entry 0: type "node" entry without a name`},
		{"node listed twice", `[{"type":"node","name":"a"},{"type":"node","name":"a"}]`, `entry 1: node "a" is listed twice`},
		{"two cluster entries", `[{"type":"cluster","name":"a"},{"type":"cluster","name":"b"}]`, `entry 1: a second type "cluster" entry`},
		{"nodeid not a number", `[{"type":"node","name":"a","nodeid":"x"}]`, `node "a": nodeid "x" is not a non-negative integer`},
		{"negative nodeid", `[{"type":"node","name":"a","nodeid":-1}]`, "not a non-negative integer"},
		{"nodeid out of range", `[{"type":"node","name":"a","nodeid":4294967296}]`, "out of range"},
		{"version as float", `[{"type":"cluster","name":"a","version":1.5}]`, `version "1.5"`},
		{"flag as object", `[{"type":"node","name":"a","online":{}}]`, "want a number, string or boolean"},
		{"data is an object", `{"data":{"type":"node"}}`, "not the expected JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClusterStatus([]byte(tt.body))
			if err == nil {
				t.Fatalf("got %+v, want error containing %q", got, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "GET /cluster/status: ") {
				t.Errorf("error %q: want it to name the call and contain %q", err, tt.err)
			}
		})
	}
}
