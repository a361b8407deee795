package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

func TestHTTPHandlerChecks(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	const token = "0123456789abcdef0123456789abcdef"
	h := newHTTPHandler(srv, httpPolicy{token: token, allowedHosts: []string{"mcp.example.com"}, allowedOrigins: []string{"https://app.example.com"}, listen: "0.0.0.0:8080"})
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	tests := []struct {
		name    string
		path    string
		host    string
		headers map[string]string
		body    string
		status  int
		want    string
	}{
		{"health needs nothing", "/healthz", "anything.example", nil, "", 200, "ok"},
		{"no token", "/mcp", "localhost:8080", nil, init, 401, "unauthorized"},
		{"wrong token", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 32)}, init, 401, ""},
		{"wrong scheme", "/mcp", "localhost:8080", map[string]string{"Authorization": "Basic " + token}, init, 401, ""},
		{"right token", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + token}, init, 200, `"protocolVersion"`},
		{"lower-case bearer", "/mcp", "127.0.0.1:8080", map[string]string{"Authorization": "bearer " + token}, init, 200, ""},
		{"rebinding host", "/mcp", "evil.example:8080", map[string]string{"Authorization": "Bearer " + token}, init, 403, "Host not allowed"},
		{"allowed host", "/mcp", "mcp.example.com", map[string]string{"Authorization": "Bearer " + token}, init, 200, ""},
		{"foreign origin", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example"}, init, 403, "Origin not allowed"},
		{"allowed origin", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://app.example.com"}, init, 200, ""},
		{"loopback origin", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + token, "Origin": "http://localhost:3000"}, init, 200, ""},
		{"huge body", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + token}, `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.body != "" {
				method = "POST"
			}
			req := httptest.NewRequest(method, tc.path, strings.NewReader(tc.body))
			req.Host = tc.host
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, body)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("body %q does not say %q", body, tc.want)
			}
		})
	}
}

func TestHTTPExposure(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"[::1]:8080", "", true},
		{"localhost:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"192.168.1.10:8080", "", false},
		{"0.0.0.0:8080", "0123456789abcdef0123456789abcdef", true},
		{"0.0.0.0:8080", "short", false},
		{"nonsense", "", false},
	}
	for _, tc := range tests {
		err := checkHTTPExposure(&settings{http: tc.addr, httpToken: tc.token})
		if (err == nil) != tc.ok {
			t.Errorf("%s token=%q: error %v, want ok=%v", tc.addr, tc.token, err, tc.ok)
		}
	}
}

var _ = http.StatusOK
