package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Naming: every namespace, link and directory a lab creates carries prefix
// plus the lab's 6-hex-digit id, so leftovers of a crashed run can be found
// by name (and only ours: nothing else on the machine is touched).
const (
	prefix    = "qlab"
	stateDir  = "/run/quorate-lab" // tmpfs: gone after a reboot, like the namespaces
	dirPrefix = "quorate-lab-"
)

var (
	// nsName matches a node namespace: qlab<id>-pve<N>. Probe namespaces of
	// Available are not swept: they live for milliseconds, and another
	// process may be probing right now.
	nsName = regexp.MustCompile(`^` + prefix + `([0-9a-f]{6})-(pve[0-9]+|qnetd)$`)
	// linkName matches the bridges qlab<id>b0 and b1 and the host-side
	// veths qlab<id>v<N> (link 0), w<N> (link 1) and q (the qnetd host)
	// (`ip -o link` may append "@peer").
	linkName = regexp.MustCompile(`^` + prefix + `([0-9a-f]{6})(b[01]|[vw][0-9]+|q)$`)
)

// record is what a lab writes to stateDir/<id>.json before it creates
// anything, and rewrites whenever it starts a process. A later Start reads
// the records of labs whose owner is gone and tears them down.
type record struct {
	ID         string   `json:"id"`
	Owner      Proc     `json:"owner"` // the test process that ran Start
	Dir        string   `json:"dir"`
	Subnet     int      `json:"subnet"`            // k of 10.99.k.0/24 (link 0)
	Subnet1    int      `json:"subnet1,omitempty"` // k1 of 10.99.k1.0/24 (link 1), 0 with one link
	Bridge     string   `json:"bridge"`
	Namespaces []string `json:"namespaces"`
	Links      []string `json:"links"`
	Procs      []Proc   `json:"procs"`
}

func statePath(id string) string { return filepath.Join(stateDir, id+".json") }

// save writes the record atomically (rename), so a crash mid-write leaves
// the previous version.
func (r *record) save() error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("lab state: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(r.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("lab state: %w", err)
	}
	return os.Rename(tmp, statePath(r.ID))
}

// loadRecords returns every readable record in stateDir.
func loadRecords() ([]*record, error) {
	paths, err := filepath.Glob(filepath.Join(stateDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*record
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // removed by its owner meanwhile
		}
		r := &record{}
		if err := json.Unmarshal(b, r); err != nil || r.ID == "" {
			return nil, fmt.Errorf("lab state file %s is not a lab record (%v); remove it by hand after checking", p, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// lockState takes an exclusive lock on stateDir, so that one process's
// leftover sweep never sees another's half-created lab. The returned func
// releases it.
func lockState() (func(), error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("lab state: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(stateDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lab state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lab state: lock: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// cleanLeftovers tears down every lab whose owner process is gone (by its
// record), then deletes namespaces and links that carry the lab prefix but
// belong to no live lab. It must run with lockState held. Processes are
// signalled only by recorded PID (checked against their start time) or
// because they sit inside one of those namespaces, never by name.
func cleanLeftovers() error {
	recs, err := loadRecords()
	if err != nil {
		return err
	}
	live := map[string]bool{}
	var errs []error
	for _, r := range recs {
		if r.Owner.Alive() {
			live[r.ID] = true
			continue
		}
		if err := teardown(r); err != nil {
			errs = append(errs, fmt.Errorf("leftover lab %s: %w", r.ID, err))
		}
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return fmt.Errorf("ip netns list: %w", err)
	}
	orphan := &record{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			if m := nsName.FindStringSubmatch(f[0]); m != nil && !live[m[1]] {
				orphan.Namespaces = append(orphan.Namespaces, f[0])
			}
		}
	}
	out, err = exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return fmt.Errorf("ip -o link show: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if m := linkName.FindStringSubmatch(name); m != nil && !live[m[1]] {
			orphan.Links = append(orphan.Links, name)
		}
	}
	if len(orphan.Namespaces)+len(orphan.Links) > 0 {
		if err := teardown(orphan); err != nil {
			errs = append(errs, fmt.Errorf("unrecorded lab leftovers: %w", err))
		}
	}
	return errors.Join(errs...)
}

// teardown removes everything r lists: recorded processes (SIGKILL, only
// while PID and start time match), any process still inside r's namespaces,
// the namespaces, the links, the directory and the record itself. Missing
// pieces are fine, so it can run twice.
func teardown(r *record) error {
	var errs []error
	procs := append([]Proc(nil), r.Procs...)
	for _, ns := range r.Namespaces {
		procs = append(procs, nsProcs(ns)...)
	}
	for _, p := range procs {
		p.signal(syscall.SIGKILL)
	}
	if err := waitGone(procs, 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	for _, ns := range r.Namespaces {
		if err := ipDel("netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	// Deleting one end of a veth deletes both; the namespace side may
	// already be gone with its namespace, so "Cannot find device" is fine.
	for _, l := range r.Links {
		if err := ipDel("link", "del", l); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Dir != "" {
		// Only a directory the lab made (its name says so) is removed.
		if strings.HasPrefix(filepath.Base(r.Dir), dirPrefix) {
			if err := os.RemoveAll(r.Dir); err != nil {
				errs = append(errs, err)
			}
		} else {
			errs = append(errs, fmt.Errorf("not removing %s: not a lab directory (%s*)", r.Dir, dirPrefix))
		}
	}
	if r.ID != "" {
		if err := os.Remove(statePath(r.ID)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// nsProcs lists the processes inside network namespace ns (`ip netns pids`
// compares each process's net namespace with the named one), recorded with
// their start time so the signal goes to exactly them.
func nsProcs(ns string) []Proc {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil // the namespace is gone
	}
	var ps []Proc
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		if p, err := newProc(pid, "inside "+ns); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// ipDel runs `ip args...`, treating "already gone" as success.
func ipDel(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err == nil {
		return nil
	}
	s := string(out)
	if strings.Contains(s, "Cannot find device") || strings.Contains(s, "No such file") {
		return nil
	}
	return fmt.Errorf("ip %s: %s", strings.Join(args, " "), oneLine(out, err))
}
