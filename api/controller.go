package api

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// KindController is the kind of the controller's own configuration file, the
// one `quorate run --config` reads (config.example.yaml documents it).
const KindController = "Controller"

// Controller modes.
const (
	// ModeApply observes, plans and applies.
	ModeApply = "apply"
	// ModePlan only observes and plans (a dry run): pending changes are
	// reported in status and metrics, nothing is changed.
	ModePlan = "plan"
)

// Controller defaults.
const (
	DefaultInterval         = 5 * time.Minute
	DefaultJitter           = 10 // percent of the interval
	DefaultWatchInterval    = 5 * time.Second
	DefaultConcurrency      = 4
	DefaultBackoffInitial   = 10 * time.Second
	DefaultBackoffMax       = 10 * time.Minute
	DefaultListen           = "127.0.0.1:9464"
	DefaultSettle           = 90 * time.Second
	DefaultLockTimeout      = 120 * time.Second // pmxcfs's CFS_LOCK_TIMEOUT (reference §6.6)
	DefaultBackupsKeep      = 50
	DefaultShutdownTimeout  = 2 * time.Minute
	DefaultObserveTimeout   = 2 * time.Minute
	DefaultLogFormat        = "text"
	DefaultLogLevel         = "info"
	DefaultControllerStateD = "/var/lib/quorate"
)

// replicaRE is a replica name: a host name, possibly with dots.
var replicaRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Controller is the configuration of the long-running controller.
type Controller struct {
	APIVersion string         `yaml:"apiVersion" json:"apiVersion"`
	Kind       string         `yaml:"kind" json:"kind"`
	Metadata   Metadata       `yaml:"metadata" json:"metadata"`
	Spec       ControllerSpec `yaml:"spec" json:"spec"`
	Source     string         `yaml:"-" json:"-"`
}

// ControllerSpec is what the controller does and how.
type ControllerSpec struct {
	// Clusters says where the cluster declarations are.
	Clusters ClusterSource `yaml:"clusters" json:"clusters"`
	// Mode is apply (default) or plan (dry run).
	Mode string `yaml:"mode,omitempty" json:"mode"`
	// Interval is the time between two reconciles of a cluster that
	// succeeded or is blocked; Jitter (percent) spreads them.
	Interval Duration `yaml:"interval,omitempty" json:"interval"`
	Jitter   int      `yaml:"jitter,omitempty" json:"jitter"`
	// Concurrency bounds how many clusters are reconciled at once.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency"`
	// Backoff is the retry delay after a failed reconcile: Initial, doubled
	// after each consecutive failure, at most Max.
	Backoff Backoff `yaml:"backoff,omitempty" json:"backoff"`
	// Listen is the HTTP address for /metrics, /healthz, /readyz and
	// /status; "off" disables the server.
	Listen string `yaml:"listen,omitempty" json:"listen"`
	// StateDir holds backups, the journal, the audit log, status and
	// learned certificate pins.
	StateDir string `yaml:"stateDir,omitempty" json:"stateDir"`
	// Replica names this controller in the cluster lock; two replicas must
	// have different names. Default: the host name.
	Replica string `yaml:"replica,omitempty" json:"replica"`
	// Settle bounds the wait for one action's postconditions.
	Settle Duration `yaml:"settle,omitempty" json:"settle"`
	// ObserveTimeout bounds one observation and plan of a cluster.
	ObserveTimeout Duration `yaml:"observeTimeout,omitempty" json:"observeTimeout"`
	// ShutdownTimeout bounds how long a stopping controller waits for the
	// actions in progress to finish.
	ShutdownTimeout Duration `yaml:"shutdownTimeout,omitempty" json:"shutdownTimeout"`
	Lock            LockSpec `yaml:"lock,omitempty" json:"lock"`
	Backups         Backups  `yaml:"backups,omitempty" json:"backups"`
	Log             LogSpec  `yaml:"log,omitempty" json:"log"`
}

// ClusterSource is a directory of cluster declarations (*.yaml, *.yml; not
// recursive), typically a Git checkout kept current by another tool.
type ClusterSource struct {
	Dir string `yaml:"dir" json:"dir"`
	// WatchInterval is how often the directory is checked for changed
	// files. SIGHUP checks at once.
	WatchInterval Duration `yaml:"watchInterval,omitempty" json:"watchInterval"`
}

// Backoff is an exponential retry delay.
type Backoff struct {
	Initial Duration `yaml:"initial,omitempty" json:"initial"`
	Max     Duration `yaml:"max,omitempty" json:"max"`
}

// LockSpec tunes the per-cluster lock in pmxcfs.
type LockSpec struct {
	// Timeout is pmxcfs's lock expiry, 120 s on real clusters; only the
	// simulator can be told otherwise (sim serve --lock-timeout).
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout"`
}

// Backups is the retention of the controller's corosync.conf copies.
type Backups struct {
	// Keep is how many copies per node and file are kept; 0 keeps all.
	Keep *int `yaml:"keep,omitempty" json:"keep"`
}

// LogSpec configures the structured log on stderr.
type LogSpec struct {
	Format string `yaml:"format,omitempty" json:"format"` // text or json
	Level  string `yaml:"level,omitempty" json:"level"`   // debug, info, warn, error
}

// LoadController reads and validates the controller configuration at path.
// Relative paths (clusters.dir, stateDir) are taken from the file's
// directory. Every problem comes back together as *Errors with file:line.
func LoadController(path string) (*Controller, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read controller configuration: %w", err)
	}
	doc, errs := parse(path, b, reflect.TypeFor[Controller]())
	if doc == nil {
		return nil, asErrors(errs)
	}
	c := &Controller{Source: path}
	if len(errs) == 0 {
		if errs := strictDecode(doc, b, c); len(errs) > 0 {
			return nil, asErrors(errs)
		}
	} else {
		lenientDecode(b, c)
	}
	c.applyDefaults(func(p string) bool { return doc.present[p] })
	rules := c.Validate()
	for i := range rules {
		doc.locate(&rules[i])
	}
	errs = append(errs, withoutRepeats(rules, errs)...)
	if len(errs) > 0 {
		return nil, asErrors(errs)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.Spec.Clusters.Dir, &c.Spec.StateDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return c, nil
}

func (c *Controller) applyDefaults(written func(string) bool) {
	s := &c.Spec
	dur := func(path string, v *Duration, def time.Duration) {
		if *v == 0 && !written(path) {
			*v = Duration(def)
		}
	}
	str := func(path string, v *string, def string) {
		if *v == "" && !written(path) {
			*v = def
		}
	}
	str("spec.mode", &s.Mode, ModeApply)
	dur("spec.interval", &s.Interval, DefaultInterval)
	if !written("spec.jitter") {
		s.Jitter = DefaultJitter
	}
	if !written("spec.concurrency") {
		s.Concurrency = DefaultConcurrency
	}
	dur("spec.clusters.watchInterval", &s.Clusters.WatchInterval, DefaultWatchInterval)
	dur("spec.backoff.initial", &s.Backoff.Initial, DefaultBackoffInitial)
	dur("spec.backoff.max", &s.Backoff.Max, DefaultBackoffMax)
	str("spec.listen", &s.Listen, DefaultListen)
	str("spec.stateDir", &s.StateDir, DefaultControllerStateD)
	if s.Replica == "" && !written("spec.replica") {
		if h, err := os.Hostname(); err == nil {
			s.Replica = h
		}
	}
	dur("spec.settle", &s.Settle, DefaultSettle)
	dur("spec.observeTimeout", &s.ObserveTimeout, DefaultObserveTimeout)
	dur("spec.shutdownTimeout", &s.ShutdownTimeout, DefaultShutdownTimeout)
	dur("spec.lock.timeout", &s.Lock.Timeout, DefaultLockTimeout)
	if s.Backups.Keep == nil {
		k := DefaultBackupsKeep
		s.Backups.Keep = &k
	}
	str("spec.log.format", &s.Log.Format, DefaultLogFormat)
	str("spec.log.level", &s.Log.Level, DefaultLogLevel)
}

// Validate checks a controller configuration with defaults applied.
func (c *Controller) Validate() []FieldError {
	var errs []FieldError
	add := func(path, msg, hint string) { errs = append(errs, FieldError{Path: path, Message: msg, Hint: hint}) }
	if c.APIVersion != APIVersion {
		add("apiVersion", fmt.Sprintf("%q is not supported", c.APIVersion), "set apiVersion: "+APIVersion)
	}
	if c.Kind != KindController {
		hint := "set kind: " + KindController
		if c.Kind == KindCluster {
			hint = "this is a cluster declaration; `quorate run --config` wants the controller's configuration (see config.example.yaml)"
		}
		add("kind", fmt.Sprintf("%q is not the controller's kind", c.Kind), hint)
	}
	s := c.Spec
	if s.Clusters.Dir == "" {
		add("spec.clusters.dir", "is required", "name the directory holding the cluster YAML files (a Git checkout)")
	}
	if s.Mode != ModeApply && s.Mode != ModePlan {
		add("spec.mode", fmt.Sprintf("%q is not a mode", s.Mode), "use apply, or plan for a dry run that changes nothing")
	}
	positive := func(path string, d Duration) {
		if d <= 0 {
			add(path, "must be positive", "use a Go duration such as 30s or 5m")
		}
	}
	positive("spec.interval", s.Interval)
	positive("spec.clusters.watchInterval", s.Clusters.WatchInterval)
	positive("spec.backoff.initial", s.Backoff.Initial)
	positive("spec.backoff.max", s.Backoff.Max)
	positive("spec.settle", s.Settle)
	positive("spec.observeTimeout", s.ObserveTimeout)
	positive("spec.shutdownTimeout", s.ShutdownTimeout)
	positive("spec.lock.timeout", s.Lock.Timeout)
	if s.Backoff.Max < s.Backoff.Initial {
		add("spec.backoff.max", "is below backoff.initial", "make max at least initial")
	}
	if s.Jitter < 0 || s.Jitter > 50 {
		add("spec.jitter", fmt.Sprintf("%d is out of range", s.Jitter), "use a percentage of the interval, 0..50")
	}
	if s.Concurrency < 1 || s.Concurrency > 256 {
		add("spec.concurrency", fmt.Sprintf("%d is out of range", s.Concurrency), "use 1..256 clusters reconciled at once")
	}
	if s.Listen != "off" && !listenAddr(s.Listen) {
		{
			add("spec.listen", fmt.Sprintf("%q is not an address to listen on", s.Listen), `use HOST:PORT with an IP address (127.0.0.1:9464, [::]:9464), or "off"`)
		}
	}
	if s.StateDir == "" {
		add("spec.stateDir", "is empty", "name a directory the controller may write (backups, journal, audit, status)")
	}
	if s.Replica == "" || !replicaRE.MatchString(s.Replica) {
		add("spec.replica", fmt.Sprintf("%q is not a usable replica name", s.Replica), "use letters, digits, dots and hyphens (the host name of the management VM)")
	}
	if s.Backups.Keep != nil && *s.Backups.Keep < 0 {
		add("spec.backups.keep", "is negative", "use 0 to keep every copy, or how many to keep per node and file")
	}
	switch s.Log.Format {
	case "text", "json":
	default:
		add("spec.log.format", fmt.Sprintf("%q is not a log format", s.Log.Format), "use text or json")
	}
	switch s.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("spec.log.level", fmt.Sprintf("%q is not a log level", s.Log.Level), "use debug, info, warn or error")
	}
	return errs
}

// listenAddr reports whether s is HOST:PORT with an IP address (or
// localhost, or nothing for every address) and a port 0..65535. api does not
// import net: the planner, which imports api, must stay off the network.
func listenAddr(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return false
	}
	host, port := s[:i], s[i+1:]
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return false
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return false
	}
	if host == "" || host == "localhost" {
		return true
	}
	_, err = netip.ParseAddr(host)
	return err == nil
}
