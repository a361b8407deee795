package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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
	targets  []builtTarget
	fromFile bool // the targets came from a targets file
	log      zerolog.Logger
	redactor *redact.Redactor
	policy   *gate.Policy
	closers  []func()
}

// builtTarget is a target with its own client: its own URL, token, TLS and guest index.
type builtTarget struct {
	target
	client *pve.Client
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

	tc := targetsConfig{}
	if s.demo {
		c, stop, err := demoTargets(s)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, stop)
		tc = c
		if note := demoIgnoresTargets(s); note != "" {
			log.Warn().Str("targets", s.targetsFile).Msg(note)
		}
	} else {
		c, err := loadTargets(s)
		if err != nil {
			a.Close()
			return nil, err
		}
		tc = c
	}
	a.fromFile = tc.fromFile
	for _, t := range tc.targets {
		client, err := newTargetClient(t, r, log, tc.fromFile)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.targets = append(a.targets, builtTarget{target: t, client: client})
		a.closers = append(a.closers, client.Close)
	}

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
	o := tools.Options{
		Policy: policy, Redactor: r, Log: log, Version: version,
		ReadOnly: s.readOnly, Toolsets: s.toolsets, Only: s.tools, DefaultWait: s.wait, Consent: s.consent,
		Hidden: a.hiddenTools(ctx, s),
	}
	if tc.fromFile {
		o.DefaultTarget = tc.defaultTarget
		for _, t := range a.targets {
			o.Targets = append(o.Targets, tools.Target{Name: t.name, Client: t.client, ReadOnly: t.readOnly, Destructive: t.destructive})
		}
	} else {
		o.Client = a.targets[0].client
	}
	srv, err := tools.NewServer(o)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.srv, a.policy = srv, policy
	return a, nil
}

// newTargetClient makes a target's client. Its secret is registered with the one redactor every output
// passes; with a targets file, its request log lines name the cluster.
func newTargetClient(t target, r *redact.Redactor, log zerolog.Logger, named bool) (*pve.Client, error) {
	if named {
		log = log.With().Str("cluster", t.name).Logger()
	}
	return pve.New(t.cfg, pve.WithRedactor(r), pve.WithUserAgent("proxmox-mcp/"+version), pve.WithObserver(func(e pve.Event) {
		ev := log.Debug()
		if e.Err != nil {
			ev = log.Debug().Str("error", r.String(e.Err.Error())) // scrubbed before JSON escaping, see gate.Auditor
		}
		ev.Str("method", e.Method).Str("path", e.Path).Int("status", e.Status).Int("attempt", e.Attempt).Dur("took", e.Duration).Msg("proxmox request")
	}))
}

// announce logs, without delaying the protocol, the clusters, the Proxmox version each answers with and the
// enabled tiers.
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
	start := a.log.Info().Str("tiers", tiers).Str("consent", string(s.consent.Mode())).Str("consent_fallback", string(s.consent.Fallback())).
		Bool("demo", s.demo)
	if a.fromFile {
		names := make([]string, len(a.targets))
		for i, t := range a.targets {
			names[i] = t.name
		}
		start = start.Strs("clusters", names)
	} else {
		start = start.Str("proxmox", a.targets[0].cfg.BaseURL.String()).Str("token", a.targets[0].cfg.TokenID)
	}
	start.Msg("proxmox-mcp " + version + " starting")
	a.log.Info().Msg(s.consent.Describe())
	// Close cancels the checks first: a server that stops at once (stdin closed, Ctrl-C) has not found Proxmox
	// unreachable.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	a.closers = append(a.closers, cancel)
	var wg sync.WaitGroup
	for _, t := range a.targets {
		log := a.log
		if a.fromFile {
			log = log.With().Str("cluster", t.name).Logger()
			log.Info().Str("proxmox", t.cfg.BaseURL.String()).Str("token", t.cfg.TokenID).Bool("read_only", t.readOnly).
				Bool("enable_destructive", t.destructive).Msg("cluster " + t.name)
		}
		if t.cfg.TLSInsecure {
			setting, pin := envTLSInsecure, envFingerprint
			if a.fromFile {
				setting, pin = "tls_insecure", "tls_fingerprint"
			}
			log.Warn().Msgf("TLS verification is OFF (%s): anyone on the path can read the token; pin the certificate with %s instead (proxmox-mcp doctor prints it)", setting, pin)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := t.client.Version(ctx)
			if errors.Is(ctx.Err(), context.Canceled) {
				return
			}
			if err != nil {
				log.Warn().Str("error", a.redactor.String(err.Error())).Msg("Proxmox not reached (tools will report the same); run proxmox-mcp doctor")
				return
			}
			log.Info().Str("version", v.Version).Str("release", v.Release).Msg("Proxmox reached")
		}()
	}
	go func() {
		wg.Wait()
		cancel()
	}()
}
