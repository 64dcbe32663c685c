package cmdout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/quorate/quorate/state"
)

// The list endpoints read once per observation from the authority, to find
// what still names a node before it is removed (reference §2.7 "what delnode
// does not do", §9). Numbers may be JSON numbers or strings (§1.2).

const (
	callResources   = "GET /cluster/resources?type=vm"
	callHAResources = "GET /cluster/ha/resources"
	callHAGroups    = "GET /cluster/ha/groups"
	callReplication = "GET /cluster/replication"
	callHARules     = "GET /cluster/ha/rules"
)

// apiList decodes a list body: the {"data":[...]} envelope or a bare array.
// A null "data" is the API's error form and is an error.
func apiList[T any](call string, body []byte) ([]T, error) {
	body = bytes.TrimSpace(body)
	var entries []T
	if len(body) > 0 && body[0] == '{' {
		var env struct {
			Data    *[]T   `json:"data"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("%s: body is not the expected JSON: %w", call, err)
		}
		if env.Data == nil {
			if msg := strings.TrimSpace(env.Message); msg != "" {
				return nil, fmt.Errorf("%s: the response has no data; the API said: %s", call, quoteLine(msg))
			}
			return nil, fmt.Errorf("%s: the response has no data", call)
		}
		entries = *env.Data
	} else if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("%s: body is not the expected JSON: %w", call, err)
	}
	return entries, nil
}

// vmid reads a guest ID: a positive integer.
func vmid(s scalar, field string) (int, error) {
	v, err := s.uint(field)
	if err == nil && (v == 0 || v > 999999999) {
		err = fmt.Errorf("%s %s is not a guest ID", field, s)
	}
	return int(v), err
}

type resourceEntry struct {
	Type scalar `json:"type"`
	VMID scalar `json:"vmid"`
	Node scalar `json:"node"`
	Name scalar `json:"name"`
}

// ParseResources parses GET /cluster/resources?type=vm: the "qemu" and "lxc"
// entries become Guests (sorted by VMID, non-nil), entries of other types are
// ignored. A guest without a vmid or node is an error: a guest whose node is
// unknown must not make the node look empty.
func ParseResources(body []byte) ([]state.Guest, error) {
	entries, err := apiList[resourceEntry](callResources, body)
	if err != nil {
		return nil, err
	}
	out := []state.Guest{}
	seen := map[int]bool{}
	for i, e := range entries {
		if e.Type != "qemu" && e.Type != "lxc" {
			continue
		}
		id, err := vmid(e.VMID, "vmid")
		if err == nil && e.Node == "" {
			err = fmt.Errorf("guest %d has no node", id)
		}
		if err == nil && seen[id] {
			err = fmt.Errorf("guest %d is listed twice", id)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", callResources, i, err)
		}
		seen[id] = true
		out = append(out, state.Guest{VMID: id, Type: string(e.Type), Node: string(e.Node), Name: string(e.Name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMID < out[j].VMID })
	return out, nil
}

type haResourceEntry struct {
	SID   scalar `json:"sid"`
	Group scalar `json:"group"`
	State scalar `json:"state"`
}

// ParseHAResources parses GET /cluster/ha/resources, sorted by SID, non-nil.
// An entry without a sid is an error.
func ParseHAResources(body []byte) ([]state.HAResource, error) {
	entries, err := apiList[haResourceEntry](callHAResources, body)
	if err != nil {
		return nil, err
	}
	out := []state.HAResource{}
	for i, e := range entries {
		if e.SID == "" {
			return nil, fmt.Errorf("%s: entry %d: no sid", callHAResources, i)
		}
		out = append(out, state.HAResource{SID: string(e.SID), Group: string(e.Group), State: string(e.State)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SID < out[j].SID })
	return out, nil
}

type haGroupEntry struct {
	Group scalar `json:"group"`
	Nodes scalar `json:"nodes"`
}

// ParseHAGroups parses GET /cluster/ha/groups, sorted by group, non-nil. The
// nodes property "pve1:2,pve2" becomes ["pve1","pve2"] (priorities dropped,
// order kept). An entry without a group name is an error.
func ParseHAGroups(body []byte) ([]state.HAGroup, error) {
	entries, err := apiList[haGroupEntry](callHAGroups, body)
	if err != nil {
		return nil, err
	}
	out := []state.HAGroup{}
	for i, e := range entries {
		if e.Group == "" {
			return nil, fmt.Errorf("%s: entry %d: no group name", callHAGroups, i)
		}
		g := state.HAGroup{Group: string(e.Group), Nodes: []string{}}
		for _, item := range strings.Split(string(e.Nodes), ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(item), ":")
			if name = strings.TrimSpace(name); name != "" {
				g.Nodes = append(g.Nodes, name)
			}
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, nil
}

type haRuleEntry struct {
	Rule      scalar `json:"rule"`
	Type      scalar `json:"type"`
	Nodes     scalar `json:"nodes"`
	Resources scalar `json:"resources"`
}

// ParseHARules parses GET /cluster/ha/rules (Proxmox VE 9): node lists
// "pve1:2,pve2" lose their priorities, resource lists "vm:100,ct:101" are
// split. Sorted by rule ID, non-nil.
func ParseHARules(body []byte) ([]state.HARule, error) {
	entries, err := apiList[haRuleEntry](callHARules, body)
	if err != nil {
		return nil, err
	}
	out := []state.HARule{}
	for i, e := range entries {
		if e.Rule == "" {
			return nil, fmt.Errorf("%s: entry %d: no rule ID", callHARules, i)
		}
		r := state.HARule{Rule: string(e.Rule), Type: string(e.Type)}
		for _, item := range strings.Split(string(e.Nodes), ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(item), ":")
			if name = strings.TrimSpace(name); name != "" {
				r.Nodes = append(r.Nodes, name)
			}
		}
		for _, item := range strings.Split(string(e.Resources), ",") {
			if item = strings.TrimSpace(item); item != "" {
				r.Resources = append(r.Resources, item)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out, nil
}

type replicationEntry struct {
	ID     scalar `json:"id"`
	Guest  scalar `json:"guest"`
	Target scalar `json:"target"`
	Source scalar `json:"source"`
}

// ParseReplication parses GET /cluster/replication, sorted by ID, non-nil.
// An entry without an id or target, or with a bad guest, is an error.
func ParseReplication(body []byte) ([]state.ReplicationJob, error) {
	entries, err := apiList[replicationEntry](callReplication, body)
	if err != nil {
		return nil, err
	}
	out := []state.ReplicationJob{}
	for i, e := range entries {
		id, err := vmid(e.Guest, "guest")
		if err == nil && (e.ID == "" || e.Target == "") {
			err = fmt.Errorf("job without id or target")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", callReplication, i, err)
		}
		out = append(out, state.ReplicationJob{ID: string(e.ID), Guest: id, Target: string(e.Target), Source: string(e.Source)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
