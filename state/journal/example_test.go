package journal_test

import (
	"fmt"
	"os"

	"github.com/quorate/quorate/state/journal"
)

// The controller's protocol around one step, and what a restart sees.
func Example() {
	dir, _ := os.MkdirTemp("", "journal-example")
	defer os.RemoveAll(dir)
	j := &journal.Journal{Dir: dir}

	p := journal.Pending{Cluster: "lab", Action: 1, Actions: 1, Kind: "Delnode", Target: "pve4",
		Step: 1, Steps: 1, Phase: journal.PhaseIntent}
	if err := j.Put(p); err != nil {
		fmt.Println(err)
		return
	}
	j.Append(journal.Entry{Cluster: "lab", Event: journal.EventIntent, Action: 1, Actions: 1, Step: 1, Steps: 1})
	// ... the controller is killed while running the step ...

	// On restart: an action was in flight, and step 1 may or may not have run.
	got, err := j.Get("lab")
	fmt.Println(got.Kind, got.Target, "step", got.Step, got.Phase, err)

	// A fresh observation decides; then the outcome is recorded and the
	// record cleared.
	j.Append(journal.Entry{Cluster: "lab", Event: journal.EventResume, Outcome: "took effect"})
	j.Clear("lab")
	got, _ = j.Get("lab")
	entries, _ := j.Audit("lab")
	fmt.Println(got == nil, len(entries))
	// Output:
	// Delnode pve4 step 1 intent <nil>
	// true 2
}
