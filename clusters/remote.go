package clusters

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/pveapi"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/state"
)

// Remote reaches one declared cluster. It is safe for concurrent use.
type Remote struct {
	decl *api.Cluster
	ssh  Runner
	// pins records fingerprints StepLearnFingerprint learns; nil keeps them
	// in memory only.
	pins *state.PinStore
	// Now stamps observations; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	// apis is keyed by member name; StepLearnFingerprint replaces entries.
	apis map[string]NodeAPI
	// notes holds one PinNotes line per member whose pin is not the
	// declared one.
	notes map[string]string
}

// Runner runs one shell command on the node at addr (host:port). A non-zero
// exit is a Result, not an error; errors are transport failures. *sshrun.Runner
// implements it; tests may run the simulator in memory instead.
type Runner interface {
	Run(ctx context.Context, addr, cmd string, stdin []byte) (sshrun.Result, error)
	Close() error
}

// NodeAPI is what quorate reads from one node's HTTPS API. *pveapi.Client
// implements it. Every method is one GET; errors are as pveapi returns them
// (a *pveapi.FingerprintError stops the observation).
type NodeAPI interface {
	// ClusterStatus is GET /cluster/status (reference §2.1).
	ClusterStatus(ctx context.Context) (*state.PVEStatus, error)
	// Resources is GET /cluster/resources?type=typ; quorate asks for "vm"
	// (VMs and containers).
	Resources(ctx context.Context, typ string) ([]state.Guest, error)
	// HAResources is GET /cluster/ha/resources.
	HAResources(ctx context.Context) ([]state.HAResource, error)
	// HAGroups is GET /cluster/ha/groups (Proxmox VE 8).
	HAGroups(ctx context.Context) ([]state.HAGroup, error)
	// HARules is GET /cluster/ha/rules (Proxmox VE 9 replaced groups with
	// rules).
	HARules(ctx context.Context) ([]state.HARule, error)
	// Replication is GET /cluster/replication.
	Replication(ctx context.Context) ([]state.ReplicationJob, error)
	// JoinInfo is GET /cluster/config/join (reference §2.8): the nodelist
	// with every member's current certificate fingerprint (pve_fp).
	JoinInfo(ctx context.Context) (*pveapi.JoinInfo, error)
}

// Repinner is a NodeAPI that can make a copy of itself that pins another
// certificate fingerprint. StepLearnFingerprint switches a member's client
// with it after the member's join regenerated its certificate (reference
// §1.1). Connect's clients implement it; a NodeAPI that does not cannot be
// switched, and the step fails.
type Repinner interface {
	Repin(fingerprint string) (NodeAPI, error)
}

// ConnectOptions are Connect's optional parts; the zero value is valid.
type ConnectOptions struct {
	// Pins is where learned certificate fingerprints are kept. Connect pins
	// a learned fingerprint instead of a member's declared one when the
	// declared one is what the pin replaced (Pin.Previous), and
	// StepLearnFingerprint records there. nil: nothing is read or recorded,
	// and learned fingerprints last as long as the Remote.
	Pins *state.PinStore
}

// pveNode adapts *pveapi.Client to Repinner.
type pveNode struct{ *pveapi.Client }

func (p pveNode) Repin(fingerprint string) (NodeAPI, error) {
	c, err := p.WithFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	return pveNode{c}, nil
}

// NewRemote builds a Remote from ready clients: runner for every member's SSH
// address, apis keyed by member name (a missing entry means the API is not
// used for that node).
func NewRemote(decl *api.Cluster, runner Runner, apis map[string]NodeAPI) *Remote {
	return &Remote{decl: decl, ssh: runner, apis: apis, notes: map[string]string{}}
}

// NewRemoteWithPins is NewRemote with a pin store for StepLearnFingerprint.
// Unlike Connect it does not apply stored pins: apis are used as given.
func NewRemoteWithPins(decl *api.Cluster, runner Runner, apis map[string]NodeAPI, pins *state.PinStore) *Remote {
	r := NewRemote(decl, runner, apis)
	r.pins = pins
	return r
}

// Connect prepares clients for every member of decl: it reads the token
// secret, the SSH key and the learned pins (opts.Pins) and parses
// known_hosts, but contacts nothing yet. A member whose declared fingerprint
// is the one a learned pin replaced is pinned to the learned fingerprint, and
// PinNotes says so; a declared fingerprint that matches neither the pin's
// previous nor its learned one is used as declared (the operator's newer
// word), so a wrong one still fails at the first call.
func Connect(decl *api.Cluster, opts ConnectOptions) (*Remote, error) {
	secret, err := decl.TokenSecret()
	if err != nil {
		return nil, err
	}
	var learned map[string]state.Pin
	if opts.Pins != nil {
		if learned, err = opts.Pins.Load(decl.Metadata.Name); err != nil {
			return nil, fmt.Errorf("reading learned certificate fingerprints: %w", err)
		}
	}
	acc := decl.Spec.Access
	signer, err := sshrun.LoadKey(acc.SSH.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("spec.access.ssh.privateKeyFile: %w", err)
	}
	runner, err := sshrun.New(sshrun.Config{
		User:           acc.SSH.User,
		Signer:         signer,
		KnownHostsFile: acc.SSH.KnownHostsFile,
		MaxSessions:    acc.SSH.MaxSessions,
		DialTimeout:    acc.SSH.Timeout.D(),
		CommandTimeout: acc.SSH.CommandTimeout.D(),
	})
	if err != nil {
		return nil, fmt.Errorf("spec.access.ssh: %w", err)
	}
	r := &Remote{decl: decl, ssh: runner, pins: opts.Pins, apis: map[string]NodeAPI{}, notes: map[string]string{}}
	for i := range decl.Spec.Members {
		m := &decl.Spec.Members[i]
		fp := m.Management.Fingerprint
		if p, ok := learned[m.Name]; ok && sameFingerprint(p.Previous, fp) && !sameFingerprint(p.Current, fp) {
			fp = p.Current
			r.notes[m.Name] = pinNote(i, m, p)
		}
		c, err := pveapi.New(pveapi.Config{
			BaseURL:     "https://" + net.JoinHostPort(m.Management.Host, strconv.Itoa(decl.APIPort(m))),
			Fingerprint: fp,
			TokenID:     acc.API.Token.ID,
			TokenSecret: secret,
			Timeout:     acc.API.Timeout.D(),
		})
		if err != nil {
			runner.Close()
			return nil, fmt.Errorf("spec.members[%d] (%s): %w", i, m.Name, err)
		}
		r.apis[m.Name] = pveNode{c}
	}
	return r, nil
}

// api returns member name's API client, nil when there is none.
func (r *Remote) api(name string) NodeAPI {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.apis[name]
}

// SSHAddr returns the host:port quorate uses to reach m over SSH.
func (r *Remote) SSHAddr(m *api.Member) string { return r.sshAddr(m) }

// Close drops the SSH connections.
func (r *Remote) Close() error { return r.ssh.Close() }

func (r *Remote) sshAddr(m *api.Member) string {
	return net.JoinHostPort(m.Management.Host, strconv.Itoa(r.decl.SSHPort(m)))
}

// run executes one command on member m.
func (r *Remote) run(ctx context.Context, m *api.Member, cmd string, stdin []byte) (sshrun.Result, error) {
	return r.ssh.Run(ctx, r.sshAddr(m), cmd, stdin)
}

// Observe gathers every declared member in parallel, then reads the
// cluster-wide data (state.Shared) once from the authority, if there is one,
// the joiners' facts, and every member's qdevice facts when the cluster has
// or is declared to have a quorum device (observe_qdevice.go).
// It returns an error only
// for what must stop the run (a changed or unknown host key, a TLS fingerprint
// mismatch, a cancelled context); a node that does not answer is recorded as
// such in the returned state.
func (r *Remote) Observe(ctx context.Context) (*state.Cluster, error) {
	obs := &state.Cluster{FormatVersion: state.FormatVersion, Name: r.decl.Metadata.Name, ObservedAt: r.now().UTC()}
	obs.Nodes = make([]state.Node, len(r.decl.Spec.Members))
	fatal := make([]error, len(r.decl.Spec.Members))
	var wg sync.WaitGroup
	for i := range r.decl.Spec.Members {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			obs.Nodes[i], fatal[i] = r.observeNode(ctx, &r.decl.Spec.Members[i])
		}(i)
	}
	wg.Wait()
	if err := errors.Join(fatal...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	obs.Sort()
	a := obs.Authority()
	// The qdevice facts depend on the authority's file (or, without one,
	// on the members' own files), so they are read after the per-node
	// pass, alongside the shared data and the joiners' facts.
	var qwg sync.WaitGroup
	qwg.Add(1)
	go func() {
		defer qwg.Done()
		r.observeQDevice(ctx, obs, a)
	}()
	defer qwg.Wait()
	if a != nil {
		var sh *state.Shared
		var err error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh, err = r.observeShared(ctx, r.decl.Member(a.Name))
		}()
		r.observeJoiners(ctx, obs, a)
		wg.Wait()
		if err != nil {
			return nil, err
		}
		obs.Shared = sh
	}
	return obs, nil
}

func (r *Remote) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// mustStop reports whether err is a trust failure that ends the run.
func mustStop(err error) bool {
	var hk *sshrun.HostKeyError
	var fp *pveapi.FingerprintError
	return errors.As(err, &hk) || errors.As(err, &fp)
}
