package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testSecret = "5f0c2a8e-4c1b-4a55-9b1e-0d6c9b7f2e11"

func TestTokenSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("QUORATE_TEST_SECRET", "  "+testSecret+"\n")
	t.Setenv("QUORATE_TEST_EMPTY", " ")
	cases := []struct {
		name      string
		file, env string
		want      string // the secret, or a substring of the error
		wantErr   bool
	}{
		{"file, first line trimmed", write("ok", testSecret+"  \nsecond line\n"), "", testSecret, false},
		{"file without newline", write("bare", testSecret), "", testSecret, false},
		{"file with CRLF", write("crlf", testSecret+"\r\n"), "", testSecret, false},
		{"env, trimmed", "", "QUORATE_TEST_SECRET", testSecret, false},
		{"missing file names field and file", filepath.Join(dir, "absent"), "", "spec.access.api.token.secretFile: open " + filepath.Join(dir, "absent"), true},
		{"empty file", write("empty", ""), "", "first line of", true},
		{"secret on the second line", write("late", "\n"+testSecret+"\n"), "", "move the secret to the first line", true},
		{"unset env names field and variable", "", "QUORATE_TEST_UNSET_9", "spec.access.api.token.secretEnv: environment variable QUORATE_TEST_UNSET_9 is not set", true},
		{"blank env", "", "QUORATE_TEST_EMPTY", "QUORATE_TEST_EMPTY is empty", true},
		{"neither", "", "", "neither secretFile nor secretEnv", true},
		{"both", write("both", testSecret), "QUORATE_TEST_SECRET", "both secretFile and secretEnv", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCluster()
			c.Spec.Access.API.Token.SecretFile = tc.file
			c.Spec.Access.API.Token.SecretEnv = tc.env
			got, err := c.TokenSecret()
			if !tc.wantErr {
				if err != nil || got != tc.want {
					t.Fatalf("TokenSecret() = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("TokenSecret() error = %v, want it to mention %q", err, tc.want)
			}
			if got != "" {
				t.Errorf("TokenSecret() returned %q along with an error", got)
			}
		})
	}
}

func TestTokenSecret_ErrorsNeverHoldTheSecret(t *testing.T) {
	// A secret file that is a directory, and one whose only line is blank
	// with the secret later: neither error may echo file content.
	dir := t.TempDir()
	p := filepath.Join(dir, "s")
	if err := os.WriteFile(p, []byte("\n"+testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{dir, p} {
		c := validCluster()
		c.Spec.Access.API.Token.SecretFile = file
		_, err := c.TokenSecret()
		if err == nil {
			t.Fatalf("%s: no error", file)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: error holds the secret: %v", file, err)
		}
	}
}
