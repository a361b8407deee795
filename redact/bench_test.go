package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// toolResult builds a tool result of about size bytes: a /cluster/resources style JSON list, like the
// largest payloads tools return. With escapes, the guests carry descriptions that JSON escapes and URLs
// with percent escapes, so the decoded views run too.
func toolResult(size int, escapes bool) string {
	type guest struct {
		ID, Type, Node, Name, Status string
		VMID, MaxCPU                 int
		MaxMem, MaxDisk, Uptime      int64
		CPU                          float64
		Description                  string `json:",omitempty"`
		Link                         string `json:",omitempty"`
	}
	var list []guest
	for i := 0; ; i++ {
		g := guest{
			ID: fmt.Sprintf("qemu/%d", 100+i), Type: "qemu", Node: fmt.Sprintf("pve%d", i%3+1),
			Name: fmt.Sprintf("web-%03d", i), Status: "running", VMID: 100 + i, MaxCPU: 4,
			MaxMem: 8 << 30, MaxDisk: 64 << 30, Uptime: 123456 + int64(i), CPU: 0.0123,
		}
		if escapes {
			g.Description = "line one\n\"quoted\" <b>owner</b> & co"
			g.Link = "https://wiki.example/VM%20" + fmt.Sprint(100+i)
		}
		list = append(list, g)
		if b, _ := json.Marshal(list); len(b) >= size {
			return string(b)
		}
	}
}

func BenchmarkString(b *testing.B) {
	const size = 40 << 10
	secrets := []string{uuidSecret, "0b8d2f6e-1c3a-4e5f-8a7b-9c0d1e2f3a4b", oddSecret}
	clean := toolResult(size, false)
	escaped := toolResult(size, true)
	// A few secrets in several forms, spread over the result.
	parts := strings.SplitAfter(clean, "},")
	forms := []string{
		uuidSecret,
		url.QueryEscape(oddSecret),
		"PVEAPIToken=root@pam!mcp=" + secrets[1],
		base64.StdEncoding.EncodeToString([]byte("Authorization: PVEAPIToken=root@pam!mcp=" + uuidSecret)),
	}
	for i, f := range forms {
		parts[(i+1)*len(parts)/(len(forms)+1)] += `"leak":"` + f + `",`
	}
	withSecrets := strings.Join(parts, "")

	r := New(secrets...)
	tests := []struct {
		name string
		r    *Redactor
		in   string
	}{
		{"clean", r, clean},
		{"clean with escapes", r, escaped},
		{"clean nil redactor", nil, clean},
		{"four secrets", r, withSecrets},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.in)))
			b.ReportAllocs()
			for b.Loop() {
				tt.r.String(tt.in)
			}
		})
	}
}

func BenchmarkWriterZerolog(b *testing.B) {
	w := New(uuidSecret).Writer(io.Discard)
	log := zerolog.New(w)
	b.ReportAllocs()
	for b.Loop() {
		log.Info().Str("tool", "vm_start").Int("vmid", 100).Str("outcome", "ok").Send()
	}
}

func BenchmarkAdd(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(uuidSecret, "0b8d2f6e-1c3a-4e5f-8a7b-9c0d1e2f3a4b", oddSecret)
	}
}
