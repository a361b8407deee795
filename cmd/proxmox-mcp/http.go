package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// maxRequestBody bounds one MCP request on either transport; tool arguments are small.
const maxRequestBody = 1 << 20

const (
	// defaultReadTimeout bounds how long a request, headers and body, may take to arrive: a client that
	// trickles either is cut off. It does not bound the answer, which streams for as long as the call runs (a
	// write may wait up to 600 s for its task): net/http lifts the deadline once the body is in.
	defaultReadTimeout = 10 * time.Second
	// defaultWriteTimeout bounds each write of an answer: a client that stops reading is cut off.
	defaultWriteTimeout = 30 * time.Second
	// maxHeaderBytes bounds a request's headers; a bearer token and an MCP client's headers are far smaller.
	maxHeaderBytes = 64 << 10
)

// httpPolicy is how the HTTP transport treats requests: who may call, how long they may take to send, and
// where what it writes goes. The zero value of each field is a safe default.
type httpPolicy struct {
	token          string
	allowedHosts   []string
	allowedOrigins []string
	listen         string        // the address actually bound, host:port
	readTimeout    time.Duration // 0: defaultReadTimeout
	writeTimeout   time.Duration // 0: defaultWriteTimeout
	// redactor scrubs every byte of every answer and of mcp-go's log (nil: the token header pattern only).
	redactor *redact.Redactor
	// calls counts the requests in flight, for a graceful stop (nil: not counted).
	calls *drain
	// log receives the warnings and errors of mcp-go and net/http (the zero Logger discards them).
	log zerolog.Logger
}

func (p httpPolicy) withDefaults() httpPolicy {
	if p.readTimeout <= 0 {
		p.readTimeout = defaultReadTimeout
	}
	if p.writeTimeout <= 0 {
		p.writeTimeout = defaultWriteTimeout
	}
	return p
}

// newHTTPServer is the http.Server for h: a request must arrive within the read timeout, and its headers
// are bounded.
func newHTTPServer(h http.Handler, p httpPolicy) *http.Server {
	p = p.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadTimeout:       p.readTimeout,
		ReadHeaderTimeout: p.readTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          newMCPLog(p.log, p.redactor).stdLogger("net/http"),
	}
}

// newHTTPHandler serves MCP at /mcp and a health check at /healthz. mcp-go's streamable HTTP server has no
// authentication of its own, so every /mcp request passes, in order: the Host check (DNS rebinding), the
// Origin check (browsers), the bearer token (constant time), and a body bounded in size and time. It is
// stateless: no session lives in the process, so replicas behind any load balancer can answer any request.
func newHTTPHandler(srv *server.MCPServer, p httpPolicy) http.Handler {
	p = p.withDefaults()
	mcpHandler := server.NewStreamableHTTPServer(srv,
		server.WithStateLess(true),
		server.WithEndpointPath("/mcp"),
		// hostAllowed is the one DNS-rebinding check. mcp-go's own refuses any Host but localhost on a loopback
		// connection, which is exactly what PROXMOX_MCP_ALLOWED_HOSTS is for: a reverse proxy on this machine.
		server.WithDisableLocalhostProtection(true),
		// A stateless server has nothing to send outside a call's own answer; GET is answered below anyway.
		server.WithDisableStreaming(true),
		server.WithStreamableHTTPLogger(newMCPLog(p.log, p.redactor).slogger("mcp-go")),
	)
	var want [32]byte
	if p.token != "" {
		want = sha256.Sum256([]byte(p.token))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(p.writeTimeout))
		if status, msg := p.refusal(r, want); status != 0 {
			// Answer at once and close the connection: a refused request's body is not read first, nor kept
			// reading after (beyond what net/http drains within the read timeout).
			w.Header().Set("Connection", "close")
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="proxmox-mcp"`)
			}
			http.Error(w, msg, status)
			return
		}
		switch r.Method {
		case http.MethodGet:
			// The TypeScript SDK opens this stream after initialize and goes on without it on a 405 (as the
			// specification allows); a stream held open would only delay a shutdown.
			w.Header().Set("Allow", "POST, DELETE")
			http.Error(w, "method not allowed: this server is stateless and sends nothing outside the answer to a POST", http.StatusMethodNotAllowed)
			return
		case http.MethodPost:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
			if err != nil {
				refuseBody(w, err)
				return
			}
			if isBatch(body) {
				writeRPCError(w, http.StatusBadRequest, batchError)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		if p.calls != nil {
			p.calls.enter()
			defer p.calls.leave()
		}
		mcpHandler.ServeHTTP(newAnswerWriter(w, p.redactor, p.writeTimeout), r)
	})
	return mux
}

// refusal says why r may not reach mcp-go (status 0: it may).
func (p httpPolicy) refusal(r *http.Request, want [32]byte) (status int, msg string) {
	if !p.hostAllowed(r.Host) {
		return http.StatusForbidden, "forbidden: Host not allowed (set PROXMOX_MCP_ALLOWED_HOSTS)"
	}
	if o := r.Header.Get("Origin"); o != "" && !p.originAllowed(o) {
		return http.StatusForbidden, "forbidden: Origin not allowed (set PROXMOX_MCP_ALLOWED_ORIGINS)"
	}
	if p.token != "" {
		got, ok := bearer(r.Header.Get("Authorization"))
		// Compare digests so the comparison takes the same time whatever the length of the guess.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>"
		}
	}
	return 0, ""
}

// refuseBody answers a body that could not be read: too large, too slow, or cut off.
func refuseBody(w http.ResponseWriter, err error) {
	w.Header().Set("Connection", "close")
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		writeRPCError(w, http.StatusRequestEntityTooLarge, rpcErrorLine(-32600, "request body larger than 1 MiB: one MCP message is far smaller"))
	case errors.As(err, &netErr) && netErr.Timeout():
		writeRPCError(w, http.StatusRequestTimeout, rpcErrorLine(-32600, "request body not received in time"))
	default:
		writeRPCError(w, http.StatusBadRequest, rpcErrorLine(-32700, "request body could not be read"))
	}
}

// writeRPCError answers with one JSON-RPC error line, as mcp-go answers what it cannot parse.
func writeRPCError(w http.ResponseWriter, status int, line []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(line)
}

func bearer(h string) (string, bool) {
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// hostAllowed accepts loopback names, the address we listen on, and the configured extra hosts: on every
// connection, loopback or not, so it is also the DNS-rebinding protection.
func (p httpPolicy) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if isLoopbackHost(host) {
		return true
	}
	if lh, _, err := net.SplitHostPort(p.listen); err == nil && strings.EqualFold(strings.Trim(lh, "[]"), host) && !isUnspecified(lh) {
		return true
	}
	for _, a := range p.allowedHosts {
		if strings.EqualFold(a, host) || strings.EqualFold(a, hostport) {
			return true
		}
	}
	return false
}

// originAllowed accepts browser origins on loopback and the configured ones.
func (p httpPolicy) originAllowed(origin string) bool {
	for _, a := range p.allowedOrigins {
		if strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(origin, "/")) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && isLoopbackHost(u.Hostname())
}

func isLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func isUnspecified(host string) bool {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return host == "" || err == nil && ip.IsUnspecified()
}
