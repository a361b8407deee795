package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/mark3labs/mcp-go/server"

	"github.com/proxmox-mcp/proxmox-mcp/cmd/proxmox-mcp/internal/startheap"
)

// serve runs the MCP server over stdio, or over streamable HTTP with --http.
func serve(ctx context.Context, s *settings, stdin io.Reader, stdout, stderr io.Writer) error {
	if s.http != "" {
		if err := checkHTTPExposure(s); err != nil {
			return err
		}
	}
	a, err := build(ctx, s, stderr)
	startheap.Done()
	if err != nil {
		return err
	}
	defer a.Close()
	a.announce(ctx, s)
	if s.http != "" {
		return serveHTTP(ctx, a, s)
	}
	return serveStdio(ctx, a, stdin, stdout, stderr)
}

// serveStdio speaks MCP on stdin and stdout until stdin ends or ctx is done.
func serveStdio(ctx context.Context, a *app, stdin io.Reader, stdout, stderr io.Writer) error {
	std := server.NewStdioServer(a.srv)
	// mcp-go's default of 5 workers lets five confirmed writes, each waiting up to wait_seconds for its task,
	// hold up every other call on the session; idle workers cost a few KB each.
	for _, opt := range []server.StdioOption{server.WithWorkerPoolSize(32), server.WithQueueSize(1000)} {
		opt(std)
	}
	// mcp-go's own error log goes through the redactor like everything else on stderr.
	std.SetErrorLogger(log.New(a.redactor.Writer(stderr), "mcp: ", 0))
	// Every line to stdout passes the redactor too (the tools scrub their results; this also covers
	// notifications and mcp-go's messages). mcp-go and the batch filter each write whole lines, one Write a
	// line, so lineWriter keeps them apart.
	scrubbed := a.redactor.Writer(stdout)
	defer scrubbed.Flush()
	out := &lineWriter{w: scrubbed}
	err := std.Listen(ctx, newStdinFilter(stdin, out), out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// checkHTTPExposure refuses to serve a non-loopback address without a bearer token.
func checkHTTPExposure(s *settings) error {
	host, _, err := net.SplitHostPort(s.http)
	if err != nil {
		return fmt.Errorf("--http %q: want HOST:PORT, e.g. 127.0.0.1:8080: %v", s.http, err)
	}
	if s.httpToken == "" && !isLoopbackHost(host) {
		return fmt.Errorf("--http %s is not a loopback address and %s is not set: refusing to serve the cluster to the network without a bearer token", s.http, envHTTPToken)
	}
	if s.httpToken != "" && len(s.httpToken) < minHTTPToken { // settings refuse it already; this keeps serve safe alone
		return fmt.Errorf("%s is shorter than %d characters: use a long random token (e.g. openssl rand -hex 32)", envHTTPToken, minHTTPToken)
	}
	return nil
}

func serveHTTP(ctx context.Context, a *app, s *settings) error {
	ln, err := net.Listen("tcp", s.http)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.http, err)
	}
	d := newDrain()
	a.srv.Use(d.cancelOnStop) // innermost: after the tools' own middleware
	p := httpPolicy{
		token: s.httpToken, allowedHosts: s.allowedHosts, allowedOrigins: s.allowOrigins, listen: ln.Addr().String(),
		redactor: a.redactor, calls: d, log: a.log,
	}
	hs := newHTTPServer(newHTTPHandler(a.srv, p), p)
	a.log.Info().Str("addr", ln.Addr().String()).Bool("auth", s.httpToken != "").Msg("serving MCP over streamable HTTP at /mcp")
	if s.httpToken == "" {
		a.log.Warn().Msg("no " + envHTTPToken + ": any process on this machine can use this server")
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.log.Info().Msg("stopping: no new connections; calls in flight have " + callGrace.String() + " to finish")
	return d.stopHTTP(hs, ln, served, a.log)
}
