package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// maxRequestBody bounds one MCP request on either transport; tool arguments are small.
const maxRequestBody = 1 << 20

// httpPolicy is how the HTTP transport treats requests: who may call. The zero value of each field is a
// safe default.
type httpPolicy struct {
	token          string
	allowedHosts   []string
	allowedOrigins []string
	listen         string // the address actually bound, host:port
	// calls counts the requests in flight, for a graceful stop (nil: not counted).
	calls *drain
}

// newHTTPServer is the http.Server for h.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}

// newHTTPHandler serves MCP at /mcp and a health check at /healthz. mcp-go's streamable HTTP server has no
// authentication of its own, so every /mcp request passes, in order: the Host check (DNS rebinding), the
// Origin check (browsers), the bearer token (constant time), and a body limit. It is stateless: no session
// lives in the process, so replicas behind any load balancer can answer any request.
func newHTTPHandler(srv *server.MCPServer, p httpPolicy) http.Handler {
	mcpHandler := server.NewStreamableHTTPServer(srv,
		server.WithStateLess(true),
		server.WithEndpointPath("/mcp"),
		// hostAllowed is the one DNS-rebinding check. mcp-go's own refuses any Host but localhost on a loopback
		// connection, which is exactly what PROXMOX_MCP_ALLOWED_HOSTS is for: a reverse proxy on this machine.
		server.WithDisableLocalhostProtection(true),
		// A stateless server has nothing to send outside a call's own answer; GET is answered below anyway.
		server.WithDisableStreaming(true),
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
		if status, msg := p.refusal(r, want); status != 0 {
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
				writeRPCError(w, http.StatusBadRequest, rpcErrorLine(-32700, "request body could not be read: "+err.Error()))
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
		mcpHandler.ServeHTTP(w, r)
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
