package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mark3labs/mcp-go/server"
)

// maxRequestBody bounds one MCP request; tool arguments are small.
const maxRequestBody = 1 << 20

type httpPolicy struct {
	token          string
	allowedHosts   []string
	allowedOrigins []string
	listen         string // the address actually bound, host:port
}

// newHTTPHandler serves MCP at /mcp and a health check at /healthz. mcp-go's streamable HTTP server has no
// authentication of its own, so every /mcp request passes, in order: the Host check (DNS rebinding), the
// Origin check (browsers), the bearer token (constant time), and a body limit. It is stateless: no session
// lives in the process, so replicas behind any load balancer can answer any request.
func newHTTPHandler(srv *server.MCPServer, p httpPolicy) http.Handler {
	mcpHandler := server.NewStreamableHTTPServer(srv,
		server.WithStateLess(true),
		server.WithEndpointPath("/mcp"),
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
		if !p.hostAllowed(r.Host) {
			http.Error(w, "forbidden: Host not allowed (set PROXMOX_MCP_ALLOWED_HOSTS)", http.StatusForbidden)
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !p.originAllowed(o) {
			http.Error(w, "forbidden: Origin not allowed (set PROXMOX_MCP_ALLOWED_ORIGINS)", http.StatusForbidden)
			return
		}
		if p.token != "" {
			got, ok := bearer(r.Header.Get("Authorization"))
			// Compare digests so the comparison takes the same time whatever the length of the guess.
			sum := sha256.Sum256([]byte(got))
			if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="proxmox-mcp"`)
				http.Error(w, "unauthorized: send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>", http.StatusUnauthorized)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		mcpHandler.ServeHTTP(w, r)
	})
	return mux
}

func bearer(h string) (string, bool) {
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// hostAllowed accepts loopback names, the address we listen on, and the configured extra hosts.
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
