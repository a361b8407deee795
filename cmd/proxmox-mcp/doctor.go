package main

import (
	"bytes"
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
	"syscall"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// doctorTimeout bounds each network step of doctor when PROXMOX_TIMEOUT is not set: doctor is run by a person
// waiting for an answer, so it does not wait the client's 30 s default.
const doctorTimeout = 10 * time.Second

// doctor checks the set-up end to end and says what to fix. Each check prints one line, OK or FAIL or WARN
// with the fix; the exit status is 1 when any check fails. A line already printed is not printed again, so a
// piece of advice that several checks lead to appears once.
type doctor struct {
	w      io.Writer
	r      *redact.Redactor
	failed bool
	seen   map[string]bool
	// name is how advice names a connection setting: its variable, or with a targets file its field there.
	name func(env string) string
}

func (d *doctor) line(prefix, format string, a ...any) {
	text := fmt.Sprintf(format, a...)
	if d.seen[text] {
		return
	}
	d.seen[text] = true
	fmt.Fprintf(d.w, "%s%s\n", prefix, text)
}

func (d *doctor) ok(format string, a ...any)   { d.line("OK    ", format, a...) }
func (d *doctor) warn(format string, a ...any) { d.line("WARN  ", format, a...) }
func (d *doctor) fail(format string, a ...any) {
	d.failed = true
	d.line("FAIL  ", format, a...)
}
func (d *doctor) say(format string, a ...any) { d.line("      ", format, a...) }

// show is how any text from the cluster or the network (a version, a privilege name, a certificate's name, an
// error) reaches the terminal: redacted, cleaned of control and escape sequences, on one line, capped.
func (d *doctor) show(s string) string { return terminalLine(d.r, s, 300) }

func (d *doctor) showErr(err error) string { return d.show(err.Error()) }

func runDoctor(ctx context.Context, s *settings, stdout io.Writer) error {
	d := &doctor{w: stdout, r: redact.New(), seen: map[string]bool{}, name: func(v string) string { return v }}
	var tc targetsConfig
	if s.demo {
		c, stop, err := demoTargets(s)
		if err != nil {
			return err
		}
		defer stop()
		tc = c
		if len(tc.targets) == 1 {
			d.ok("demo mode: the built-in simulated cluster at %s", tc.targets[0].cfg.BaseURL)
		} else {
			names := make([]string, len(tc.targets))
			for i, t := range tc.targets {
				names[i] = t.name
			}
			d.ok("demo mode: %d simulated clusters, %s; %s is the default target", len(names), strings.Join(names, ", "), names[0])
		}
		if note := demoIgnoresTargets(s); note != "" {
			d.warn("%s", note)
		}
	} else {
		c, err := loadTargets(s)
		if err != nil {
			var ce *pve.ConfigError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					d.fail("configuration: %s", d.show(p))
				}
			} else {
				d.fail("configuration: %s", d.showErr(err))
			}
			var fe *targetsFileError
			switch {
			case errors.As(err, &fe) && fe.unread:
				d.say("check that %s names the targets file, and that it can be read, and run doctor again", envTargets)
			case fe != nil && fe.inFile:
				d.say("fix %s (the file %s names) and run doctor again", d.show(fe.where()), envTargets)
			case fe != nil:
				d.say("unset the variables above (a targets file names the clusters) and run doctor again")
			default:
				d.say("set the variables above (proxmox-mcp --help lists them) and run doctor again")
			}
			return exitError(1)
		}
		tc = c
		if !tc.fromFile {
			d.ok("configuration: %s as %s", tc.targets[0].cfg.BaseURL, tc.targets[0].cfg.TokenID)
		}
	}
	for _, t := range tc.targets {
		d.r.Add(t.cfg.Secret.Reveal())
	}
	d.checkConsent(s)
	d.checkExec(s)
	d.checkAPI(s)
	if !tc.fromFile {
		held, _ := d.checkTarget(ctx, s, tc.targets[0])
		if held != nil {
			d.checkHidden(s, tc.targets, []map[string]bool{held})
			d.printRole(s, tc.targets[0], nil)
		}
		if d.failed {
			return exitError(1)
		}
		return nil
	}
	// One section per cluster, each complete (its advice is not held back because another cluster's said
	// the same), then a line per cluster with its result.
	var results []string
	var held []map[string]bool
	allRead := true
	for _, t := range tc.targets {
		fmt.Fprintf(d.w, "\n== cluster %s: %s as %s%s\n", t.name, t.cfg.BaseURL, t.cfg.TokenID, targetFlags(t, s.destructive))
		d.seen = map[string]bool{}
		d.name = targetField // the section names the cluster
		wasFailed := d.failed
		d.failed = false
		h, result := d.checkTarget(ctx, s, t)
		if h == nil {
			allRead = false
		}
		held = append(held, h)
		verdict := "OK    "
		if d.failed {
			verdict = "FAIL  "
		}
		results = append(results, verdict+t.name+": "+result)
		d.failed = d.failed || wasFailed
	}
	d.seen, d.name = map[string]bool{}, func(v string) string { return v }
	from, defaultFrom := d.show(s.targetsFile), "default_target"
	if s.demo {
		from, defaultFrom = "simulated", "the first named in --demo"
	}
	fmt.Fprintf(d.w, "\nClusters (%s):\n", from)
	for _, r := range results {
		fmt.Fprintln(d.w, r)
	}
	if def := tc.defaultTarget; def != "" {
		fmt.Fprintf(d.w, "      calls that name no cluster go to %s (%s)\n", def, defaultFrom)
	}
	if allRead {
		d.checkHidden(s, tc.targets, held)
	} else if s.hideUnpermitted {
		d.say("a cluster's permissions could not be read: the server keeps every tool (and warns)")
	}
	d.printRoles(s, tc.targets)
	if d.failed {
		return exitError(1)
	}
	return nil
}

// targetFlags says what a target's settings narrow; enable_destructive acts only with the server's switch on,
// which the operator reading it may believe it stands for.
func targetFlags(t target, serverDestructive bool) string {
	var f []string
	if t.readOnly {
		f = append(f, "read_only")
	}
	switch {
	case t.destructive && !serverDestructive:
		f = append(f, "enable_destructive, without effect until the server has "+envDestructive+"=1")
	case t.destructive:
		f = append(f, "enable_destructive")
	}
	if len(f) == 0 {
		return ""
	}
	return " (" + strings.Join(f, ", ") + ")"
}

// targetField is the targets file's name for a connection variable, in doctor's advice.
func targetField(env string) string {
	switch env {
	case envURL:
		return "url"
	case envTokenID:
		return "token_id"
	case envTokenSecret:
		return "the secret (token_secret_env or token_secret_file)"
	case envFingerprint:
		return "tls_fingerprint"
	case envCAFile:
		return "ca_file"
	case envTLSInsecure:
		return "tls_insecure"
	case envTimeout:
		return "timeout"
	}
	return env
}

// checkTarget checks one cluster end to end: connection, TLS, token, privileges. It returns every privilege
// the token holds on some path (nil when they could not be read) and a one-line result.
func (d *doctor) checkTarget(ctx context.Context, s *settings, t target) (map[string]bool, string) {
	cfg := t.cfg
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = doctorTimeout
	}
	cfg.Timeout = timeout

	if !d.checkConnection(ctx, cfg, timeout) {
		return nil, "not reached"
	}
	client, err := pve.New(cfg, pve.WithRetries(0, 0), pve.WithRedactor(d.r), pve.WithUserAgent("proxmox-mcp-doctor/"+version))
	if err != nil {
		d.fail("client: %s", d.showErr(err))
		return nil, "no client"
	}
	defer client.Close()
	v, err := client.Version(ctx)
	switch {
	case errors.Is(err, pve.ErrAuth):
		d.fail("token: Proxmox rejected %s (%s)", cfg.TokenID, d.showErr(err))
		d.say("check %s and %s; in the GUI: Datacenter > Permissions > API Tokens", d.name(envTokenID), d.name(envTokenSecret))
		return nil, "token rejected"
	case errors.Is(err, pve.ErrTimeout):
		d.fail("Proxmox API: no answer to GET /version within %v (%s)", timeout, d.showErr(err))
		d.say("the server accepted the connection but did not answer: is it overloaded? %s sets how long to wait", d.name(envTimeout))
		return nil, "no answer"
	case err != nil:
		d.fail("Proxmox API: %s", d.showErr(err))
		return nil, "API error"
	}
	d.ok("token accepted; Proxmox VE %s", d.show(v.Version))

	perms, err := client.Permissions(ctx, "")
	if err != nil {
		d.fail("read the token's permissions (/access/permissions): %s", d.showErr(err))
		return nil, "permissions not read"
	}
	failing := d.checkPrivileges(s, t, perms)
	result := "Proxmox VE " + d.show(v.Version) + ", every privilege the enabled tools need"
	if failing > 0 {
		result = fmt.Sprintf("Proxmox VE %s, %d tools lack a privilege", d.show(v.Version), failing)
	}
	return tools.Held(perms), result
}

// checkHidden says which tools the server would leave out at start because no cluster's token can run them.
func (d *doctor) checkHidden(s *settings, targets []target, held []map[string]bool) {
	if !s.hideUnpermitted {
		return
	}
	defs, err := tools.Select(s.selection())
	if err != nil {
		return
	}
	hidden := tools.Unpermitted(defs, held)
	if len(hidden) == 0 {
		return
	}
	why := "the token cannot run them"
	if len(targets) > 1 {
		why = "no cluster's token can run them"
	}
	d.warn("tools: the server leaves out %d tools, as %s (%s=0 keeps them): %s", len(hidden), why, envHide, strings.Join(tools.HiddenNames(hidden), ", "))
}

// checkConsent says which consent mode is on: who approves what, and what happens when nobody can be asked.
func (d *doctor) checkConsent(s *settings) {
	if s.consent == nil {
		return
	}
	if s.consent.Mode() == gate.ConsentOff && s.destructive && !s.readOnly {
		d.warn("consent: %s", s.consent.Describe())
		d.say("destructive calls rest on the model's own confirmations; %s=destructive asks a person through the client", gate.EnvConsent)
		return
	}
	d.ok("consent: %s", s.consent.Describe())
}

// checkConnection opens a TCP connection and then a TLS handshake, each bounded by timeout, so that nothing
// listening, a dropped packet, a port that accepts but never speaks TLS, and a port that speaks plain HTTP
// each get their own message. Over TLS it shows the certificate's fingerprint and says whether the
// configured verification accepts it. It returns false when the API cannot be reached as configured.
func (d *doctor) checkConnection(ctx context.Context, cfg pve.Config, timeout time.Duration) bool {
	host := cfg.BaseURL.Host
	if cfg.BaseURL.Port() == "" {
		port := "443"
		if cfg.BaseURL.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(cfg.BaseURL.Hostname(), port)
	}
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", host)
	if err != nil {
		d.dialFailed(cfg, host, err, timeout)
		return false
	}
	defer conn.Close()
	// Only the certificate is read here; whether it is trusted is decided below, as the client would.
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, ServerName: cfg.BaseURL.Hostname()}) //nolint:gosec
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	herr := tc.HandshakeContext(hctx)

	if cfg.BaseURL.Scheme == "http" {
		if herr == nil {
			d.fail("%s speaks TLS, but %s says http://", host, d.name(envURL))
			d.say("use %s=https://%s (Proxmox's API is https, port 8006)", d.name(envURL), host)
			return false
		}
		d.warn("plain http to %s: fine on loopback only", host)
		return true
	}
	if herr != nil {
		d.handshakeFailed(host, herr, timeout)
		return false
	}
	state := tc.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		d.fail("TLS: %s presented no certificate", host)
		return false
	}
	leaf := state.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := pve.FormatFingerprint(sum[:])
	subject := ""
	if cn := d.show(leaf.Subject.CommonName); cn != "" {
		subject = fmt.Sprintf(" for %q", cn)
	}
	d.ok("reached %s over %s; certificate%s, SHA-256 fingerprint:", host, tls.VersionName(state.Version), subject)
	d.say("%s", fp)
	switch {
	case cfg.Fingerprint != nil:
		if !slices.Equal(cfg.Fingerprint, sum[:]) {
			d.fail("TLS: %s does not match the certificate above", d.name(envFingerprint))
			d.say("if the certificate was renewed on purpose, set %s=%s", d.name(envFingerprint), fp)
			return false
		}
		d.ok("TLS: pinned fingerprint matches")
	case cfg.TLSInsecure:
		d.warn("TLS: verification is OFF (%s); pin the certificate instead:", d.name(envTLSInsecure))
		d.say("%s=%s  (and unset %s)", d.name(envFingerprint), fp, d.name(envTLSInsecure))
	default:
		roots, err := rootsFor(cfg)
		if err != nil {
			d.fail("TLS: %s: %s", d.name(envCAFile), d.showErr(err))
			return false
		}
		inter := x509.NewCertPool()
		for _, c := range state.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cfg.BaseURL.Hostname()}); err != nil {
			d.fail("TLS: the certificate is not trusted: %s", d.showErr(err))
			d.say("Proxmox signs with its own cluster CA by default; pin this certificate: %s=%s", d.name(envFingerprint), fp)
			return false
		}
		d.ok("TLS: certificate verified against %s", map[bool]string{true: d.name(envCAFile), false: "the system roots"}[cfg.CAFile != ""])
	}
	return true
}

// dialFailed explains a TCP connection that did not open.
func (d *doctor) dialFailed(cfg pve.Config, host string, err error, timeout time.Duration) {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		d.fail("nothing listens at %s: connection refused", host)
		d.say("is Proxmox running there, and is the port in %s right? pveproxy listens on 8006", d.name(envURL))
	case errors.As(err, &dnsErr):
		d.fail("cannot resolve %s: %s", cfg.BaseURL.Hostname(), d.showErr(err))
		d.say("check the host name in %s, or use the node's IP address", d.name(envURL))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		d.fail("no answer from %s within %v: the connection did not open", host, timeout)
		d.say("the address may be wrong, or a firewall drops the packets to that port; %s sets how long to wait", d.name(envTimeout))
	default:
		d.fail("connect to %s: %s", host, d.showErr(err))
		d.say("is %s right, and is pveproxy (port 8006) reachable from here?", d.name(envURL))
	}
}

// handshakeFailed explains a TCP connection that opened but did not become TLS.
func (d *doctor) handshakeFailed(host string, err error, timeout time.Duration) {
	var rh tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		d.fail("%s accepted the connection, but the TLS handshake did not finish within %v", host, timeout)
		d.say("something listens there that does not answer TLS, or answers very slowly: is this Proxmox's API port (8006)? %s sets how long to wait", d.name(envTimeout))
	case errors.As(err, &rh) && bytes.HasPrefix(rh.RecordHeader[:], []byte("HTTP/")):
		d.fail("%s speaks plain HTTP, not TLS", host)
		d.say("Proxmox's API is https on port 8006; plain http is accepted only to a proxy on loopback: %s=http://%s", d.name(envURL), host)
	case errors.As(err, &rh):
		d.fail("%s does not speak TLS: %s", host, d.showErr(err))
		d.say("is this Proxmox's API port (8006)?")
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		d.fail("%s closed the connection during the TLS handshake", host)
		d.say("is this Proxmox's API port (8006)? A proxy in front of it may refuse this client or TLS version")
	default:
		d.fail("TLS handshake with %s: %s", host, d.showErr(err))
	}
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
		return nil, fmt.Errorf("%s holds no PEM certificate", shortQuote(cfg.CAFile))
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

// rolePlan is what the enabled tiers need: the tools that are enabled, the privileges the printed role grants
// (tools.Role, the same list the README prints), and every privilege that counts as needed: the role's, and
// each alternative of an "A|B" requirement the role does not already meet, so that the surplus check never
// calls surplus what the role recommends, and a choice the role meets (the generic API tools' "any privilege")
// does not make every privilege look needed.
type rolePlan struct {
	defs   []tools.Def
	role   []string
	needed map[string]bool
}

// planRole plans the role of target t: a read_only target needs no write privilege, and destructive tools
// count only where both the server and the target enable them.
func planRole(s *settings, t target) (rolePlan, error) {
	defs, err := tools.Select(s.selection())
	if err != nil {
		return rolePlan{}, err
	}
	p := rolePlan{needed: map[string]bool{}}
	for _, def := range defs {
		if def.Tier == gate.Destructive && !(s.destructive && t.destructive) || def.Tier == gate.Exec && !s.exec.Enabled || def.Tier != gate.Read && t.readOnly {
			continue
		}
		p.defs = append(p.defs, def)
	}
	p.role = tools.Role(p.defs)
	for _, priv := range p.role {
		p.needed[priv] = true
	}
	for _, def := range p.defs {
		for _, req := range def.Privs {
			alts := strings.Split(req, "|")
			if slices.ContainsFunc(alts, func(a string) bool { return slices.Contains(p.role, a) }) {
				continue
			}
			for _, alt := range alts {
				p.needed[alt] = true
			}
		}
	}
	return p, nil
}

// checkPrivileges says which enabled tools will fail for lack of a privilege, one line per missing privilege
// with the tools that need it, and which privileges the token holds beyond what the enabled tiers need.
// Missing read privileges fail the check: every assistant needs the reads. Missing write privileges are a
// warning: those tools fail, the rest work.
func (d *doctor) checkPrivileges(s *settings, t target, perms pve.Permissions) (failing int) {
	h := held(perms)
	plan, err := planRole(s, t)
	if err != nil {
		d.fail("tools: %s", d.showErr(err))
		return 0
	}
	// lacking[read][privilege] = the tools of that tier that need it; fails[read] = how many tools fail
	lacking := map[bool]map[string][]string{true: {}, false: {}}
	failingBy := map[bool]int{}
	for _, def := range plan.defs {
		read := def.Tier == gate.Read
		fails := false
		for _, req := range def.Privs {
			if !has(h, req) {
				p := strings.ReplaceAll(req, "|", " or ")
				lacking[read][p] = append(lacking[read][p], def.Name)
				fails = true
			}
		}
		if fails {
			failingBy[read]++
		}
	}
	// A privilege some read tools and some write tools need is named once, with the reads, listing them all.
	for p, names := range lacking[false] {
		if reads, ok := lacking[true][p]; ok {
			lacking[true][p] = append(reads, names...)
			delete(lacking[false], p)
		}
	}
	if failingBy[true]+failingBy[false] == 0 {
		d.ok("privileges: the token holds every privilege the enabled tools need")
	}
	if failingBy[true] > 0 {
		d.fail("privileges: %d read tools will fail with 403; the token lacks:", failingBy[true])
		d.listLacking(lacking[true])
	}
	if failingBy[false] > 0 {
		d.warn("privileges: %d write tools will fail with 403 (the others work); the token lacks:", failingBy[false])
		d.listLacking(lacking[false])
		if !s.readOnly && !t.readOnly {
			d.say("grant them (see the role below), or leave write tools out with --read-only (%s=1)", envReadOnly)
		}
	}
	var extra []string
	for p := range h {
		if !plan.needed[p] {
			extra = append(extra, d.show(p))
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
	return failingBy[true] + failingBy[false]
}

// checkExec says what the exec tier will run, when it is on: nothing with an empty allowlist, anything with
// a program that runs others in it (a shell, an interpreter, ip netns exec, find -exec: see runners).
func (d *doctor) checkExec(s *settings) {
	if !s.exec.Enabled || s.readOnly {
		return
	}
	if len(s.exec.Allow) == 0 {
		d.warn("exec: %s=1 but %s allows no program: every proxmox_guest_exec call will be refused", envExec, envExecAllow)
		return
	}
	var wide []string
	for _, e := range s.exec.Allow {
		if runsOthers(e) || strings.HasSuffix(e, "/*") {
			wide = append(wide, e)
		}
	}
	if len(wide) > 0 {
		d.warn("exec: %s allows %s, which can run any command in the guest: allow only programs that run no other", envExecAllow, strings.Join(wide, ", "))
		return
	}
	d.ok("exec: proxmox_guest_exec may run %s", strings.Join(s.exec.Allow, ", "))
}

// checkAPI says, when the generic API tools are on, that the role below covers the typed tools only: each
// generic call needs its own operation's privilege, and an operator-only operation PROXMOX_API_ALLOW names
// needs one the role would otherwise call surplus.
func (d *doctor) checkAPI(s *settings) {
	defs, err := tools.Select(s.selection())
	if err != nil || !slices.ContainsFunc(defs, func(def tools.Def) bool { return def.PerOperation() }) {
		return
	}
	d.ok("api: each proxmox_api_get or proxmox_api_call needs its operation's own privilege (proxmox_api_describe names it), which the role below does not grant")
	for _, key := range s.apiAllow {
		method, path, _ := strings.Cut(key, " ")
		if op := schema.Lookup(method, path); op != nil {
			d.say("%s allows %s, which needs %s", envAPIAllow, key, op.Permission)
		}
	}
}

// listLacking prints one line per missing privilege, with the tools that need it.
func (d *doctor) listLacking(by map[string][]string) {
	privs := make([]string, 0, len(by))
	for p := range by {
		privs = append(privs, p)
	}
	sort.Strings(privs)
	for _, p := range privs {
		d.say("%s  needed by %s", p, strings.Join(by[p], ", "))
	}
}

// roleName is the role doctor proposes for what a target may do.
func roleName(s *settings, t target) string {
	switch {
	case s.readOnly || t.readOnly:
		return "MCPReadOnly"
	case s.destructive && t.destructive, s.exec.Enabled:
		return "MCPAdmin"
	}
	return "MCPOperator"
}

// printRole prints the pveum commands for a least-privilege role and token matching the enabled tiers; with
// names, for those clusters.
func (d *doctor) printRole(s *settings, t target, names []string) {
	plan, err := planRole(s, t)
	if err != nil {
		return
	}
	user, tok, _ := strings.Cut(t.cfg.TokenID, "!")
	if user == "" || tok == "" || strings.HasPrefix(user, "root@") {
		user, tok = "mcp@pve", "mcp"
	}
	heading := "Least-privilege role and token for the enabled tiers (run on a Proxmox node as root):"
	switch n := len(names); {
	case n == 1:
		heading = fmt.Sprintf("Least-privilege role and token for cluster %s (run on one of its Proxmox nodes as root):", names[0])
	case n > 1:
		heading = fmt.Sprintf("Least-privilege role and token for clusters %s and %s (run on a Proxmox node of each cluster as root):",
			strings.Join(names[:n-1], ", "), names[n-1])
	}
	fmt.Fprintf(d.w, "\n%s\n", heading)
	for _, c := range tools.SetupCommands(roleName(s, t), user, tok, plan.defs) {
		// whole, not capped as cluster text is: a command cut short would fail when pasted
		fmt.Fprintf(d.w, "  %s\n", terminalLine(d.r, c, 4000))
	}
	secret := envTokenSecret
	if len(names) > 0 {
		secret = "the target's token_secret_file or token_secret_env"
	}
	fmt.Fprintf(d.w, "`pveum user token add` prints the token's secret, once: put it in %s.\nNarrow / to /vms/ID or /pool/NAME to limit the token to some guests.\n", secret)
}

// printRoles prints one role for each kind of cluster (read-only, operator, admin) the targets file has.
func (d *doctor) printRoles(s *settings, targets []target) {
	var kinds []string
	byKind := map[string][]target{}
	for _, t := range targets {
		k := roleName(s, t)
		if byKind[k] == nil {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], t)
	}
	for _, k := range kinds {
		var names []string
		t := byKind[k][0]
		for _, o := range byKind[k] {
			names = append(names, o.name)
			if o.cfg.TokenID != t.cfg.TokenID {
				t.cfg.TokenID = "" // tokens of different names: the commands name a generic one
			}
		}
		d.printRole(s, t, names)
	}
}
