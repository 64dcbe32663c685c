// Package quorate is the root of the quorate module: a controller that keeps
// Proxmox VE clusters' corosync membership as declared. It holds no code; see
// README.md for use and ARCHITECTURE.md for the packages (api, state,
// reconciler, clusters, cmd/quorate).
package quorate
