package controller

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitRevision reads the checked-out commit as git itself reports it,
// before and after `git pack-refs`, and "" outside a repository.
func TestGitRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; the revision reader is tested against git's own answer")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := gitRevision(dir); got != "" {
		t.Errorf("outside a repository: %q", got)
	}
	git("init", "-q", "-b", "main")
	os.MkdirAll(filepath.Join(dir, "clusters"), 0o755)
	os.WriteFile(filepath.Join(dir, "clusters", "a.yaml"), []byte("x"), 0o644)
	git("add", ".")
	git("commit", "-qm", "one")
	want := git("rev-parse", "HEAD")
	if got := gitRevision(filepath.Join(dir, "clusters")); got != want {
		t.Errorf("loose ref: %q, want %q", got, want)
	}
	git("pack-refs", "--all")
	if got := gitRevision(filepath.Join(dir, "clusters")); got != want {
		t.Errorf("packed ref: %q, want %q", got, want)
	}
	git("checkout", "-q", "--detach")
	if got := gitRevision(dir); got != want {
		t.Errorf("detached: %q, want %q", got, want)
	}
}

// TestScanDir_DuplicateClusterNames: two files declaring one cluster are
// both refused, naming each other.
func TestScanDir_DuplicateClusterNames(t *testing.T) {
	dir := t.TempDir()
	cls := startClusters(t, dir, "east")
	b, err := os.ReadFile(cls[0].file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "clusters", "east-copy.yaml"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "clusters", "notes.txt"), []byte("ignored"), 0o644)
	got, err := scanDir(filepath.Join(dir, "clusters"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2 (the .txt ignored)", len(got))
	}
	for _, d := range got {
		if d.Decl != nil || d.Err == nil || !strings.Contains(d.Err.Error(), "east-copy.yaml, east.yaml") {
			t.Errorf("%s: decl %v, err %v; want refused naming both files", d.File, d.Decl != nil, d.Err)
		}
	}
}
