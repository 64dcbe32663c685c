package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// runValidate checks cluster files (or every *.yaml/*.yml in a directory)
// without reading secrets or contacting anything. Exit 1 if any is invalid.
func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "validate: name one or more cluster YAML files or directories")
		return exitError
	}
	files, err := clusterFiles(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	code := exitOK
	for _, f := range files {
		c, ok := load(f, stderr)
		if !ok {
			code = exitError
			continue
		}
		fmt.Fprintf(stdout, "%s: cluster %q is valid (%d members, %d links)\n", f, c.Metadata.Name, len(c.Spec.Members), len(c.Spec.Links))
	}
	return code
}

// clusterFiles expands the arguments: a file stands for itself, a directory
// for every *.yaml and *.yml directly in it. Sorted.
func clusterFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				files = append(files, filepath.Join(a, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no cluster YAML files (*.yaml, *.yml) in %s", strings.Join(args, ", "))
	}
	sort.Strings(files)
	return files, nil
}
