package pveapi

import (
	"context"
	"fmt"
	"sort"

	"github.com/quorate/quorate/state"
)

// Version is GET /version (reference §2.12).
type Version struct {
	// Version is the pve-manager version, e.g. "9.1.2"; Release is "x.y".
	Version string
	Release string
	RepoID  string
}

// Version returns the node's PVE version (any valid token may read it).
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v struct {
		Version flexString `json:"version"`
		Release flexString `json:"release"`
		RepoID  flexString `json:"repoid"`
	}
	if err := c.Get(ctx, "/version", nil, &v); err != nil {
		return Version{}, err
	}
	return Version{Version: string(v.Version), Release: string(v.Release), RepoID: string(v.RepoID)}, nil
}

// statusEntry is one element of GET /cluster/status (reference §2.1).
type statusEntry struct {
	Type    string     `json:"type"`
	Name    flexString `json:"name"`
	Version FlexInt    `json:"version"`
	Quorate FlexInt    `json:"quorate"`
	NodeID  FlexInt    `json:"nodeid"`
	Online  FlexInt    `json:"online"`
	Local   FlexInt    `json:"local"`
	IP      flexString `json:"ip"`
}

// ClusterStatus returns GET /cluster/status as this node sees it, nodes
// sorted by name (PVE sends them in hash order). On a standalone node there
// is no cluster entry: ClusterName is "", Version 0, Quorate false, and Nodes
// holds the one local node with NodeID 0 (reference §2.1). Version is the
// runtime totem.config_version, not necessarily the file's.
func (c *Client) ClusterStatus(ctx context.Context) (*state.PVEStatus, error) {
	var entries []statusEntry
	if err := c.Get(ctx, "/cluster/status", nil, &entries); err != nil {
		return nil, err
	}
	st := &state.PVEStatus{Nodes: []state.PVENode{}}
	for _, e := range entries {
		switch e.Type {
		case "cluster":
			if e.Version < 0 {
				return nil, fmt.Errorf("GET %s/api2/json/cluster/status: negative config version %d", c.base, e.Version)
			}
			st.ClusterName = string(e.Name)
			st.Version = uint64(e.Version)
			st.Quorate = e.Quorate != 0
		case "node":
			st.Nodes = append(st.Nodes, state.PVENode{
				Name:   string(e.Name),
				NodeID: int(e.NodeID),
				Online: e.Online != 0,
				Local:  e.Local != 0,
				IP:     string(e.IP),
			})
		}
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Name < st.Nodes[j].Name })
	return st, nil
}

// ConfigNodes returns GET /cluster/config/nodes: the nodelist of
// /etc/pve/corosync.conf (the file, not the runtime), one map per node with
// every key of its section plus "node", values as strings whether PVE sent
// strings or numbers (reference §2.5). Sorted by "node". Empty on a
// standalone node.
func (c *Client) ConfigNodes(ctx context.Context) ([]map[string]string, error) {
	var nodes []stringMap
	if err := c.Get(ctx, "/cluster/config/nodes", nil, &nodes); err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, map[string]string(n))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i]["node"] < out[j]["node"] })
	return out, nil
}

// JoinInfo is GET /cluster/config/join (reference §2.8).
type JoinInfo struct {
	// ConfigDigest is the SHA-1 hex of /etc/pve/corosync.conf's bytes.
	ConfigDigest string
	// PreferredNode is the node that answered (or the one asked for).
	PreferredNode string
	// Nodelist is sorted by name.
	Nodelist []JoinNode
	// Totem is the raw totem section, values as strings; "interface" is
	// rendered as JSON text.
	Totem map[string]string
}

// JoinNode is one node of JoinInfo.Nodelist.
type JoinNode struct {
	Name, NodeID, QuorumVotes string
	// PVEAddr is the node's hostname IP as pmxcfs knows it (not ring0_addr).
	PVEAddr string
	// PVEFingerprint is the node's current HTTPS certificate fingerprint: the
	// one to pin after a join (reference §1.1).
	PVEFingerprint string
	// Fields holds every key of the node's section as a string (ring0_addr,
	// ring1_addr, ...), including the ones above.
	Fields map[string]string
}

// JoinInfo returns the join information. A node that is not in a cluster
// answers 424; test for it with IsNotInCluster.
func (c *Client) JoinInfo(ctx context.Context) (*JoinInfo, error) {
	var raw struct {
		ConfigDigest  flexString  `json:"config_digest"`
		PreferredNode flexString  `json:"preferred_node"`
		Nodelist      []stringMap `json:"nodelist"`
		Totem         stringMap   `json:"totem"`
	}
	if err := c.Get(ctx, "/cluster/config/join", nil, &raw); err != nil {
		return nil, err
	}
	ji := &JoinInfo{
		ConfigDigest:  string(raw.ConfigDigest),
		PreferredNode: string(raw.PreferredNode),
		Nodelist:      make([]JoinNode, 0, len(raw.Nodelist)),
		Totem:         map[string]string(raw.Totem),
	}
	for _, n := range raw.Nodelist {
		ji.Nodelist = append(ji.Nodelist, JoinNode{
			Name:           n["name"],
			NodeID:         n["nodeid"],
			QuorumVotes:    n["quorum_votes"],
			PVEAddr:        n["pve_addr"],
			PVEFingerprint: n["pve_fp"],
			Fields:         map[string]string(n),
		})
	}
	sort.SliceStable(ji.Nodelist, func(i, j int) bool { return ji.Nodelist[i].Name < ji.Nodelist[j].Name })
	return ji, nil
}
