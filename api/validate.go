package api

import (
	"fmt"
	"time"
)

// Validate checks a declaration (with defaults applied) against every rule
// Proxmox or corosync would enforce later, and a few more that catch mistakes
// early. It returns nil when c is valid. Problems carry paths only; Load and
// LoadBytes add file positions. The order is that of the rules, not of any
// file. Validate does not modify c and does no I/O.
func Validate(c *Cluster) []FieldError {
	if c == nil {
		return []FieldError{{Message: "no declaration"}}
	}
	v := &validator{c: c}
	v.header()
	v.access()
	v.links()
	v.members()
	v.quorum()
	v.qdevice()
	return v.errs
}

// validator collects the problems of one Validate call.
type validator struct {
	c    *Cluster
	errs []FieldError
}

func (v *validator) add(path, msg, hint string) {
	v.errs = append(v.errs, FieldError{Path: path, Message: msg, Hint: hint})
}

func (v *validator) header() {
	c := v.c
	switch c.APIVersion {
	case APIVersion:
	case "":
		v.add("apiVersion", "is required", "set apiVersion: "+APIVersion)
	default:
		v.add("apiVersion", fmt.Sprintf("%q is not supported", c.APIVersion), "this build reads apiVersion "+APIVersion+" only")
	}
	switch c.Kind {
	case KindCluster:
	case "":
		v.add("kind", "is required", "set kind: "+KindCluster)
	default:
		v.add("kind", fmt.Sprintf("%q is not supported", c.Kind), "the only accepted kind is "+KindCluster)
	}
	// The cluster name becomes totem.cluster_name; pvecm create takes it in
	// pve-node format, at most 15 characters (reference §2.3).
	n := c.Metadata.Name
	switch {
	case n == "":
		v.add("metadata.name", "is required", "use the cluster's name as `pvecm status` shows it")
	case !pveNodeRE.MatchString(n):
		v.add("metadata.name", fmt.Sprintf("%q is not a valid cluster name", n), "use letters, digits and inner hyphens only (Proxmox's pve-node format, reference §2.3)")
	case len(n) > maxClusterName:
		v.add("metadata.name", fmt.Sprintf("%q is %d characters long; Proxmox allows at most %d for a cluster name", n, len(n), maxClusterName), "see reference §2.3")
	}
}

func (v *validator) access() {
	api, ssh := v.c.Spec.Access.API, v.c.Spec.Access.SSH
	v.port("spec.access.api.port", api.Port, false)
	v.positive("spec.access.api.timeout", api.Timeout)

	tok := api.Token
	switch {
	case tok.ID == "":
		v.add("spec.access.api.token.id", "is required", "name the API token as USER@REALM!TOKENID, e.g. root@pam!quorate")
	default:
		if msg := checkTokenID(tok.ID); msg != "" {
			v.add("spec.access.api.token.id", msg, "e.g. root@pam!quorate")
		}
	}
	v.secret("spec.access.api.token", "secretFile", tok.SecretFile, "secretEnv", tok.SecretEnv,
		"put the token secret in a file (secretFile) or an environment variable (secretEnv)")

	switch {
	case ssh.User == "":
		v.add("spec.access.ssh.user", "is empty", "leave the field out to log in as "+DefaultSSHUser)
	case len(ssh.User) > maxUnixUser || !unixUserRE.MatchString(ssh.User):
		v.add("spec.access.ssh.user", fmt.Sprintf("%q is not a valid user name", ssh.User), "use lower-case letters, digits, '_', '.' and '-', at most 32 characters, starting with a letter or '_'")
	}
	v.port("spec.access.ssh.port", ssh.Port, false)
	v.path("spec.access.ssh.privateKeyFile", ssh.PrivateKeyFile, true)
	v.path("spec.access.ssh.knownHostsFile", ssh.KnownHostsFile, true)
	// OpenSSH's sshd allows 10 sessions per connection unless MaxSessions is
	// raised; asking for more makes session opens fail under load.
	if ssh.MaxSessions < 1 || ssh.MaxSessions > 10 {
		v.add("spec.access.ssh.maxSessions", fmt.Sprintf("%d is out of range 1..10", ssh.MaxSessions), "OpenSSH allows 10 sessions per connection by default; leave it out for 8")
	}
	v.positive("spec.access.ssh.timeout", ssh.Timeout)
	v.positive("spec.access.ssh.commandTimeout", ssh.CommandTimeout)

	if ref := v.c.Spec.Access.RootPassword; ref != nil {
		v.secret("spec.access.rootPassword", "file", ref.File, "env", ref.Env,
			"put root@pam's password in a file (file) or an environment variable (env), or leave rootPassword out if quorate never joins members")
	}
}

// secret checks a secret reference at path: exactly one of its file field
// and its env field, a valid variable name, a usable path.
func (v *validator) secret(path, fileKey, file, envKey, env, hint string) {
	switch {
	case file != "" && env != "":
		v.add(path, fmt.Sprintf("both %s and %s are set", fileKey, envKey), "keep exactly one of them")
	case file == "" && env == "":
		v.add(path, fmt.Sprintf("neither %s nor %s is set", fileKey, envKey), hint)
	case env != "" && !envNameRE.MatchString(env):
		v.add(path+"."+envKey, fmt.Sprintf("%q is not an environment variable name", env), "use letters, digits and underscores, not starting with a digit")
	}
	v.path(path+"."+fileKey, file, false)
}

// port checks a TCP port; with inherit, 0 means "use the default port".
func (v *validator) port(path string, p int, inherit bool) {
	if (inherit && p == 0) || (p >= 1 && p <= 65535) {
		return
	}
	hint := "use a TCP port, 1..65535"
	if inherit {
		hint = "use a TCP port, 1..65535, or leave it out to use spec.access's port"
	}
	v.add(path, fmt.Sprintf("%d is not a TCP port", p), hint)
}

func (v *validator) positive(path string, d Duration) {
	if d <= 0 {
		v.add(path, fmt.Sprintf("%s is not a positive duration", time.Duration(d)), "use e.g. 10s, or leave it out for the default")
	}
}

func (v *validator) path(field, p string, required bool) {
	if p == "" {
		if required {
			v.add(field, "is required", "give a path; relative paths are taken from this file's directory, and the file need not exist yet")
		}
		return
	}
	if msg, hint := checkPath(p); msg != "" {
		v.add(field, msg, hint)
	}
}
