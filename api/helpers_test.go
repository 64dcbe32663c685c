package api

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fp returns a well-formed fingerprint ending in byte n.
func fp(n int) string {
	return strings.Repeat("AB:", 31) + fmt.Sprintf("%02X", n)
}

// validCluster is a valid 3-member declaration with defaults applied. Every
// Validate case starts from it and breaks one thing.
func validCluster() *Cluster {
	c := &Cluster{
		APIVersion: APIVersion,
		Kind:       KindCluster,
		Metadata:   Metadata{Name: "lab"},
		Spec: ClusterSpec{
			Access: Access{
				API: APIAccess{Token: APIToken{ID: "root@pam!quorate", SecretFile: "token.secret"}},
				SSH: SSHAccess{PrivateKeyFile: "id_ed25519", KnownHostsFile: "known_hosts"},
			},
			Links: []Link{{Number: 0}},
		},
	}
	for i := 1; i <= 3; i++ {
		c.Spec.Members = append(c.Spec.Members, Member{
			Name:      fmt.Sprintf("pve%d", i),
			NodeID:    i,
			Addresses: []LinkAddress{{Link: 0, Address: fmt.Sprintf("10.10.10.%d", i)}},
			Management: Management{
				Host: "127.0.0.1", APIPort: 40000 + i, SSHPort: 40100 + i, Fingerprint: fp(i),
			},
		})
	}
	c.ApplyDefaults()
	return c
}

// validYAML is validCluster as a file, with the line numbers the load tests
// refer to noted on the right.
const validYAML = `apiVersion: quorate.dev/v1alpha1
kind: Cluster
metadata:
  name: lab
spec:
  access:
    api:
      token:
        id: root@pam!quorate
        secretFile: token.secret
    ssh:
      privateKeyFile: id_ed25519
      knownHostsFile: known_hosts
  links:
    - number: 0
  members:
    - name: pve1
      nodeid: 1
      addresses:
        - link: 0
          address: 10.10.10.1
      management:
        host: 127.0.0.1
        apiPort: 40001
        sshPort: 40101
        fingerprint: ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:01
    - name: pve2
      nodeid: 2
      addresses:
        - link: 0
          address: 10.10.10.2
      management:
        host: 127.0.0.1
        apiPort: 40002
        sshPort: 40102
        fingerprint: AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:02
`

// Line numbers in validYAML.
const (
	lineSpec          = 5
	lineToken         = 8
	lineLinks         = 14
	lineMember0       = 17 // "- name: pve1"
	lineMember0NodeID = 18
	lineMember0Addrs  = 19
	lineMember0Addr   = 21
	lineMember1       = 27
	lineMember1Addr   = 31
)

// edit replaces the first occurrence of old in validYAML, failing the test if
// it is not there (so a stale edit cannot pass by doing nothing).
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(validYAML, old) {
		t.Fatalf("validYAML has no %q", old)
	}
	return strings.Replace(validYAML, old, new, 1)
}

var indexRE = regexp.MustCompile(`^(.*)\[(\d+)\]$`)

// pathResolves reports whether a FieldError path names a field of Cluster
// under its YAML names, so that a typo in a rule's path cannot go unnoticed.
func pathResolves(path string) bool {
	t := reflect.TypeFor[Cluster]()
	if path == "" {
		return true
	}
	for _, part := range strings.Split(path, ".") {
		idx := -1
		if m := indexRE.FindStringSubmatch(part); m != nil {
			part = m[1]
			idx, _ = strconv.Atoi(m[2])
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		ft, ok := yamlFields(t)[part]
		if !ok {
			return false
		}
		t = ft
		if idx >= 0 {
			if t.Kind() != reflect.Slice {
				return false
			}
			t = t.Elem()
		}
	}
	return true
}

// allFieldNames lists the YAML name of every field reachable from Cluster.
func allFieldNames() []string { return fieldNamesOf(reflect.TypeFor[Cluster]()) }

// fieldNamesOf lists every YAML field name reachable from root.
func fieldNamesOf(root reflect.Type) []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeFor[Duration]() {
			return
		}
		seen[t] = true
		for name, ft := range yamlFields(t) {
			out = append(out, name)
			visit(ft)
		}
	}
	visit(root)
	return out
}
