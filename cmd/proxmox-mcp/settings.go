package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// Environment variables of the server itself (the Proxmox connection's are in connection.go).
const (
	envDestructive  = "PROXMOX_ENABLE_DESTRUCTIVE"
	envReadOnly     = "PROXMOX_READ_ONLY"
	envTools        = "PROXMOX_TOOLS"
	envAuditLog     = "PROXMOX_AUDIT_LOG"
	envLogLevel     = "PROXMOX_LOG_LEVEL"
	envHTTPToken    = "PROXMOX_MCP_HTTP_TOKEN"
	envAllowedHosts = "PROXMOX_MCP_ALLOWED_HOSTS"
	envAllowOrigins = "PROXMOX_MCP_ALLOWED_ORIGINS"
	envWait         = "PROXMOX_WAIT_SECONDS"
	envAPIAllow     = gate.EnvAPIAllow
	envToolsets     = "PROXMOX_TOOLSETS"
	envHide         = "PROXMOX_HIDE_UNPERMITTED"
	envExec         = gate.EnvExec      // PROXMOX_ENABLE_EXEC
	envExecAllow    = gate.EnvExecAllow // PROXMOX_EXEC_ALLOW
)

// demoExecAllow is what exec may run in demo mode when PROXMOX_EXEC_ALLOW says nothing: the programs the
// simulated guests have. Nothing real runs there.
const demoExecAllow = "hostname,uname,cat,df"

// minHTTPToken is the shortest PROXMOX_MCP_HTTP_TOKEN taken.
const minHTTPToken = 16

// settings is everything the command line and the environment decide. Flags win over the environment.
type settings struct {
	demo bool
	// demoClusters names the simulated clusters of --demo=home,lab; none for the one simulated cluster.
	demoClusters []string
	http         string
	httpToken    string // from the environment only: a flag would show in ps
	allowedHosts []string
	allowOrigins []string
	readOnly     bool
	tools        []string
	toolsets     []string
	destructive  bool
	// targetsFile names the clusters (PROXMOX_TARGETS); "" for the one cluster of the PROXMOX_* variables.
	targetsFile string
	// hideUnpermitted leaves out, at start, the tools no cluster's token can run (PROXMOX_HIDE_UNPERMITTED,
	// default on).
	hideUnpermitted bool
	exec            gate.ExecRule // PROXMOX_ENABLE_EXEC and PROXMOX_EXEC_ALLOW
	auditLog        string
	logLevel        string
	wait            time.Duration
	// consent is when and how a person approves a write (PROXMOX_CONSENT and its siblings); stateKey signs
	// its requestState (from the environment only: it is a secret).
	consent  *gate.Consent
	stateKey string
	// apiAllow are the operator-only operations the generic API tools may call ("METHOD /path/template").
	apiAllow []string
	// humanLogs prints readable log lines instead of JSON: `call` sets it, a person reads its stderr.
	humanLogs bool

	// pveEnv is the Proxmox connection's environment with flags applied on top, for connectionFromEnv.
	pveEnv func(string) string
}

// flagValues are the raw flags; parse turns them into settings.
type flagValues struct {
	demo, help, version                         bool
	demoClusters                                string // --demo=home,lab
	http, url, tokenID, caFile, fingerprint     string
	timeout, tools, auditLog, logLevel, hosts   string
	origins, readOnly, destructive, tlsInsecure string
	wait, apiAllow, toolsets, targets, hide     string
	exec, execAllow                             string
}

// register declares the global flags on fs. A flag's default is its current value, so that declaring the
// same flags again on a subcommand's flag set does not reset what the first parse set. Boolean settings are
// strings so that "--read-only=false" can override an environment that says true, and so an unset flag leaves
// the environment alone.
func (f *flagValues) register(fs *flag.FlagSet) {
	fs.Var(demoFlag{f}, "demo", "")
	fs.BoolVar(&f.help, "help", f.help, "")
	fs.BoolVar(&f.help, "h", f.help, "")
	fs.BoolVar(&f.version, "version", f.version, "")
	for _, sf := range []struct {
		p    *string
		name string
	}{
		{&f.http, "http"}, {&f.url, "url"}, {&f.tokenID, "token-id"}, {&f.caFile, "ca-file"}, {&f.fingerprint, "fingerprint"},
		{&f.timeout, "timeout"}, {&f.tools, "tools"}, {&f.auditLog, "audit-log"}, {&f.logLevel, "log-level"},
		{&f.hosts, "allowed-hosts"}, {&f.origins, "allowed-origins"}, {&f.wait, "wait"}, {&f.apiAllow, "api-allow"},
		{&f.toolsets, "toolsets"}, {&f.targets, "targets"}, {&f.execAllow, "exec-allow"},
	} {
		fs.StringVar(sf.p, sf.name, *sf.p, "")
	}
	boolFlag(fs, &f.readOnly, "read-only")
	boolFlag(fs, &f.destructive, "enable-destructive")
	boolFlag(fs, &f.exec, "enable-exec")
	boolFlag(fs, &f.tlsInsecure, "tls-insecure")
	boolFlag(fs, &f.hide, "hide-unpermitted")
}

// boolFlag is a flag that may be given bare (--read-only means true) or with a value (--read-only=false), and
// that stays "" when not given, so the environment decides.
func boolFlag(fs *flag.FlagSet, dst *string, name string) { fs.Var(boolString{dst}, name, "") }

type boolString struct{ p *string }

func (b boolString) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolString) Set(v string) error { *b.p = v; return nil }
func (b boolString) IsBoolFlag() bool   { return true }

// demoFlag is --demo (one simulated cluster) or --demo=home,lab (a simulated cluster for each name).
type demoFlag struct{ f *flagValues }

func (d demoFlag) String() string {
	if d.f == nil || !d.f.demo {
		return "false"
	}
	return "true"
}

func (d demoFlag) Set(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		d.f.demo, d.f.demoClusters = true, ""
	case "0", "false", "no", "off":
		d.f.demo, d.f.demoClusters = false, ""
	case "":
		return errors.New("--demo= names no cluster: give --demo alone for one simulated cluster, or --demo=home,lab")
	default:
		d.f.demo, d.f.demoClusters = true, v
	}
	return nil
}

func (d demoFlag) IsBoolFlag() bool { return true }

// newFlagSet builds a flag set with the global flags, quiet on its own: we print our own usage.
func newFlagSet(name string, f *flagValues) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	return fs
}

// resolve applies flags over the environment and checks the result; every problem is reported at once.
func (f *flagValues) resolve(getenv func(string) string) (*settings, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	over := map[string]string{}
	pick := func(flagVal, envName string) string {
		if flagVal != "" {
			over[envName] = flagVal
			return flagVal
		}
		return env(envName)
	}
	var problems []string
	boolean := func(flagVal, envName string) bool {
		v := pick(flagVal, envName)
		switch strings.ToLower(v) {
		case "", "0", "false", "no", "off":
			return false
		case "1", "true", "yes", "on":
			return true
		}
		problems = append(problems, fmt.Sprintf("%s=%q is not a boolean (1/true/yes or 0/false/no)", envName, v))
		return false
	}
	// A switch the demo turns on (nothing real can be harmed) unless the flag or the variable turns it off: a
	// person trying the refusals in the demo sets it to 0.
	onInDemo := func(flagVal, envName string) bool {
		if f.demo && pick(flagVal, envName) == "" {
			return true
		}
		return boolean(flagVal, envName)
	}
	s := &settings{
		demo:         f.demo,
		http:         f.http,
		httpToken:    getenv(envHTTPToken),
		auditLog:     pick(f.auditLog, envAuditLog),
		logLevel:     pick(f.logLevel, envLogLevel),
		readOnly:     boolean(f.readOnly, envReadOnly),
		destructive:  onInDemo(f.destructive, envDestructive),
		tools:        splitList(pick(f.tools, envTools)),
		toolsets:     splitList(pick(f.toolsets, envToolsets)),
		targetsFile:  pick(f.targets, envTargets),
		allowedHosts: splitList(pick(f.hosts, envAllowedHosts)),
		allowOrigins: splitList(pick(f.origins, envAllowOrigins)),
	}
	if f.demoClusters != "" {
		if names, err := parseDemoClusters(f.demoClusters); err != nil {
			problems = append(problems, err.Error())
		} else {
			s.demoClusters = names
		}
	}
	if s.httpToken != "" && len(s.httpToken) < minHTTPToken {
		// In every mode, not only with --http: the redactor masks the token everywhere and a request holding it
		// is not sent, so a short one would mask its letters in all output and stop every request.
		problems = append(problems, fmt.Sprintf("%s is shorter than %d characters: use a long random token (e.g. openssl rand -hex 32)", envHTTPToken, minHTTPToken))
	}
	if s.demo && len(s.toolsets) == 0 && len(s.tools) == 0 {
		// The demo shows everything the server can do, the toolsets off by default included: trying costs nothing.
		s.toolsets = []string{"all"}
	}
	s.wait = 30 * time.Second
	if v := pick(f.wait, envWait); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			var n int
			if _, serr := fmt.Sscanf(v, "%d", &n); serr != nil || fmt.Sprint(n) != v {
				problems = append(problems, fmt.Sprintf("%s=%q is not a duration (30s) or seconds", envWait, v))
			}
			d = time.Duration(n) * time.Second
		}
		if d <= 0 || d > 10*time.Minute {
			problems = append(problems, fmt.Sprintf("%s=%q is out of range (more than 0, at most 10m)", envWait, v))
		}
		s.wait = d
	}
	s.stateKey = getenv(gate.EnvStateKey)
	if c, err := consentFrom(env, s.stateKey); err != nil {
		problems = append(problems, err.Error())
	} else {
		s.consent = c
	}
	switch s.logLevel {
	case "", "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("%s=%q is not debug, info, warn or error", envLogLevel, s.logLevel))
	}
	if s.readOnly && boolean(f.destructive, envDestructive) {
		problems = append(problems, envReadOnly+"=1 and "+envDestructive+"=1 contradict each other: a read-only server has no destructive tools")
	}
	// Hiding is on unless turned off: an unset variable means the default, not false.
	s.hideUnpermitted = pick(f.hide, envHide) == "" || boolean(f.hide, envHide)
	// In demo mode exec is on, for the programs the simulated guests have unless the list says otherwise.
	s.exec.Enabled = onInDemo(f.exec, envExec)
	allow := pick(f.execAllow, envExecAllow)
	if allow == "" && f.demo {
		allow = demoExecAllow
	}
	if list, err := gate.ParseExecAllow(allow); err != nil {
		problems = append(problems, err.Error())
	} else {
		s.exec.Allow = list
	}
	if s.readOnly && boolean(f.exec, envExec) {
		problems = append(problems, envReadOnly+"=1 and "+envExec+"=1 contradict each other: a read-only server runs no commands")
	}
	if _, err := tools.Select(s.selection()); err != nil {
		problems = append(problems, withNearestTools(err.Error(), s.tools))
	}
	// Entries hold a space ("PUT /access/acl"): the list is split at commas only.
	if allow := splitCommas(pick(f.apiAllow, envAPIAllow)); len(allow) > 0 {
		keys, err := tools.CheckAPIAllow(allow)
		if err != nil {
			problems = append(problems, err.Error())
		}
		s.apiAllow = keys
	}
	for name, flagVal := range map[string]string{envURL: f.url, envTokenID: f.tokenID, envCAFile: f.caFile,
		envFingerprint: f.fingerprint, envTimeout: f.timeout, envTLSInsecure: f.tlsInsecure} {
		pick(flagVal, name)
	}
	s.pveEnv = func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return getenv(k)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return s, nil
}

// consentFrom reads the consent settings; every problem is reported at once.
func consentFrom(env func(string) string, key string) (*gate.Consent, error) {
	cfg := gate.ConsentConfig{Mode: gate.ConsentMode(strings.ToLower(env(gate.EnvConsent))),
		Fallback: gate.ConsentFallback(strings.ToLower(env(gate.EnvConsentFallback))), MinAnswer: -1, Key: []byte(key)}
	var problems []string
	if v := env(gate.EnvConsentTimeout); v != "" {
		d, ok := seconds(v)
		if !ok || d < time.Second || d > 10*time.Minute {
			problems = append(problems, fmt.Sprintf("%s=%q is not a duration (120s) or seconds from 1s to 10m", gate.EnvConsentTimeout, v))
		}
		cfg.Timeout = d
	}
	if v := env(gate.EnvConsentMinSeconds); v != "" {
		d, ok := seconds(v)
		if !ok || d < 0 || d > time.Minute {
			problems = append(problems, fmt.Sprintf("%s=%q is not a number of seconds from 0 to 60", gate.EnvConsentMinSeconds, v))
		}
		cfg.MinAnswer = d
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return gate.NewConsent(cfg)
}

// seconds reads a duration written as Go does (1.5s, 2m) or as a number of seconds (1.5, 120).
func seconds(v string) (time.Duration, bool) {
	if d, err := time.ParseDuration(v); err == nil {
		return d, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1e6 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// splitCommas splits a comma separated list of entries that may hold spaces; nothing in it gives nil.
func splitCommas(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// splitList splits a comma or space separated list; nothing in it gives nil.
func splitList(v string) []string {
	var out []string
	return append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })...)
}

// selection is what the settings choose to expose.
func (s *settings) selection() tools.Selection {
	return tools.Selection{ReadOnly: s.readOnly, Toolsets: s.toolsets, Tools: s.tools}
}

// withNearestTools adds to Select's problem with a name that is no tool the nearest names, as call does.
func withNearestTools(msg string, picked []string) string {
	var names []string
	for _, d := range tools.All() {
		names = append(names, d.Name)
	}
	for _, n := range picked {
		notTool := fmt.Sprintf("%q, which is not a tool", n)
		if near := nearestNames(n, names, 3); len(near) > 0 && strings.Contains(msg, notTool) {
			msg = strings.Replace(msg, notTool, notTool+" (did you mean "+strings.Join(near, " or ")+"?)", 1)
		}
	}
	return msg
}
