package pve

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// DefaultTimeout bounds one HTTP request (not a task wait).
const DefaultTimeout = 30 * time.Second

// defaultPort is pveproxy's port, used when the address names a bare host.
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
		return nil, errors.New("must not contain user:password@: the API token authenticates, not a password in the URL")
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
