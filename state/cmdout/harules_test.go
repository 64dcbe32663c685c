package cmdout

import (
	"reflect"
	"testing"

	"github.com/quorate/quorate/state"
)

// TestParseHARules: Proxmox VE 9's GET /cluster/ha/rules, node-affinity and
// resource-affinity rules (nodes with priorities, resources as lists).
func TestParseHARules(t *testing.T) {
	body := `{"data":[
	 {"rule":"ha-group-g1","type":"node-affinity","nodes":"pve1:2,pve4","resources":"vm:100,ct:101","strict":0,"digest":"abc"},
	 {"rule":"keep-apart","type":"resource-affinity","affinity":"negative","resources":"vm:100,vm:102"}]}`
	got, err := ParseHARules([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []state.HARule{
		{Rule: "ha-group-g1", Type: "node-affinity", Nodes: []string{"pve1", "pve4"}, Resources: []string{"vm:100", "ct:101"}},
		{Rule: "keep-apart", Type: "resource-affinity", Resources: []string{"vm:100", "vm:102"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if _, err := ParseHARules([]byte(`{"data":[{"type":"node-affinity"}]}`)); err == nil {
		t.Error("a rule without an ID parsed")
	}
	if got, err := ParseHARules([]byte(`{"data":[]}`)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty list: %v %v", got, err)
	}
}
