package tools

import (
	"net/url"
	"testing"

	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// BenchmarkNewServer is the start-up's share of building the tools: every toolset's definitions, their
// schemas and the MCP server holding them (no request is made).
func BenchmarkNewServer(b *testing.B) {
	u, _ := url.Parse("https://127.0.0.1:1")
	c, err := pve.New(pve.Config{BaseURL: u, TokenID: "root@pam!bench", Secret: redact.NewSecret("00000000-0000-0000-0000-000000000000"), TLSInsecure: true})
	if err != nil {
		b.Fatal(err)
	}
	r := redact.New()
	b.ReportAllocs()
	for b.Loop() {
		srv, err := NewServer(Options{Client: c, Redactor: r, Log: zerolog.Nop(), Toolsets: []string{"core", "lifecycle", "api", "guest"},
			Policy: gate.NewPolicy(false, gate.NewAuditor(zerolog.Nop(), nil, r.String))})
		if err != nil || len(srv.ListTools()) != 33 {
			b.Fatalf("%v: %d tools", err, len(srv.ListTools()))
		}
	}
}
