package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

const secret = "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"

// TestGuardRedactsEverything: a panic, a Go error and a result quoting the secret all reach the client redacted.
func TestGuardRedactsEverything(t *testing.T) {
	r := redact.New(secret)
	var log bytes.Buffer
	g := guard(r, zerolog.New(&log))
	leaky := []struct {
		name string
		next func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)
	}{
		{"panic", func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			panic("boom with " + secret)
		}},
		{"error", func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("failed: PVEAPIToken=root@pam!mcp=" + secret)
		}},
		{"text and structured", func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{
				Content:           []mcp.Content{mcp.NewTextContent("notes: " + url.QueryEscape(secret))},
				StructuredContent: map[string]any{"notes": base64.StdEncoding.EncodeToString([]byte("x" + secret))},
			}, nil
		}},
		{"nil result", func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil }},
	}
	for _, tc := range leaky {
		t.Run(tc.name, func(t *testing.T) {
			req := mcp.CallToolRequest{}
			req.Params.Name = "proxmox_test"
			res, err := g(tc.next)(context.Background(), req)
			if err != nil {
				t.Fatalf("a Go error reached the protocol: %v", err)
			}
			b, _ := res.MarshalJSON()
			for _, form := range []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte("x" + secret))[4:40]} {
				if bytes.Contains(b, []byte(form)) {
					t.Errorf("result carries the secret (%s): %s", form, b)
				}
			}
			if tc.name == "panic" && (!res.IsError || !strings.Contains(text(res), "internal error in proxmox_test")) {
				t.Errorf("panic result: %s", b)
			}
		})
	}
	if strings.Contains(log.String(), secret) || !strings.Contains(log.String(), "panicked") {
		t.Errorf("log: %s", log.String())
	}
}

// TestClusterTextIsRedacted: a guest whose notes hold the token secret (an admin pasted it there, say) does not
// leak it through get_resource, in the text or the structured content.
func TestClusterTextIsRedacted(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	if err := h.sim.SetGuestConfig(101, "description", "token: "+pvesim.DefaultTokenSecret); err != nil {
		t.Fatal(err)
	}
	res := h.call(t, "proxmox_get_resource", `{"vmid":101}`)
	b, _ := res.MarshalJSON()
	if bytes.Contains(b, []byte(pvesim.DefaultTokenSecret)) {
		t.Fatalf("secret in result: %s", b)
	}
	if !strings.Contains(text(res), "token: [REDACTED]") {
		t.Errorf("notes not shown redacted: %s", text(res))
	}
}

// BenchmarkRedactStructured is the cost redaction adds to every result: the default list_vms page of a
// 5,000-guest cluster, scrubbed string by string before encoding and once more after.
func BenchmarkRedactStructured(b *testing.B) {
	h := newHarness(b, harnessOpts{cluster: pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1})})
	res := h.call(b, "proxmox_list_vms", `{}`)
	var page listResult
	structured(b, res, &page)
	r := redact.New(secret)
	b.ReportAllocs()
	for b.Loop() {
		if redactStructured(r, &page) == nil {
			b.Fatal("page did not encode")
		}
	}
}
