package cmdout

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

// Bodies follow the PVE API shapes; numbers come as numbers or strings
// (reference §1.2).

func TestParseResources(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []state.Guest
	}{
		{"numbers, envelope, unsorted",
			`{"data":[{"id":"lxc/200","type":"lxc","vmid":200,"node":"pve2","name":"ct","status":"running"},
			  {"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"web","maxmem":2147483648}]}`,
			[]state.Guest{{VMID: 100, Type: "qemu", Node: "pve1", Name: "web"}, {VMID: 200, Type: "lxc", Node: "pve2", Name: "ct"}}},
		{"vmid as string, bare array, no name",
			`[{"type":"qemu","vmid":"101","node":"pve3"}]`,
			[]state.Guest{{VMID: 101, Type: "qemu", Node: "pve3"}}},
		{"other types ignored",
			`{"data":[{"type":"node","node":"pve1","id":"node/pve1"},{"type":"storage","storage":"local","node":"pve1"}]}`,
			[]state.Guest{}},
		{"empty list is empty, not nil", `{"data":[]}`, []state.Guest{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResources([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseHAResources(t *testing.T) {
	got, err := ParseHAResources([]byte(`{"data":[
	  {"sid":"vm:101","type":"vm","state":"started","group":"prefer-pve1","max_restart":1},
	  {"sid":"ct:200","type":"ct","state":"stopped"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []state.HAResource{{SID: "ct:200", State: "stopped"}, {SID: "vm:101", Group: "prefer-pve1", State: "started"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseHAGroups(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []state.HAGroup
	}{
		{"priorities dropped, order kept",
			`{"data":[{"group":"g2","nodes":"pve3","type":"group","restricted":0},
			  {"group":"g1","nodes":"pve2:2,pve1","nofailback":"1"}]}`,
			[]state.HAGroup{{Group: "g1", Nodes: []string{"pve2", "pve1"}}, {Group: "g2", Nodes: []string{"pve3"}}}},
		{"spaces and empty items", `[{"group":"g","nodes":" pve1:1 , ,pve2 "}]`,
			[]state.HAGroup{{Group: "g", Nodes: []string{"pve1", "pve2"}}}},
		{"no nodes", `[{"group":"g"}]`, []state.HAGroup{{Group: "g", Nodes: []string{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHAGroups([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseReplication(t *testing.T) {
	got, err := ParseReplication([]byte(`{"data":[
	  {"id":"101-0","type":"local","guest":"101","jobnum":"0","target":"pve2","schedule":"*/15"},
	  {"id":"100-1","type":"local","guest":100,"jobnum":1,"target":"pve3","source":"pve1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []state.ReplicationJob{{ID: "100-1", Guest: 100, Target: "pve3", Source: "pve1"}, {ID: "101-0", Guest: 101, Target: "pve2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestClusterListErrors: anything that would make a list look shorter than
// it is fails instead.
func TestClusterListErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		body  string
		want  string
	}{
		{"error envelope", parseErr(ParseResources), `{"data":null,"message":"Permission check failed\n"}`, `the API said: "Permission check failed"`},
		{"null data", parseErr(ParseHAGroups), `{"data":null}`, "has no data"},
		{"not JSON", parseErr(ParseReplication), `<html>`, "not the expected JSON"},
		{"object instead of list", parseErr(ParseHAResources), `{"data":{"sid":"vm:1"}}`, "not the expected JSON"},
		{"guest without node", parseErr(ParseResources), `[{"type":"qemu","vmid":100}]`, "guest 100 has no node"},
		{"guest without vmid", parseErr(ParseResources), `[{"type":"lxc","node":"pve1"}]`, "not a guest ID"},
		{"vmid not a number", parseErr(ParseResources), `[{"type":"qemu","vmid":"abc","node":"pve1"}]`, "not a non-negative integer"},
		{"guest listed twice", parseErr(ParseResources), `[{"type":"qemu","vmid":1,"node":"a"},{"type":"qemu","vmid":1,"node":"b"}]`, "listed twice"},
		{"HA resource without sid", parseErr(ParseHAResources), `[{"state":"started"}]`, "no sid"},
		{"HA group without name", parseErr(ParseHAGroups), `[{"nodes":"pve1"}]`, "no group name"},
		{"job without target", parseErr(ParseReplication), `[{"id":"100-0","guest":100}]`, "without id or target"},
		{"job with bad guest", parseErr(ParseReplication), `[{"id":"x","guest":-1,"target":"pve2"}]`, "not a non-negative integer"},
		{"vmid as object", parseErr(ParseResources), `[{"type":"qemu","vmid":{},"node":"a"}]`, "not the expected JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func parseErr[T any](f func([]byte) ([]T, error)) func([]byte) error {
	return func(b []byte) error {
		got, err := f(b)
		if err != nil && got != nil {
			return fmt.Errorf("a list came back together with an error")
		}
		return err
	}
}
