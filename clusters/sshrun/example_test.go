package sshrun_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/quorate/quorate/clusters/sshrun"
)

// A non-zero exit status is data: corosync-quorumtool exits 2 when the node
// is inquorate. (Not run: it needs a node.)
func ExampleRunner_Run() {
	signer, err := sshrun.LoadKey("/etc/quorate/id_ed25519")
	if err != nil {
		log.Fatal(err)
	}
	r, err := sshrun.New(sshrun.Config{Signer: signer, KnownHostsFile: "/etc/quorate/known_hosts"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	res, err := r.Run(context.Background(), "192.0.2.11:22", "corosync-quorumtool -s", nil)
	var hk *sshrun.HostKeyError
	switch {
	case errors.As(err, &hk):
		log.Fatal(hk) // says which known_hosts line to check, and that nothing changed
	case err != nil:
		log.Fatal(err)
	case res.Code == 2:
		fmt.Println("inquorate")
	case res.Code == 0:
		fmt.Printf("%s", res.Stdout)
	}
}
