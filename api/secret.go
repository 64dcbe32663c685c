package api

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TokenSecret returns the API token secret named by spec.access.api.token:
// the first line of SecretFile (surrounding white space trimmed), or the value
// of the environment variable SecretEnv (trimmed the same way). It fails when
// neither or both are set, when the file cannot be read, or when the secret is
// empty. Errors name the field and the file or variable, never the secret.
func (c *Cluster) TokenSecret() (string, error) {
	tok := c.Spec.Access.API.Token
	switch {
	case tok.SecretFile != "" && tok.SecretEnv != "":
		return "", errors.New("spec.access.api.token: both secretFile and secretEnv are set; keep exactly one of them")
	case tok.SecretFile != "":
		return secretFromFile("spec.access.api.token.secretFile", tok.SecretFile, "the token secret (the UUID Proxmox showed when the token was created)")
	case tok.SecretEnv != "":
		return secretFromEnv("spec.access.api.token.secretEnv", tok.SecretEnv, "the token secret")
	}
	return "", errors.New("spec.access.api.token: neither secretFile nor secretEnv is set; put the token secret in a file (secretFile) or an environment variable (secretEnv)")
}

// RootPassword returns root@pam's password named by spec.access.rootPassword,
// read the same way as the token secret. Only joining a member needs it:
// `pvecm add` logs in to an existing member with it, and API tokens cannot
// join (reference §1.3, §3.2).
func (c *Cluster) RootPassword() (string, error) {
	ref := c.Spec.Access.RootPassword
	switch {
	case ref == nil || (ref.File == "" && ref.Env == ""):
		return "", errors.New("spec.access.rootPassword: not set; joining a member needs root@pam's password of the cluster (pvecm add logs in with it): give it in a file (file) or an environment variable (env)")
	case ref.File != "" && ref.Env != "":
		return "", errors.New("spec.access.rootPassword: both file and env are set; keep exactly one of them")
	case ref.File != "":
		return secretFromFile("spec.access.rootPassword.file", ref.File, "root@pam's password")
	}
	return secretFromEnv("spec.access.rootPassword.env", ref.Env, "root@pam's password")
}

func secretFromFile(field, path, what string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// The *PathError names the file and the cause, not the content.
		return "", fmt.Errorf("%s: %w", field, err)
	}
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	if s := strings.TrimSpace(string(line)); s != "" {
		return s, nil
	}
	hint := "write " + what + " on its first line"
	if len(bytes.TrimSpace(rest)) > 0 {
		hint = "move the secret to the first line"
	}
	return "", fmt.Errorf("%s: the first line of %s is empty; %s", field, path, hint)
}

func secretFromEnv(field, name, what string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("%s: environment variable %s is not set; export it with %s before starting quorate", field, name, what)
	}
	if s := strings.TrimSpace(v); s != "" {
		return s, nil
	}
	return "", fmt.Errorf("%s: environment variable %s is empty; set it to %s", field, name, what)
}
