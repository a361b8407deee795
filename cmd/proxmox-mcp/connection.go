package main

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// Environment variables of the Proxmox connection. The first five match the existing Proxmox MCP servers, so a
// user's configuration carries over. They belong to the command: package pve takes a pve.Config and knows no
// environment.
const (
	envURL         = "PROXMOX_URL"
	envTokenID     = "PROXMOX_TOKEN_ID"
	envTokenSecret = "PROXMOX_TOKEN_SECRET"
	envTLSInsecure = "PROXMOX_TLS_INSECURE"
	envCAFile      = "PROXMOX_CA_FILE"
	envFingerprint = "PROXMOX_TLS_FINGERPRINT"
	envTimeout     = "PROXMOX_TIMEOUT"
)

// connectionFromEnv reads the Proxmox connection from the environment and reports every problem at once, as a
// *pve.ConfigError that never contains the secret.
func connectionFromEnv(getenv func(string) string) (pve.Config, error) {
	return connectionFrom(getenv, func(v string) string { return v })
}

// connectionFrom reads a connection from get, which answers for each of the variables above (a target of the
// targets file answers from its fields), and names each in a problem with name.
func connectionFrom(get func(string) string, name func(string) string) (pve.Config, error) {
	var cfg pve.Config
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if raw := strings.TrimSpace(get(envURL)); raw == "" {
		bad("%s is not set (e.g. https://pve.example.com:8006)", name(envURL))
	} else if u, err := pve.ParseBaseURL(raw); err != nil {
		if p, perr := url.Parse(raw); perr == nil && p.User != nil {
			bad("%s: %v; put the token in %s and %s", name(envURL), err, name(envTokenID), name(envTokenSecret))
		} else {
			bad("%s: %s", name(envURL), settingError(raw, err))
		}
	} else {
		cfg.BaseURL = u
	}

	switch id := strings.TrimSpace(get(envTokenID)); {
	case id == "":
		bad("%s is not set (e.g. root@pam!mcp)", name(envTokenID))
	case strings.Contains(id, "="):
		// Someone pasted the whole "id=secret" pair: do not echo it, the part after '=' is the secret.
		bad("%s must hold only user@realm!tokenid; put the secret in %s", name(envTokenID), name(envTokenSecret))
	case pve.ValidTokenID(id) != nil:
		bad("%s %s is not of the form user@realm!tokenid", name(envTokenID), showSetting(id))
	default:
		cfg.TokenID = id
	}

	switch secret := get(envTokenSecret); {
	case secret == "":
		bad("%s is not set", name(envTokenSecret))
	case strings.TrimSpace(secret) != secret || strings.ContainsFunc(secret, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		bad("%s contains whitespace or control characters (value not shown)", name(envTokenSecret))
	case !secretShape.MatchString(secret):
		// A secret of another shape is a mistake (a password, the token's id, a placeholder): refused before it is
		// sent, and before the redactor would scrub every occurrence of a short one from all output.
		bad("%s is not shaped like a Proxmox API token secret: `pveum user token add` prints a UUID, 36 characters "+
			"of lower-case hexadecimal in groups of 8-4-4-4-12 (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); this one is %s (not shown)",
			name(envTokenSecret), characters(utf8.RuneCountInString(secret)))
	default:
		cfg.Secret = redact.NewSecret(secret)
	}

	if v := get(envTLSInsecure); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("%s %s is not a boolean (true/1/yes or false/0/no)", name(envTLSInsecure), showSetting(v))
		}
		cfg.TLSInsecure = b
	}

	if v := strings.TrimSpace(get(envCAFile)); v != "" {
		if err := checkCAFile(v); err != nil {
			bad("%s: %s", name(envCAFile), settingError(v, err))
		}
		cfg.CAFile = v
	}

	if v := strings.TrimSpace(get(envFingerprint)); v != "" {
		fp, err := pve.ParseFingerprint(v)
		if err != nil {
			bad("%s: %s", name(envFingerprint), settingError(v, err))
		}
		cfg.Fingerprint = fp
	}
	if cfg.TLSInsecure && (cfg.Fingerprint != nil || cfg.CAFile != "") {
		bad("%s turns verification off, which contradicts %s/%s: unset %s", name(envTLSInsecure), name(envFingerprint), name(envCAFile), name(envTLSInsecure))
	}

	if v := strings.TrimSpace(get(envTimeout)); v != "" {
		d, err := parseTimeout(v)
		if err != nil {
			bad("%s: %s", name(envTimeout), settingError(v, err))
		}
		cfg.Timeout = d
	}

	if len(problems) > 0 {
		return pve.Config{}, &pve.ConfigError{Problems: problems}
	}
	return cfg, nil
}

// checkCAFile reads a CA bundle now, so that a wrong path or a file without a certificate is named with its
// variable at start-up rather than at the first request.
func checkCAFile(path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no PEM certificate", shortQuote(path))
	}
	return nil
}

// shortQuote quotes a value for a message, cut at 64 bytes: enough to recognise it, too little to flood a
// terminal with something pasted by mistake.
func shortQuote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// secretShape is the shape of a Proxmox API token secret: the UUID PVE generates, in lower case.
var secretShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// secretInside finds the shape of a Proxmox token secret (a UUID, in either case) anywhere in a value: a
// secret pasted into the wrong setting, which no message may repeat.
var secretInside = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// showSetting quotes a setting's value for a message (shortQuote), unless it holds something shaped like a
// token secret: then only its length.
func showSetting(v string) string {
	if secretInside.MatchString(v) {
		return fmt.Sprintf("(%d characters, not shown: shaped like a token secret)", utf8.RuneCountInString(v))
	}
	return shortQuote(v)
}

// settingError is what a check said of a setting's value; checks quote the value they refuse, so for a value
// that holds something shaped like a token secret only its length is said instead.
func settingError(v string, err error) string {
	if secretInside.MatchString(v) {
		return fmt.Sprintf("the value %s is not valid here", showSetting(v))
	}
	return err.Error()
}

// characters says how long a value is: "1 character", "36 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return strconv.Itoa(n) + " characters"
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off", "":
		return false, true
	}
	return false, false
}

// parseTimeout accepts a Go duration ("45s", "2m") or whole seconds ("45").
func parseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			return 0, fmt.Errorf("%s is not a duration (e.g. 30s) or a number of seconds", shortQuote(v))
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 || d > time.Hour {
		return 0, fmt.Errorf("%s is out of range: more than 0 and at most 1h", shortQuote(v))
	}
	return d, nil
}
