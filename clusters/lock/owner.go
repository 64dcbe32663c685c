package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sshrun"
)

// Runner runs one command line on a cluster member, by member name, as
// root's login shell. A non-zero exit is a Result, not an error; errors are
// transport failures (the member could not be reached). *clusters.Remote
// implements it.
type Runner interface {
	RunOn(ctx context.Context, node, cmd string, stdin []byte) (sshrun.Result, error)
}

// Owner is the owner record, clusters.QuorateLockOwner: who took the lock,
// through which member, and when. Times are UTC, by the holder's clock.
type Owner struct {
	// Holder names the controller (Options.Holder); a controller that
	// restarts with the same Holder takes its lock back.
	Holder string `json:"holder"`
	// Host and PID are the controller's host name and process id.
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Purpose says what the holder is doing ("" when not given).
	Purpose string `json:"purpose,omitempty"`
	// Node is the member the lock was taken through; only that member can
	// renew it.
	Node string `json:"node"`
	// Token is random per acquisition; a renewal checks the record still
	// carries it.
	Token string `json:"token"`
	// Acquired is when the lock was taken (or taken back); Renewed is the
	// last renewal, equal to Acquired until the first one.
	Acquired time.Time `json:"acquired"`
	Renewed  time.Time `json:"renewed"`
}

// describe is the holder's identity for operator messages.
func (o Owner) describe() string {
	s := fmt.Sprintf("%q (host %s, pid %d", o.Holder, o.Host, o.PID)
	if o.Purpose != "" {
		s += fmt.Sprintf(", purpose %q", o.Purpose)
	}
	return s + ")"
}

// stamp formats a time for operator messages.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// seconds formats a timeout as pmxcfs documents it ("120 s").
func seconds(d time.Duration) string { return fmt.Sprintf("%.0f s", d.Seconds()) }

// newToken returns 16 random bytes as hex.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// errNoRecord: the lock exists but its owner record does not.
var errNoRecord = errors.New("it has no owner record (" + clusters.QuorateLockOwner + ")")

// decodeOwner parses an owner record.
func decodeOwner(b []byte) (*Owner, error) {
	var o Owner
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("its owner record %s is not valid JSON: %v", clusters.QuorateLockOwner, err)
	}
	if o.Holder == "" || o.Token == "" {
		return nil, fmt.Errorf("its owner record %s names no holder", clusters.QuorateLockOwner)
	}
	return &o, nil
}

// readOwner reads the owner record through node. Transport failures come
// back as such; a missing record is errNoRecord; an unreadable one is an
// error saying why.
func readOwner(ctx context.Context, r Runner, node string) (*Owner, error) {
	res, err := r.RunOn(ctx, node, clusters.CmdQuorateLockReadOwner, nil)
	if err != nil {
		return nil, &transportError{node: node, err: err}
	}
	if res.Code != 0 {
		if strings.Contains(string(res.Stderr), "No such file or directory") {
			return nil, errNoRecord
		}
		return nil, fmt.Errorf("reading its owner record %s failed (exit %d): %s", clusters.QuorateLockOwner, res.Code, firstLine(res.Stderr))
	}
	return decodeOwner(res.Stdout)
}

// writeOwner writes o as the owner record through o.Node.
func writeOwner(ctx context.Context, r Runner, o Owner) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	res, err := r.RunOn(ctx, o.Node, clusters.CmdQuorateLockWriteOwner, append(b, '\n'))
	if err != nil {
		return &transportError{node: o.Node, err: err}
	}
	if res.Code != 0 {
		return fmt.Errorf("writing the owner record %s through %s failed (exit %d): %s", clusters.QuorateLockOwner, o.Node, res.Code, firstLine(res.Stderr))
	}
	return nil
}

// transportError is a member that could not be reached.
type transportError struct {
	node string
	err  error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v", e.node, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// firstLine is the first line of a command's stderr, for messages.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if s == "" {
		return "(no message)"
	}
	return s
}
