// Package simnet serves a simulated Proxmox VE cluster on 127.0.0.1 over the
// real protocols: per node an HTTPS API (/api2/json/...) and an SSH server,
// so quorate's real clients (clusters/pveapi, clusters/sshrun) run against it
// unchanged. What the nodes answer comes from a Backend (clusters/sim's
// model); simnet only does transport, authentication, keys and power.
//
// Fidelity, with the real behaviour each choice mirrors:
//
//   - TLS: each node's certificate (ECDSA P-256, CN=node, SANs 127.0.0.1, ::1,
//     localhost and the node name) is signed by a per-Dir "cluster CA", as
//     pve-ssl.pem is signed by pve-root-ca.pem (reference §1.1). Clients pin
//     the leaf's SHA-256 fingerprint.
//
//   - API auth: only "Authorization: PVEAPIToken=root@pam!quorate=SECRET"
//     (or a space for the first "=", reference §1.3); anything else is 401
//     {"data":null,"message":"authentication failure"}. Real PVE delays every
//     401 by about 3 s; simnet does not.
//
//   - Form bodies are parsed with url.ParseQuery whatever the Content-Type
//     (Telmate's login sends none; dependencies.md §1.5) and merged with the
//     query string.
//
//   - SSH: ed25519 host key per node; only user root with the simulator's
//     client key (Dir/id_ed25519); exec requests only (pty, shell and
//     subsystem are refused); at most 10 sessions per connection, like
//     OpenSSH's MaxSessions (dependencies.md §2.3, §2.8).
//
//   - Power: a powered-off node refuses connections (its listeners are
//     closed and its open connections dropped, as a machine that is off).
//     See power.go for how power changes are noticed.
//
//   - Certificate renewal (reference §1.1, §9): a Backend that is a
//     CertBackend (sim.Model) calls back when a node's certificate was
//     regenerated (pvecm add); simnet issues a new leaf from the same CA,
//     restarts that node's API server with it (as pveproxy's restart after a
//     join), and gives the Backend the new fingerprints. Renewed
//     certificates live in memory: a restart on the same Dir serves the
//     original ones.
//
//   - root@pam's password: generated once per Dir (root.password);
//     WriteConfig references it as spec.access.rootPassword and tells a
//     RootPasswordBackend (sim.Model) so pvecm add can log in with it.
//
//   - Every node the Backend lists is served, a declared member that has
//     not joined yet included.
//
// Not modelled: real PVE's 401 delay, ticket login and CSRF (the API only
// takes the token; root@pam's password is used by pvecm add inside the
// Backend), proxying of /nodes/{node}/... calls to other nodes (the Backend
// answers as the node asked), SSH port forwarding and agent forwarding.
//
// An exec command's standard input is read to EOF before the command runs
// (the Backend takes it as bytes). sshrun always closes it; with OpenSSH's
// client use -n or redirect stdin, or the command waits.
package simnet
