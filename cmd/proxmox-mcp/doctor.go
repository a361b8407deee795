package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// doctor checks the set-up end to end and says what to fix. Each check prints one line, OK or FAIL or WARN
// with the fix; the exit status is 1 when any check fails.
type doctor struct {
	w      io.Writer
	failed bool
}

func (d *doctor) ok(format string, a ...any)   { fmt.Fprintf(d.w, "OK    "+format+"\n", a...) }
func (d *doctor) warn(format string, a ...any) { fmt.Fprintf(d.w, "WARN  "+format+"\n", a...) }
func (d *doctor) fail(format string, a ...any) {
	d.failed = true
	fmt.Fprintf(d.w, "FAIL  "+format+"\n", a...)
}
func (d *doctor) say(format string, a ...any) { fmt.Fprintf(d.w, "      "+format+"\n", a...) }

func runDoctor(ctx context.Context, s *settings, stdout io.Writer) error {
	d := &doctor{w: stdout}
	var cfg pve.Config
	if s.demo {
		dm, err := startDemo()
		if err != nil {
			return err
		}
		defer dm.Close()
		cfg = dm.config
		d.ok("demo mode: the built-in simulated cluster at %s", cfg.BaseURL)
	} else {
		c, err := connectionFromEnv(s.pveEnv)
		if err != nil {
			var ce *pve.ConfigError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					d.fail("configuration: %s", p)
				}
			} else {
				d.fail("configuration: %v", err)
			}
			d.say("set the variables above (proxmox-mcp --help lists them) and run doctor again")
			return exitError(1)
		}
		cfg = c
		d.ok("configuration: %s as %s", cfg.BaseURL, cfg.TokenID)
	}

	if !d.checkTLS(ctx, cfg) {
		return exitError(1)
	}
	client, err := pve.New(cfg, pve.WithRetries(0, 0))
	if err != nil {
		d.fail("client: %v", err)
		return exitError(1)
	}
	defer client.Close()
	v, err := client.Version(ctx)
	switch {
	case errors.Is(err, pve.ErrAuth):
		d.fail("token: Proxmox rejected %s (%v)", cfg.TokenID, err)
		d.say("check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET; in the GUI: Datacenter > Permissions > API Tokens")
		return exitError(1)
	case err != nil:
		d.fail("Proxmox API: %v", err)
		return exitError(1)
	}
	d.ok("token accepted; Proxmox VE %s", v.Version)

	perms, err := client.Permissions(ctx, "")
	if err != nil {
		d.fail("read the token's permissions (/access/permissions): %v", err)
		return exitError(1)
	}
	d.checkPrivileges(s, perms)
	d.printRole(s, cfg.TokenID)
	if d.failed {
		return exitError(1)
	}
	return nil
}

// checkTLS connects, shows the certificate's fingerprint, and says whether the configured verification accepts
// it. It returns false when the API cannot be reached securely as configured.
func (d *doctor) checkTLS(ctx context.Context, cfg pve.Config) bool {
	if cfg.BaseURL.Scheme == "http" {
		d.warn("plain http to %s: fine on loopback only", cfg.BaseURL.Host)
		return true
	}
	host := cfg.BaseURL.Host
	if cfg.BaseURL.Port() == "" {
		host = net.JoinHostPort(cfg.BaseURL.Hostname(), "443")
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // we only read the certificate here
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := dialer.DialContext(cctx, "tcp", host)
	if err != nil {
		d.fail("connect to %s: %v", host, err)
		d.say("is PROXMOX_URL right, and is pveproxy (port 8006) reachable from here?")
		return false
	}
	defer conn.Close()
	state := conn.(*tls.Conn).ConnectionState()
	if len(state.PeerCertificates) == 0 {
		d.fail("TLS: %s presented no certificate", host)
		return false
	}
	leaf := state.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := pve.FormatFingerprint(sum[:])
	d.ok("reached %s over %s; certificate %q, SHA-256 fingerprint:", host, tls.VersionName(state.Version), leaf.Subject.CommonName)
	d.say("%s", fp)
	switch {
	case cfg.Fingerprint != nil:
		if !slices.Equal(cfg.Fingerprint, sum[:]) {
			d.fail("TLS: PROXMOX_TLS_FINGERPRINT does not match the certificate above")
			d.say("if the certificate was renewed on purpose, set PROXMOX_TLS_FINGERPRINT=%s", fp)
			return false
		}
		d.ok("TLS: pinned fingerprint matches")
	case cfg.TLSInsecure:
		d.warn("TLS: verification is OFF (PROXMOX_TLS_INSECURE); pin the certificate instead:")
		d.say("PROXMOX_TLS_FINGERPRINT=%s  (and unset PROXMOX_TLS_INSECURE)", fp)
	default:
		roots, err := rootsFor(cfg)
		if err != nil {
			d.fail("TLS: %v", err)
			return false
		}
		inter := x509.NewCertPool()
		for _, c := range state.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cfg.BaseURL.Hostname()}); err != nil {
			d.fail("TLS: the certificate is not trusted: %v", err)
			d.say("Proxmox signs with its own cluster CA by default; pin this certificate: PROXMOX_TLS_FINGERPRINT=%s", fp)
			return false
		}
		d.ok("TLS: certificate verified against %s", map[bool]string{true: "PROXMOX_CA_FILE", false: "the system roots"}[cfg.CAFile != ""])
	}
	return true
}

func rootsFor(cfg pve.Config) (*x509.CertPool, error) {
	if cfg.CAFile == "" {
		return nil, nil // system roots
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", cfg.CAFile)
	}
	return pool, nil
}

// held is the set of privileges the token holds on any path.
func held(perms pve.Permissions) map[string]bool {
	h := map[string]bool{}
	for _, privs := range perms {
		for p := range privs {
			h[p] = true
		}
	}
	return h
}

// has reports whether a requirement ("A" or "A|B") is met.
func has(h map[string]bool, req string) bool {
	for _, alt := range strings.Split(req, "|") {
		if h[alt] {
			return true
		}
	}
	return false
}

// checkPrivileges says which enabled tools will fail for lack of a privilege, and which privileges the token
// holds beyond what the enabled tiers need.
func (d *doctor) checkPrivileges(s *settings, perms pve.Permissions) {
	h := held(perms)
	defs, err := tools.Select(s.readOnly, s.tools)
	if err != nil {
		d.fail("tools: %v", err)
		return
	}
	needed := map[string]bool{}
	missing := map[string][]string{}
	for _, def := range defs {
		if def.Tier == gate.Destructive && !s.destructive {
			continue
		}
		for _, req := range tools.Privileges[def.Name] {
			for _, alt := range strings.Split(req, "|") {
				needed[alt] = true
			}
			if !has(h, req) {
				missing[def.Name] = append(missing[def.Name], req)
			}
		}
	}
	if len(missing) == 0 {
		d.ok("privileges: the token holds every privilege the enabled tools need")
	} else {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		d.fail("privileges: %d tools will fail with 403:", len(names))
		for _, n := range names {
			d.say("%s needs %s", n, strings.Join(missing[n], ", "))
		}
	}
	var extra []string
	for p := range h {
		if !needed[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		d.warn("privileges: the token holds %d more than the enabled tiers need: %s", len(extra), strings.Join(extra, ", "))
		d.say("a token that can do less is a smaller risk: see the role below")
	}
	if len(h) > 0 && len(perms) > 1 {
		d.say("(privileges are granted on %d ACL paths; doctor counts one held anywhere as held)", len(perms))
	}
}

// printRole prints the pveum commands for a least-privilege role and token matching the enabled tiers.
func (d *doctor) printRole(s *settings, tokenID string) {
	defs, err := tools.Select(s.readOnly, s.tools)
	if err != nil {
		return
	}
	set := map[string]bool{"Pool.Audit": true}
	for _, def := range defs {
		if def.Tier == gate.Destructive && !s.destructive {
			continue
		}
		for _, req := range tools.Privileges[def.Name] {
			set[strings.Split(req, "|")[0]] = true
		}
	}
	privs := make([]string, 0, len(set))
	for p := range set {
		privs = append(privs, p)
	}
	sort.Strings(privs)
	role := "MCPOperator"
	switch {
	case s.readOnly:
		role = "MCPReadOnly"
	case s.destructive:
		role = "MCPAdmin"
	}
	user, tok, _ := strings.Cut(tokenID, "!")
	if user == "" || tok == "" || strings.HasPrefix(user, "root@") {
		user, tok = "mcp@pve", "mcp"
	}
	fmt.Fprintf(d.w, "\nLeast-privilege role and token for the enabled tiers (run on a Proxmox node as root):\n")
	fmt.Fprintf(d.w, "  pveum role add %s -privs %q\n", role, strings.Join(privs, ","))
	fmt.Fprintf(d.w, "  pveum user add %s\n", user)
	fmt.Fprintf(d.w, "  pveum acl modify / -user %s -role %s\n", user, role)
	fmt.Fprintf(d.w, "  pveum user token add %s %s --privsep 1\n", user, tok)
	fmt.Fprintf(d.w, "  pveum acl modify / -token '%s!%s' -role %s\n", user, tok, role)
	fmt.Fprintf(d.w, "The last two print the secret once: put it in PROXMOX_TOKEN_SECRET. Narrow / to /vms/ID or /pool/NAME to\nlimit the token to some guests.\n")
}
