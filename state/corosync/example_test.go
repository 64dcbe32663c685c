package corosync_test

import (
	"fmt"

	"github.com/quorate/quorate/state/corosync"
)

// A file in the docs' older layout comes out in write_conf's layout, with the
// version bumped as atomic_write_conf would (reference §4.2, §4.3).
func ExampleConfig_Bytes() {
	c, err := corosync.Parse([]byte(`# edited by hand
totem {
  version: 2
  cluster_name: lab
  config_version: 4
}
nodelist {

  node {
    name: pve2
    nodeid: 2
    ring0_addr: 10.0.0.2
  }

}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := c.BumpVersion()
	fmt.Println("new version", v)
	fmt.Print(string(c.Bytes()))
	// Output:
	// new version 5
	// nodelist {
	//   node {
	//     name: pve2
	//     nodeid: 2
	//     ring0_addr: 10.0.0.2
	//   }
	// }
	//
	// totem {
	//   cluster_name: lab
	//   config_version: 5
	//   version: 2
	// }
}
