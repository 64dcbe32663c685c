package api_test

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/api"
)

// A declaration with two mistakes: both are reported at once, in file order,
// each with its line and YAML path.
func ExampleLoadBytes() {
	fp := strings.Repeat("AB:", 31) + "01"
	src := `apiVersion: quorate.dev/v1alpha1
kind: Cluster
metadata:
  name: lab
spec:
  access:
    api:
      token: {id: root@pam!quorate, secretEnv: PVE_TOKEN_SECRET}
    ssh: {privateKeyFile: id_ed25519, knownHostsFile: known_hosts}
  links:
    - number: 0
  members:
    - name: pve1
      nodeid: 1
      votes: 0
      addresses:
        - {link: 0, address: pve1.lan}
      management: {host: 127.0.0.1, fingerprint: "` + fp + `"}
`
	_, err := api.LoadBytes("cluster.yaml", []byte(src))
	fmt.Println(err)
	// Output:
	// cluster.yaml:15: spec.members[0].votes: 0 votes is not possible; Proxmox writes no quorum_votes for 0 and corosync then counts 1 vote (reference §2.6 item 10); use 1..255, or leave it out for 1
	// cluster.yaml:17: spec.members[0].addresses[0].address: "pve1.lan" is a host name, not an IP address; corosync resolves names only when it starts and Proxmox warns about them (reference §4.4); write the node's IP address on link 0
}
