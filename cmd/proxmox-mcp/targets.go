package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// envTargets names the targets file: several clusters in one server. Without it the PROXMOX_* connection
// variables make one target named "default", exactly as before.
const envTargets = "PROXMOX_TARGETS"

// target is one cluster the server acts on, as the operator configured it.
type target struct {
	name string
	cfg  pve.Config
	// readOnly refuses every write to it; destructive lets destructive calls reach it (with the server's
	// PROXMOX_ENABLE_DESTRUCTIVE=1). The one target of the environment is not read-only and is destructive: only
	// the server's own switches apply to it.
	readOnly, destructive bool
}

// targetsConfig is every target and the one a call without a cluster argument goes to ("" for none).
type targetsConfig struct {
	targets       []target
	defaultTarget string
	// fromFile is set when a targets file named them: the tools then take the cluster argument.
	fromFile bool
}

// targetsFile is the TOML file PROXMOX_TARGETS names:
//
//	default_target = "home"
//
//	[[target]]
//	name = "home"
//	url = "https://pve.home.lan:8006"
//	token_id = "mcp@pve!mcp"
//	token_secret_env = "PVE_HOME_SECRET"
//	tls_fingerprint = "AA:BB:…"
type targetsFile struct {
	DefaultTarget string        `toml:"default_target"`
	Target        []targetEntry `toml:"target"`
}

type targetEntry struct {
	Name              string    `toml:"name"`
	URL               string    `toml:"url"`
	TokenID           string    `toml:"token_id"`
	TokenSecretEnv    string    `toml:"token_secret_env"`
	TokenSecretFile   string    `toml:"token_secret_file"`
	TLSFingerprint    string    `toml:"tls_fingerprint"`
	CAFile            string    `toml:"ca_file"`
	TLSInsecure       bool      `toml:"tls_insecure"`
	Timeout           tomlValue `toml:"timeout"`
	ReadOnly          bool      `toml:"read_only"`
	EnableDestructive bool      `toml:"enable_destructive"`
}

// targetsKeys are the keys a targets file may hold, for the nearest to a misspelt one.
func targetsKeys() []string {
	var keys []string
	for _, t := range []reflect.Type{reflect.TypeFor[targetsFile](), reflect.TypeFor[targetEntry]()} {
		for i := range t.NumField() {
			keys = append(keys, t.Field(i).Tag.Get("toml"))
		}
	}
	return keys
}

// tomlValue is a value that may be written as a string ("45s") or a number (45).
type tomlValue struct{ s string }

// UnmarshalTOML implements toml.Unmarshaler.
func (v *tomlValue) UnmarshalTOML(x any) error {
	switch x := x.(type) {
	case string:
		v.s = x
	case int64:
		v.s = strconv.FormatInt(x, 10)
	default:
		return fmt.Errorf("timeout must be a duration such as \"30s\" or a number of seconds, not %T", x)
	}
	return nil
}

// envName is what an environment variable's name may be (POSIX: letters, digits and _, no leading digit).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// targetName is what a target may be called: the model types it in the cluster argument.
var targetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// maxTargetsFile bounds the file: it holds a few lines per cluster.
const maxTargetsFile = 1 << 20

// loadTargets reads the targets: from the targets file when one is named, else the one cluster of the
// environment. Every problem is reported at once; none quotes a secret.
func loadTargets(s *settings) (targetsConfig, error) {
	if s.targetsFile == "" {
		cfg, err := connectionFromEnv(s.pveEnv)
		if err != nil {
			return targetsConfig{}, err
		}
		return targetsConfig{targets: []target{{name: tools.DefaultTarget, cfg: cfg, destructive: true}}}, nil
	}
	return readTargets(s.targetsFile, s.pveEnv)
}

// readTargets reads and checks a targets file. getenv answers for the secrets token_secret_env names and for
// PROXMOX_TIMEOUT, the default of a target without a timeout; the other connection variables belong to the
// environment's single cluster and contradict a targets file.
func readTargets(path string, getenv func(string) string) (targetsConfig, error) {
	fail := func(format string, a ...any) (targetsConfig, error) {
		return targetsConfig{}, &targetsFileError{ConfigError: &pve.ConfigError{Problems: []string{envTargets + ": " + fmt.Sprintf(format, a...)}},
			path: path, inFile: true}
	}
	unread := func(err error) (targetsConfig, error) {
		return targetsConfig{}, &targetsFileError{ConfigError: &pve.ConfigError{Problems: []string{envTargets + ": " + err.Error()}}, path: path, unread: true}
	}
	f, err := os.Open(path)
	if err != nil {
		return unread(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTargetsFile+1))
	if err != nil {
		return unread(err)
	}
	if len(data) > maxTargetsFile {
		return fail("%s is larger than %d bytes", shortQuote(path), maxTargetsFile)
	}
	var file targetsFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&file)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			// Its message quotes no more than the position; a value (a secret pasted in) stays out of it.
			return fail("%s is not valid TOML: line %d: %s", shortQuote(path), perr.Position.Line, perr.Message)
		}
		return fail("%s: %v", shortQuote(path), err)
	}
	var problems []string
	inFile := false // a problem is in the file, not only in the environment beside it
	bad := func(format string, a ...any) {
		problems = append(problems, envTargets+": "+fmt.Sprintf(format, a...))
		inFile = true
	}
	for _, k := range md.Undecoded() {
		// A misspelt read_only would silently widen what a cluster allows: every key must be known.
		msg := fmt.Sprintf("%s: unknown key %s", shortQuote(path), showSetting(k.String()))
		if near := nearestNames(k[len(k)-1], targetsKeys(), 1); len(near) > 0 {
			msg += "; did you mean " + near[0] + "?"
		}
		bad("%s", msg)
	}
	for _, name := range []string{envURL, envTokenID, envFingerprint, envCAFile, envTLSInsecure} {
		if strings.TrimSpace(getenv(name)) != "" {
			problems = append(problems, fmt.Sprintf("%s: %s is set, but a targets file names the clusters: give each target's setting in the file, and unset %s", envTargets, name, name))
		}
	}
	if len(file.Target) == 0 {
		bad("%s names no target: add a [[target]] table for each cluster", shortQuote(path))
	}
	out := targetsConfig{defaultTarget: file.DefaultTarget, fromFile: true}
	seen := map[string]bool{}
	var faulty []string // the targets with a problem
	for i, e := range file.Target {
		label := fmt.Sprintf("target %d", i+1)
		switch {
		case e.Name == "":
			bad("%s has no name", label)
		case !targetName.MatchString(e.Name):
			bad("%s: name %s: use letters, digits, '.', '_' and '-', at most 32, starting with a letter or digit", label, showSetting(e.Name))
		case seen[e.Name]:
			bad("%s: name %s is given twice", label, e.Name)
		default:
			label = "target " + e.Name
			seen[e.Name] = true
		}
		t, errs := e.target(label, getenv)
		problems = append(problems, errs...)
		if len(errs) > 0 || label != "target "+e.Name {
			faulty, inFile = append(faulty, label), true
		}
		out.targets = append(out.targets, t)
	}
	if d := file.DefaultTarget; d != "" && !seen[d] {
		bad("default_target %s is not the name of a target", showSetting(d))
	}
	if len(problems) > 0 {
		return targetsConfig{}, &targetsFileError{ConfigError: &pve.ConfigError{Problems: problems}, path: path, targets: faulty, inFile: inFile}
	}
	return out, nil
}

// targetsFileError is a targets file's problems, with where to fix them: the file and the targets they are in.
type targetsFileError struct {
	*pve.ConfigError
	path    string
	targets []string // the labels of the targets with a problem ("target lab", "target 2"), in file order
	// inFile is false when every problem is a connection variable set beside the file (the fix is to unset it)
	inFile bool
	// unread: the file could not be read at all
	unread bool
}

func (e *targetsFileError) Unwrap() error { return e.ConfigError }

// where says what to edit: "target lab in /etc/proxmox-mcp/targets.toml", or the file alone.
func (e *targetsFileError) where() string {
	if len(e.targets) == 0 {
		return e.path
	}
	list := e.targets[0]
	if n := len(e.targets); n > 1 {
		list = strings.Join(e.targets[:n-1], ", ") + " and " + e.targets[n-1]
	}
	return list + " in " + e.path
}

// target checks one entry: its fields answer for the connection variables, and problems name the fields.
func (e targetEntry) target(label string, getenv func(string) string) (target, []string) {
	var problems []string
	bad := func(format string, a ...any) {
		problems = append(problems, envTargets+": "+label+": "+fmt.Sprintf(format, a...))
	}
	secret := ""
	switch {
	case e.TokenSecretEnv != "" && e.TokenSecretFile != "":
		bad("give token_secret_env or token_secret_file, not both")
	case e.TokenSecretEnv != "" && !envName.MatchString(e.TokenSecretEnv):
		// Most likely the secret itself, pasted where its variable's name belongs: say so without repeating it.
		bad("token_secret_env must be an environment variable's name (letters, digits and _, not starting with a digit), "+
			"and its value is not one (%d characters, not shown); if it is the secret itself, put it in a variable and name that here, or use token_secret_file",
			utf8.RuneCountInString(e.TokenSecretEnv))
	case e.TokenSecretEnv != "":
		if secret = getenv(e.TokenSecretEnv); secret == "" {
			bad("token_secret_env names %s, which is not set", shortQuote(e.TokenSecretEnv))
		}
	case e.TokenSecretFile != "":
		s, err := readSecretFile(e.TokenSecretFile)
		if err != nil {
			bad("token_secret_file: %s", settingError(e.TokenSecretFile, err))
		}
		secret = s
	default:
		bad("no secret: give token_secret_env (an environment variable's name) or token_secret_file")
	}
	timeout := e.Timeout.s
	if timeout == "" {
		timeout = getenv(envTimeout)
	}
	fields := map[string]string{envURL: e.URL, envTokenID: e.TokenID, envTokenSecret: secret,
		envFingerprint: e.TLSFingerprint, envCAFile: e.CAFile, envTimeout: timeout}
	if e.TLSInsecure {
		fields[envTLSInsecure] = "1"
	}
	names := map[string]string{envURL: "url", envTokenID: "token_id", envTokenSecret: "the token secret",
		envFingerprint: "tls_fingerprint", envCAFile: "ca_file", envTimeout: "timeout", envTLSInsecure: "tls_insecure"}
	cfg, err := connectionFrom(func(k string) string { return fields[k] }, func(k string) string { return names[k] })
	if err != nil {
		var ce *pve.ConfigError
		if !errors.As(err, &ce) {
			bad("%v", err)
		}
		for _, p := range ce.Problems {
			if secret == "" && strings.HasPrefix(p, "the token secret is not set") {
				continue // said above, with where the secret should come from
			}
			bad("%s", p)
		}
	}
	return target{name: e.Name, cfg: cfg, readOnly: e.ReadOnly, destructive: e.EnableDestructive}, problems
}

// readSecretFile reads a token secret from a file only its owner can read: a secret that group or others can
// read is refused, as ssh refuses such a key. One trailing newline is allowed.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", shortQuote(path))
	}
	if perm := st.Mode().Perm(); perm&0o044 != 0 {
		return "", fmt.Errorf("%s can be read by its group or others (mode %04o): the token's secret must be readable by its owner only; chmod 600 it", shortQuote(path), perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return "", err
	}
	if len(b) > 4096 {
		return "", fmt.Errorf("%s is larger than a token secret (4 KiB)", shortQuote(path))
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}
