package pveapi

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// The cluster-wide lists quorate reads before removing a node (reference
// §2.7, §9). Each is one GET (retried like every GET); the data is decoded by
// state/cmdout, which accepts numbers as JSON numbers or strings (§1.2).
// Results are sorted and non-nil on success.

// getList GETs path and hands the raw "data" array to parse.
func getList[T any](ctx context.Context, c *Client, path string, query url.Values, parse func([]byte) ([]T, error)) ([]T, error) {
	var raw json.RawMessage
	if err := c.Get(ctx, path, query, &raw); err != nil {
		return nil, err
	}
	return parse(raw)
}

// Resources returns GET /cluster/resources?type=typ as guests: the qemu and
// lxc entries (typ "vm" asks for exactly those), sorted by VMID.
func (c *Client) Resources(ctx context.Context, typ string) ([]state.Guest, error) {
	return getList(ctx, c, "/cluster/resources", url.Values{"type": {typ}}, cmdout.ParseResources)
}

// HAResources returns GET /cluster/ha/resources, sorted by SID.
func (c *Client) HAResources(ctx context.Context) ([]state.HAResource, error) {
	return getList(ctx, c, "/cluster/ha/resources", nil, cmdout.ParseHAResources)
}

// HAGroups returns GET /cluster/ha/groups, sorted by group, with node
// priorities dropped ("pve1:2,pve2" → pve1, pve2).
func (c *Client) HAGroups(ctx context.Context) ([]state.HAGroup, error) {
	return getList(ctx, c, "/cluster/ha/groups", nil, cmdout.ParseHAGroups)
}

// HARules returns GET /cluster/ha/rules (Proxmox VE 9+), sorted by rule ID.
// Older versions answer 501, returned as an *APIError.
func (c *Client) HARules(ctx context.Context) ([]state.HARule, error) {
	return getList(ctx, c, "/cluster/ha/rules", nil, cmdout.ParseHARules)
}

// Replication returns GET /cluster/replication, sorted by job ID.
func (c *Client) Replication(ctx context.Context) ([]state.ReplicationJob, error) {
	return getList(ctx, c, "/cluster/replication", nil, cmdout.ParseReplication)
}
