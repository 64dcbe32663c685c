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
		return secretFromFile(tok.SecretFile)
	case tok.SecretEnv != "":
		return secretFromEnv(tok.SecretEnv)
	}
	return "", errors.New("spec.access.api.token: neither secretFile nor secretEnv is set; put the token secret in a file (secretFile) or an environment variable (secretEnv)")
}

func secretFromFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// The *PathError names the file and the cause, not the content.
		return "", fmt.Errorf("spec.access.api.token.secretFile: %w", err)
	}
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	if s := strings.TrimSpace(string(line)); s != "" {
		return s, nil
	}
	hint := "write the token secret (the UUID Proxmox showed when the token was created) on its first line"
	if len(bytes.TrimSpace(rest)) > 0 {
		hint = "move the secret to the first line"
	}
	return "", fmt.Errorf("spec.access.api.token.secretFile: the first line of %s is empty; %s", path, hint)
}

func secretFromEnv(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("spec.access.api.token.secretEnv: environment variable %s is not set; export it with the token secret before starting quorate", name)
	}
	if s := strings.TrimSpace(v); s != "" {
		return s, nil
	}
	return "", fmt.Errorf("spec.access.api.token.secretEnv: environment variable %s is empty; set it to the token secret", name)
}
