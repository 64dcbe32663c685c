package cmdout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/quorate/quorate/state"
)

const clusterStatus = "GET /cluster/status"

// scalar is a JSON value Proxmox may send as a number, a string or a boolean:
// its Perl JSON encoder prints a scalar the way it was last used, so "nodeid"
// can arrive as 1 or "1". It keeps the text; null and absent are "".
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case string(b) == "true":
		*s = "1"
	case string(b) == "false":
		*s = "0"
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = scalar(str)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = scalar(b)
	default:
		return fmt.Errorf("want a number, string or boolean, got %.20s", b)
	}
	return nil
}

// uint reads the scalar as a non-negative integer; absent is 0.
func (s scalar) uint(field string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %s is not a non-negative integer", field, strconv.Quote(string(s)))
	}
	return v, nil
}

// flag reads a 0/1 flag; absent is false, any non-zero integer true.
func (s scalar) flag(field string) (bool, error) {
	v, err := s.uint(field)
	return v != 0, err
}

// statusEntry is one element of /cluster/status (reference §2.1).
type statusEntry struct {
	Type    scalar `json:"type"`
	Name    scalar `json:"name"`
	Version scalar `json:"version"`
	Quorate scalar `json:"quorate"`
	NodeID  scalar `json:"nodeid"`
	Local   scalar `json:"local"`
	Online  scalar `json:"online"`
	IP      scalar `json:"ip"`
}

// ParseClusterStatus parses the body of GET /api2/json/cluster/status
// (reference §2.1): either the {"data":[...]} envelope or the bare array.
// Numbers and 0/1 flags may be JSON numbers, strings or booleans.
//
// The type:"cluster" entry gives ClusterName, Version (corosync's runtime
// config_version as pmxcfs reports it) and Quorate. Without one, which is the
// standalone form (a single node entry with nodeid 0), ClusterName is "",
// Version 0 and Quorate false. Nodes are the type:"node" entries sorted by
// name (the API sends them in hash order), non-nil even when empty. Entries
// of other types are ignored.
//
// It returns an error for a body that is not this JSON, a null "data" (the
// API's error form), a node entry without a name, two entries for one node,
// or two cluster entries.
func ParseClusterStatus(body []byte) (*state.PVEStatus, error) {
	body = bytes.TrimSpace(body)
	var entries []statusEntry
	if len(body) > 0 && body[0] == '{' {
		var env struct {
			Data    *[]statusEntry `json:"data"`
			Message string         `json:"message"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("%s: body is not the expected JSON: %w", clusterStatus, err)
		}
		if env.Data == nil {
			// Reference §1.2: errors come as {"data":null,"message":...}.
			if msg := strings.TrimSpace(env.Message); msg != "" {
				return nil, fmt.Errorf("%s: the response has no data; the API said: %s", clusterStatus, quoteLine(msg))
			}
			return nil, fmt.Errorf("%s: the response has no data", clusterStatus)
		}
		entries = *env.Data
	} else if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("%s: body is not the expected JSON: %w", clusterStatus, err)
	}

	st := &state.PVEStatus{Nodes: []state.PVENode{}}
	sawCluster := false
	names := map[string]bool{}
	for i, e := range entries {
		var err error
		switch e.Type {
		case "cluster":
			if sawCluster {
				return nil, fmt.Errorf("%s: entry %d: a second type \"cluster\" entry", clusterStatus, i)
			}
			sawCluster = true
			st.ClusterName = string(e.Name)
			if st.Version, err = e.Version.uint("version"); err == nil {
				st.Quorate, err = e.Quorate.flag("quorate")
			}
		case "node":
			var n state.PVENode
			n, err = parsePVENode(e)
			if err == nil && names[n.Name] {
				err = fmt.Errorf("node %q is listed twice", n.Name)
			}
			if err == nil {
				names[n.Name] = true
				st.Nodes = append(st.Nodes, n)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", clusterStatus, i, err)
		}
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Name < st.Nodes[j].Name })
	return st, nil
}

func parsePVENode(e statusEntry) (state.PVENode, error) {
	n := state.PVENode{Name: string(e.Name), IP: string(e.IP)}
	if n.Name == "" {
		return n, fmt.Errorf("type \"node\" entry without a name")
	}
	id, err := e.NodeID.uint("nodeid")
	if err == nil && id > 1<<32-1 {
		err = fmt.Errorf("nodeid %d is out of range", id)
	}
	n.NodeID = int(id)
	if err == nil {
		n.Online, err = e.Online.flag("online")
	}
	if err == nil {
		n.Local, err = e.Local.flag("local")
	}
	if err != nil {
		return n, fmt.Errorf("node %q: %w", n.Name, err)
	}
	return n, nil
}
