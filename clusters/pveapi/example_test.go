package pveapi_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/quorate/quorate/clusters/pveapi"
)

// Reading one node's view of the cluster. (Not run: it needs a node.)
func ExampleClient_ClusterStatus() {
	c, err := pveapi.New(pveapi.Config{
		BaseURL:     "https://192.0.2.11:8006",
		Fingerprint: "AB:CD:...", // from `pvenode cert info`
		TokenID:     "root@pam!quorate",
		TokenSecret: "…",
	})
	if err != nil {
		log.Fatal(err)
	}
	st, err := c.ClusterStatus(context.Background())
	var fe *pveapi.FingerprintError
	switch {
	case errors.As(err, &fe):
		log.Fatal(fe) // the certificate changed: nothing was sent
	case err != nil:
		log.Fatal(err)
	}
	for _, n := range st.Nodes {
		fmt.Println(n.Name, n.NodeID, n.Online)
	}
}
