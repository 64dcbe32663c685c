package api

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLoadController_Example: config.example.yaml loads, and mentions every
// field of the controller's configuration.
func TestLoadController_Example(t *testing.T) {
	path := filepath.Join("..", "config.example.yaml")
	c, err := LoadController(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.Mode != ModeApply || c.Spec.Concurrency != 4 || c.Spec.Interval.D() != 5*time.Minute {
		t.Errorf("spec = %+v", c.Spec)
	}
	if want, _ := filepath.Abs(filepath.Join("..", "examples", "clusters")); mustAbs(t, c.Spec.Clusters.Dir) != want {
		t.Errorf("clusters.dir = %s, want %s (relative to the file)", c.Spec.Clusters.Dir, want)
	}
	b, _ := os.ReadFile(path)
	for _, name := range fieldNamesOf(reflect.TypeFor[Controller]()) {
		if !strings.Contains(string(b), name+":") {
			t.Errorf("config.example.yaml does not mention %q", name)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestLoadController_Defaults: a minimal file gets every default.
func TestLoadController_Defaults(t *testing.T) {
	path := writeTemp(t, "apiVersion: quorate.dev/v1alpha1\nkind: Controller\nspec:\n  clusters:\n    dir: /srv/clusters\n  replica: a\n")
	c, err := LoadController(path)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Spec
	if s.Jitter != DefaultJitter || s.Lock.Timeout.D() != DefaultLockTimeout || *s.Backups.Keep != DefaultBackupsKeep ||
		s.Listen != DefaultListen || s.Clusters.WatchInterval.D() != DefaultWatchInterval || s.Log.Format != "text" {
		t.Errorf("defaults not applied: %+v", s)
	}
}

// TestLoadController_Errors: each bad field is named with its line and what
// to do, all in one run.
func TestLoadController_Errors(t *testing.T) {
	path := writeTemp(t, `apiVersion: quorate.dev/v1alpha1
kind: Cluster
spec:
  clusters: {}
  mode: yolo
  concurrency: 0
  jitter: 80
  listen: "example.com:x"
  backoff: {initial: 1m, max: 10s}
  replica: "a b"
  log: {format: xml}
`)
	_, err := LoadController(path)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want *Errors", err)
	}
	msg := err.Error()
	for _, want := range []string{":2:", "this is a cluster declaration", "spec.clusters.dir", ":5:", "spec.mode", "dry run",
		"spec.concurrency", "spec.jitter", "spec.listen", "spec.backoff.max", "spec.replica", "spec.log.format"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadController_UnknownField: a misspelt field is named with a
// suggestion.
func TestLoadController_UnknownField(t *testing.T) {
	path := writeTemp(t, "apiVersion: quorate.dev/v1alpha1\nkind: Controller\nspec:\n  clusters: {dir: x}\n  intervall: 5m\n")
	_, err := LoadController(path)
	if err == nil || !strings.Contains(err.Error(), ":5:") || !strings.Contains(err.Error(), `did you mean "interval"`) {
		t.Errorf("err = %v", err)
	}
}
