package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// app is one built server and what it holds open.
type app struct {
	srv      *server.MCPServer
	client   *pve.Client
	config   pve.Config
	log      zerolog.Logger
	redactor *redact.Redactor
	policy   *gate.Policy
	closers  []func()
}

func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// newLogger writes JSON lines to stderr through the redactor: stdout belongs to the protocol. For `call`
// (s.humanLogs) it writes one readable line per event instead. flush writes out what the redactor holds back.
func newLogger(s *settings, r *redact.Redactor, stderr io.Writer) (log zerolog.Logger, flush func()) {
	level := zerolog.InfoLevel
	if s.logLevel != "" {
		if l, err := zerolog.ParseLevel(s.logLevel); err == nil {
			level = l
		}
	}
	if s.humanLogs {
		return zerolog.New(&humanLog{r: r, w: stderr}).Level(level), func() {}
	}
	w := r.Writer(stderr)
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), func() { _ = w.Flush() }
}

// build makes the MCP server for s: against the built-in simulated cluster in demo mode, else against the
// cluster the environment names.
func build(ctx context.Context, s *settings, stderr io.Writer) (*app, error) {
	// The HTTP bearer token and the state key are secrets as much as Proxmox's; the client registers its own.
	r := redact.New(s.httpToken, s.stateKey)
	a := &app{redactor: r}
	log, flush := newLogger(s, r, stderr)
	a.log = log
	a.closers = append(a.closers, flush)

	var cfg pve.Config
	if s.demo {
		d, err := startDemo()
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, d.Close)
		cfg = d.config
	} else {
		c, err := connectionFromEnv(s.pveEnv)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	client, err := pve.New(cfg, pve.WithRedactor(r), pve.WithUserAgent("proxmox-mcp/"+version), pve.WithObserver(func(e pve.Event) {
		ev := log.Debug()
		if e.Err != nil {
			ev = log.Debug().Str("error", r.String(e.Err.Error())) // scrubbed before JSON escaping, see gate.Auditor
		}
		ev.Str("method", e.Method).Str("path", e.Path).Int("status", e.Status).Int("attempt", e.Attempt).Dur("took", e.Duration).Msg("proxmox request")
	}))
	if err != nil {
		return nil, err
	}
	a.client, a.config = client, cfg
	a.closers = append(a.closers, client.Close)

	var auditFile io.Writer
	if s.auditLog != "" {
		f, err := os.OpenFile(s.auditLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open audit log: %w", err)
		}
		aw := r.Writer(f)
		auditFile = aw
		a.closers = append(a.closers, func() { _ = aw.Close(); _ = f.Close() })
	}
	policy := gate.NewPolicy(s.destructive, gate.NewAuditor(log.With().Str("kind", "audit").Logger(), auditFile, r.String),
		gate.WithAPIAllow(s.apiAllow), gate.WithExec(s.exec))
	srv, err := tools.NewServer(tools.Options{
		Client: client, Policy: policy, Redactor: r, Log: log, Version: version,
		ReadOnly: s.readOnly, Only: s.tools, DefaultWait: s.wait, Consent: s.consent,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.srv, a.policy = srv, policy
	return a, nil
}

// announce logs, without delaying the protocol, the Proxmox version reached and the enabled tiers.
func (a *app) announce(ctx context.Context, s *settings) {
	tiers := "read, write"
	switch {
	case s.readOnly:
		tiers = "read"
	case s.destructive:
		tiers = "read, write, destructive"
	}
	if s.exec.Enabled && !s.readOnly {
		tiers += ", exec"
	}
	a.log.Info().Str("tiers", tiers).Str("consent", string(s.consent.Mode())).Str("consent_fallback", string(s.consent.Fallback())).
		Str("proxmox", a.config.BaseURL.String()).Str("token", a.config.TokenID).Bool("demo", s.demo).
		Msg("proxmox-mcp " + version + " starting")
	a.log.Info().Msg(s.consent.Describe())
	if a.config.TLSInsecure {
		a.log.Warn().Msg("TLS verification is OFF (PROXMOX_TLS_INSECURE): anyone on the path can read the token; pin the certificate with PROXMOX_TLS_FINGERPRINT instead (proxmox-mcp doctor prints it)")
	}
	// Close cancels the check first: a server that stops at once (stdin closed, Ctrl-C) has not found Proxmox
	// unreachable.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	a.closers = append(a.closers, cancel)
	go func() {
		defer cancel()
		v, err := a.client.Version(ctx)
		if errors.Is(ctx.Err(), context.Canceled) {
			return
		}
		if err != nil {
			a.log.Warn().Str("error", a.redactor.String(err.Error())).Msg("Proxmox not reached (tools will report the same); run proxmox-mcp doctor")
			return
		}
		a.log.Info().Str("version", v.Version).Str("release", v.Release).Msg("Proxmox reached")
	}()
}
