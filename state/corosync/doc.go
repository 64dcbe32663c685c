// Package corosync reads and writes corosync.conf the way Proxmox VE does.
//
// Proxmox's parser (pve-cluster src/PVE/Corosync.pm, parse_conf) is a tokenizer:
// comments are dropped, all whitespace collapses, a token followed by "{" opens a
// section, "}" closes one, and anything else is "key:" followed by exactly one
// value token. Only "node" and "interface" sections may repeat. After parsing, the
// nodes are keyed by name (or ring0_addr) and the interfaces by linknumber (or
// ringnumber), so a later duplicate replaces an earlier one.
//
// Its writer (write_conf) prints every level in ASCII key order, nodes by their
// key and interfaces by link number as strings, two spaces of indent per level,
// and one blank line after each top-level section. Parse followed by Bytes
// therefore reproduces a file Proxmox wrote byte for byte; any other layout comes
// out in Proxmox's layout (comments are lost, as they are in Proxmox).
//
// VersionOf extracts config_version the way pmxcfs does when it decides whether
// to copy /etc/pve/corosync.conf to /etc/corosync/corosync.conf (the first match
// of `config_version\s*:\s*(\d+)`), which is not always what Parse sees.
package corosync
