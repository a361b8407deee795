package pve

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// Environment variables read by ConfigFromEnv. The first five match the existing Proxmox MCP servers, so a
// user's configuration carries over.
const (
	EnvURL         = "PROXMOX_URL"
	EnvTokenID     = "PROXMOX_TOKEN_ID"
	EnvTokenSecret = "PROXMOX_TOKEN_SECRET"
	EnvTLSInsecure = "PROXMOX_TLS_INSECURE"
	EnvCAFile      = "PROXMOX_CA_FILE"
	EnvFingerprint = "PROXMOX_TLS_FINGERPRINT"
	EnvTimeout     = "PROXMOX_TIMEOUT"
)

// DefaultTimeout bounds one HTTP request (not a task wait).
const DefaultTimeout = 30 * time.Second

// defaultPort is pveproxy's port, used when PROXMOX_URL names a bare host.
const defaultPort = "8006"

// Config is what the client needs to reach one Proxmox VE cluster.
type Config struct {
	// BaseURL is the API root, always ending in /api2/json (no trailing slash).
	BaseURL *url.URL
	// TokenID is user@realm!tokenid. It is not secret: it appears in every task id.
	TokenID string
	Secret  redact.Secret
	// TLSInsecure turns certificate verification off. Prefer Fingerprint.
	TLSInsecure bool
	// CAFile is a PEM bundle to verify the server with instead of the system roots.
	CAFile string
	// Fingerprint pins the SHA-256 of the server's leaf certificate, the way Proxmox's own clients do,
	// instead of checking a CA and host name.
	Fingerprint []byte
	// Timeout bounds one request; DefaultTimeout when zero.
	Timeout time.Duration
}

// ConfigError lists every problem with a configuration at once. It never contains the secret.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "proxmox configuration: " + strings.Join(e.Problems, "; ")
}

// ConfigFromEnv reads the configuration from the environment (os.Getenv when getenv is nil).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var cfg Config
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if raw := strings.TrimSpace(getenv(EnvURL)); raw == "" {
		bad("%s is not set (e.g. https://pve.example.com:8006)", EnvURL)
	} else if u, err := ParseBaseURL(raw); err != nil {
		bad("%s: %v", EnvURL, err)
	} else {
		cfg.BaseURL = u
	}

	switch id := strings.TrimSpace(getenv(EnvTokenID)); {
	case id == "":
		bad("%s is not set (e.g. root@pam!mcp)", EnvTokenID)
	case strings.Contains(id, "="):
		// Someone pasted the whole "id=secret" pair: do not echo it, the part after '=' is the secret.
		bad("%s must hold only user@realm!tokenid; put the secret in %s", EnvTokenID, EnvTokenSecret)
	case ValidTokenID(id) != nil:
		bad("%s %s is not of the form user@realm!tokenid", EnvTokenID, quote(id))
	default:
		cfg.TokenID = id
	}

	switch secret := getenv(EnvTokenSecret); {
	case secret == "":
		bad("%s is not set", EnvTokenSecret)
	case strings.TrimSpace(secret) != secret || strings.ContainsFunc(secret, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		bad("%s contains whitespace or control characters (value not shown)", EnvTokenSecret)
	default:
		cfg.Secret = redact.NewSecret(secret)
	}

	if v := getenv(EnvTLSInsecure); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("%s %s is not a boolean (true/1/yes or false/0/no)", EnvTLSInsecure, quote(v))
		}
		cfg.TLSInsecure = b
	}

	if v := strings.TrimSpace(getenv(EnvCAFile)); v != "" {
		if _, err := os.Stat(v); err != nil {
			bad("%s: %v", EnvCAFile, err)
		}
		cfg.CAFile = v
	}

	if v := strings.TrimSpace(getenv(EnvFingerprint)); v != "" {
		fp, err := ParseFingerprint(v)
		if err != nil {
			bad("%s: %v", EnvFingerprint, err)
		}
		cfg.Fingerprint = fp
	}
	if cfg.TLSInsecure && (cfg.Fingerprint != nil || cfg.CAFile != "") {
		bad("%s turns verification off, which contradicts %s/%s: unset %s", EnvTLSInsecure, EnvFingerprint, EnvCAFile, EnvTLSInsecure)
	}

	if v := strings.TrimSpace(getenv(EnvTimeout)); v != "" {
		d, err := parseTimeout(v)
		if err != nil {
			bad("%s: %v", EnvTimeout, err)
		}
		cfg.Timeout = d
	}

	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// ParseBaseURL normalises a Proxmox address: with or without /api2/json, trailing slashes stripped, a bare
// host gets https:// and port 8006. Plain http is refused unless the host is loopback, because the token
// would cross the network in the clear.
func ParseBaseURL(raw string) (*url.URL, error) {
	bare := !strings.Contains(raw, "://")
	if bare {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %s", quote(raw))
	}
	if u.User != nil {
		return nil, errors.New("must not contain user:password@; the token goes in PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s must not have a query or fragment", quote(u.Redacted()))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s has no host", quote(u.Redacted()))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%s uses plain http to a non-loopback host: the API token would travel unencrypted; use https", quote(u.Redacted()))
		}
	default:
		return nil, fmt.Errorf("scheme %s is not supported: use https", quote(u.Scheme))
	}
	if bare && u.Port() == "" {
		// "pve.example.com" means pveproxy; "https://pve.example.com" keeps 443 (a reverse proxy, say).
		u.Host = net.JoinHostPort(u.Hostname(), defaultPort)
	}
	path := strings.TrimRight(u.Path, "/")
	path = strings.TrimSuffix(path, "/api2/json")
	path = strings.TrimRight(path, "/")
	u.Path = path + "/api2/json"
	u.RawPath = ""
	return u, nil
}

// ParseFingerprint reads a SHA-256 certificate fingerprint in the colon-hex form Proxmox shows
// (AA:BB:…, 32 bytes), case-insensitive; colons are optional.
func ParseFingerprint(s string) ([]byte, error) {
	h := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%s is not a SHA-256 fingerprint (32 hex bytes, colon-separated, as `pvenode cert info` shows)", quote(s))
	}
	return b, nil
}

// FormatFingerprint writes a fingerprint the way Proxmox shows it.
func FormatFingerprint(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
			return 0, fmt.Errorf("%s is not a duration (e.g. 30s) or a number of seconds", quote(v))
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 || d > time.Hour {
		return 0, fmt.Errorf("%s is out of range: more than 0 and at most 1h", quote(v))
	}
	return d, nil
}
