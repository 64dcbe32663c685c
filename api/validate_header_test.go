package api

import (
	"strings"
	"testing"
)

func TestValidate_Header(t *testing.T) {
	runRules(t, []ruleCase{
		{"apiVersion missing", func(c *Cluster) { c.APIVersion = "" }, "apiVersion", "is required"},
		{"apiVersion other", func(c *Cluster) { c.APIVersion = "quorate.dev/v1" }, "apiVersion", "quorate.dev/v1alpha1 only"},
		{"kind missing", func(c *Cluster) { c.Kind = "" }, "kind", "is required"},
		{"kind other names the accepted one", func(c *Cluster) { c.Kind = "Node" }, "kind", "only accepted kind is Cluster"},
		{"name missing", func(c *Cluster) { c.Metadata.Name = "" }, "metadata.name", "is required"},
		{"name with underscore", func(c *Cluster) { c.Metadata.Name = "my_lab" }, "metadata.name", "not a valid cluster name"},
		{"name ending in hyphen", func(c *Cluster) { c.Metadata.Name = "lab-" }, "metadata.name", "not a valid cluster name"},
		{"name 16 chars, ref 2.3", func(c *Cluster) { c.Metadata.Name = strings.Repeat("a", 16) }, "metadata.name", "at most 15"},
		{"name 15 chars is fine, ref 2.3", func(c *Cluster) { c.Metadata.Name = strings.Repeat("a", 15) }, "", ""},
		{"name all digits is fine for a cluster", func(c *Cluster) { c.Metadata.Name = "2024" }, "", ""},
	})
}

func TestValidate_APIAccess(t *testing.T) {
	tok := func(c *Cluster) *APIToken { return &c.Spec.Access.API.Token }
	runRules(t, []ruleCase{
		{"port 0", func(c *Cluster) { c.Spec.Access.API.Port = 0 }, "spec.access.api.port", "not a TCP port"},
		{"port 65536", func(c *Cluster) { c.Spec.Access.API.Port = 65536 }, "spec.access.api.port", "not a TCP port"},
		{"timeout zero", func(c *Cluster) { c.Spec.Access.API.Timeout = 0 }, "spec.access.api.timeout", "not a positive duration"},
		{"timeout negative", func(c *Cluster) { c.Spec.Access.API.Timeout = -1 }, "spec.access.api.timeout", "not a positive duration"},
		{"token id missing", func(c *Cluster) { tok(c).ID = "" }, "spec.access.api.token.id", "is required"},
		{"token id without bang", func(c *Cluster) { tok(c).ID = "root@pam" }, "spec.access.api.token.id", "no '!'"},
		{"token id without realm", func(c *Cluster) { tok(c).ID = "root!quorate" }, "spec.access.api.token.id", "no '@'"},
		{"token id empty user", func(c *Cluster) { tok(c).ID = "@pam!quorate" }, "spec.access.api.token.id", "empty user"},
		{"token id empty realm", func(c *Cluster) { tok(c).ID = "root@!quorate" }, "spec.access.api.token.id", "realm"},
		{"token id empty token name", func(c *Cluster) { tok(c).ID = "root@pam!" }, "spec.access.api.token.id", "token name"},
		{"token name starting with digit", func(c *Cluster) { tok(c).ID = "root@pam!1q" }, "spec.access.api.token.id", "token name"},
		{"token name with space", func(c *Cluster) { tok(c).ID = "root@pam!a b" }, "spec.access.api.token.id", "token name"},
		{"user with slash", func(c *Cluster) { tok(c).ID = "a/b@pam!q" }, "spec.access.api.token.id", "':' or '/'"},
		{"user id over 64, ref 1.3", func(c *Cluster) { tok(c).ID = strings.Repeat("u", 61) + "@pam!q" }, "spec.access.api.token.id", "64"},
		{"user holding @ splits at the last @", func(c *Cluster) { tok(c).ID = "ops@example.com@corp!quorate" }, "", ""},
		{"pve realm and dotted token", func(c *Cluster) { tok(c).ID = "quorate@pve!ro.v1_x-y" }, "", ""},
		{"both secretFile and secretEnv", func(c *Cluster) { tok(c).SecretEnv = "PVE_SECRET" }, "spec.access.api.token", "keep exactly one"},
		{"neither secret source", func(c *Cluster) { tok(c).SecretFile = "" }, "spec.access.api.token", "neither secretFile nor secretEnv"},
		{"secretEnv alone", func(c *Cluster) { tok(c).SecretFile, tok(c).SecretEnv = "", "PVE_SECRET_1" }, "", ""},
		{"secretEnv with hyphen", func(c *Cluster) { tok(c).SecretFile, tok(c).SecretEnv = "", "PVE-SECRET" }, "spec.access.api.token.secretEnv", "not an environment variable name"},
		{"secretEnv starting with digit", func(c *Cluster) { tok(c).SecretFile, tok(c).SecretEnv = "", "1SECRET" }, "spec.access.api.token.secretEnv", "not an environment variable name"},
		{"secretFile with tilde", func(c *Cluster) { tok(c).SecretFile = "~/token" }, "spec.access.api.token.secretFile", "does not expand"},
		{"secretFile with newline", func(c *Cluster) { tok(c).SecretFile = "a\nb" }, "spec.access.api.token.secretFile", "line break"},
	})
}

func TestValidate_SSHAccess(t *testing.T) {
	ssh := func(c *Cluster) *SSHAccess { return &c.Spec.Access.SSH }
	runRules(t, []ruleCase{
		{"user empty", func(c *Cluster) { ssh(c).User = "" }, "spec.access.ssh.user", "is empty"},
		{"user upper case", func(c *Cluster) { ssh(c).User = "Root" }, "spec.access.ssh.user", "not a valid user name"},
		{"user with shell metacharacter", func(c *Cluster) { ssh(c).User = "root;id" }, "spec.access.ssh.user", "not a valid user name"},
		{"user starting with hyphen", func(c *Cluster) { ssh(c).User = "-oProxyCommand" }, "spec.access.ssh.user", "not a valid user name"},
		{"user 33 chars", func(c *Cluster) { ssh(c).User = strings.Repeat("a", 33) }, "spec.access.ssh.user", "at most 32"},
		{"user quorate-ops", func(c *Cluster) { ssh(c).User = "quorate-ops" }, "", ""},
		{"port 0", func(c *Cluster) { ssh(c).Port = 0 }, "spec.access.ssh.port", "not a TCP port"},
		{"port negative", func(c *Cluster) { ssh(c).Port = -22 }, "spec.access.ssh.port", "not a TCP port"},
		{"privateKeyFile missing", func(c *Cluster) { ssh(c).PrivateKeyFile = "" }, "spec.access.ssh.privateKeyFile", "is required"},
		{"knownHostsFile missing", func(c *Cluster) { ssh(c).KnownHostsFile = "" }, "spec.access.ssh.knownHostsFile", "is required"},
		{"knownHostsFile with tilde", func(c *Cluster) { ssh(c).KnownHostsFile = "~/.ssh/known_hosts" }, "spec.access.ssh.knownHostsFile", "does not expand"},
		{"maxSessions 0", func(c *Cluster) { ssh(c).MaxSessions = 0 }, "spec.access.ssh.maxSessions", "1..10"},
		{"maxSessions 11 exceeds OpenSSH default", func(c *Cluster) { ssh(c).MaxSessions = 11 }, "spec.access.ssh.maxSessions", "OpenSSH allows 10"},
		{"maxSessions 10", func(c *Cluster) { ssh(c).MaxSessions = 10 }, "", ""},
		{"timeout zero", func(c *Cluster) { ssh(c).Timeout = 0 }, "spec.access.ssh.timeout", "positive"},
		{"commandTimeout negative", func(c *Cluster) { ssh(c).CommandTimeout = -5 }, "spec.access.ssh.commandTimeout", "positive"},
	})
}
