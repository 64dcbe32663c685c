// Package api holds the declared state of a Proxmox VE cluster: the YAML types,
// their defaults, and the rules a declaration must meet before quorate acts on
// it.
//
// Load (or LoadBytes) reads one file in three steps. First the YAML is parsed
// into a node tree with go.yaml.in/yaml/v3, which keeps line numbers; the tree
// is walked against the Go types, so that unknown fields, duplicate keys and
// wrong types are reported with their YAML path and line. Then the document is
// decoded with unknown fields refused, defaults are applied to the fields the
// file leaves out, and Validate checks every rule Proxmox or corosync would
// enforce later (citing the reference section each rule comes from). Every
// problem found is returned at once, as *Errors, sorted by line:
//
//	cluster.yaml:14: spec.members[2].addresses[0].address: "10.0.0.300" is not an IP address; use the node's address on link 0
//
// Loading reads nothing but the declaration: key, known_hosts and secret files
// need not exist yet, and no node is contacted. Cluster.TokenSecret reads the
// API token secret when a caller needs it, and keeps it out of every error.
//
// The file format is documented field by field in examples/clusters/lab.yaml at the
// root of the repository.
package api
