package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// PinFormatVersion is the version of a pin file's JSON form.
const PinFormatVersion = 1

// Pin is a certificate fingerprint quorate learned for a node after the
// fingerprint declared for it stopped being true: joining a cluster
// regenerates a node's certificate (reference §1.1, §2.9 finish_join).
// Fingerprints are kept as given (Proxmox's upper-case colon hex).
type Pin struct {
	// Previous is the fingerprint the declaration pinned when Current was
	// learned. The learned pin replaces only that one: a declaration that
	// pins anything else is the operator's newer word.
	Previous string `json:"previous"`
	// Current is the fingerprint learned from the cluster.
	Current string `json:"current"`
	// Source names the member whose API reported Current (GET
	// /cluster/config/join, pve_fp); empty when unknown.
	Source string `json:"source,omitempty"`
	// LearnedAt is when it was recorded (UTC).
	LearnedAt time.Time `json:"learned_at"`
}

// pinFile is the JSON form of one cluster's pins.
type pinFile struct {
	FormatVersion int            `json:"format_version"`
	Cluster       string         `json:"cluster"`
	Pins          map[string]Pin `json:"pins"`
}

// PinStore keeps learned fingerprints in Dir/pins/CLUSTER.json, one file per
// cluster, written atomically (WriteFileAtomic). The zero value with Dir set
// is ready to use, and it is safe for concurrent use by one process; two
// processes learning at the same time may lose one of the updates (the last
// rename wins), which costs a second learning, not a wrong pin.
type PinStore struct {
	Dir string
	// Now stamps LearnedAt; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

// storeName is what a cluster or node name must look like to become part of
// a path (Proxmox's pve-node format: no "/", no "..").
var storeName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)

// Path returns the file that holds cluster's pins.
func (s *PinStore) Path(cluster string) string {
	return filepath.Join(s.Dir, "pins", cluster+".json")
}

// Learn records that node's certificate, pinned as previous in the
// declaration, now has fingerprint current. It replaces an earlier pin of
// node. Learning a current equal to previous (the declaration is already
// right) removes node's pin instead.
func (s *PinStore) Learn(cluster, node, previous, current string) error {
	return s.Record(cluster, node, Pin{Previous: previous, Current: current})
}

// Record is Learn with the source filled in; p.LearnedAt is set to now when
// zero.
func (s *PinStore) Record(cluster, node string, p Pin) error {
	if !storeName.MatchString(node) {
		return fmt.Errorf("pins: node name %q is not a node name", node)
	}
	if p.Current == "" || p.Previous == "" {
		return fmt.Errorf("pins: %s: both the previous and the learned fingerprint are needed", node)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pins, err := s.load(cluster)
	if err != nil {
		return err
	}
	if strings.EqualFold(p.Previous, p.Current) {
		if _, ok := pins[node]; !ok {
			return nil
		}
		delete(pins, node)
	} else {
		if p.LearnedAt.IsZero() {
			now := time.Now
			if s.Now != nil {
				now = s.Now
			}
			p.LearnedAt = now()
		}
		p.LearnedAt = p.LearnedAt.UTC()
		pins[node] = p
	}
	b, err := json.MarshalIndent(pinFile{FormatVersion: PinFormatVersion, Cluster: cluster, Pins: pins}, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(s.Path(cluster), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("pins: recording %s's learned fingerprint: %w", node, err)
	}
	return nil
}

// Lookup returns node's pin. ok is false when there is none, or when the pin
// file cannot be read (Load says why).
func (s *PinStore) Lookup(cluster, node string) (Pin, bool) {
	pins, err := s.Load(cluster)
	if err != nil {
		return Pin{}, false
	}
	p, ok := pins[node]
	return p, ok
}

// Load returns every pin of cluster by node name; an empty map when none was
// recorded. A file that exists but cannot be read or parsed is an error, so
// that a damaged store is reported rather than silently ignored.
func (s *PinStore) Load(cluster string) (map[string]Pin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(cluster)
}

func (s *PinStore) load(cluster string) (map[string]Pin, error) {
	if !storeName.MatchString(cluster) {
		return nil, fmt.Errorf("pins: cluster name %q is not a cluster name", cluster)
	}
	path := s.Path(cluster)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Pin{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pins: %w", err)
	}
	var f pinFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("pins: %s is not a quorate pin file (%v); move it away (quorate then uses the declared fingerprints)", path, err)
	}
	if f.FormatVersion != PinFormatVersion {
		return nil, fmt.Errorf("pins: %s has format_version %d, this quorate reads %d", path, f.FormatVersion, PinFormatVersion)
	}
	if f.Cluster != cluster {
		return nil, fmt.Errorf("pins: %s holds pins of cluster %q, not %q; move it away", path, f.Cluster, cluster)
	}
	if f.Pins == nil {
		f.Pins = map[string]Pin{}
	}
	return f.Pins, nil
}
