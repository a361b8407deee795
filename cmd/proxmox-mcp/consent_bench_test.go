package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// BenchmarkConsent measures what consent adds to a destructive call: the same rollback through the built
// binary with PROXMOX_CONSENT=off and with a person who approves at once, over stdio (elicitation/create in
// the middle of the call) and over streamable HTTP (the 2026-07-28 round trip: a second POST). The difference
// between the two modes is the added latency; requests/op counts what reached the simulated cluster. Writes
// wait 1 ms for their task, so the task itself stays out of the figures.
//
//	go test ./cmd/proxmox-mcp -run '^$' -bench BenchmarkConsent -benchtime 300x
func BenchmarkConsent(b *testing.B) {
	for _, transport := range []string{"stdio", "http"} {
		for _, mode := range []string{"off", "asked"} {
			b.Run(transport+"/"+mode, func(b *testing.B) {
				sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(time.Millisecond)))
				defer sim.Close()
				env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "PROXMOX_URL=" + sim.URL,
					"PROXMOX_TOKEN_ID=" + pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET=" + pvesim.DefaultTokenSecret,
					"PROXMOX_TLS_FINGERPRINT=" + sim.Fingerprint, envDestructive + "=1", "PROXMOX_CONSENT_MIN_SECONDS=0",
					envHTTPToken + "=" + e2eToken, envWait + "=1ms"} // the task wait would drown what is measured
				if mode == "off" {
					env = append(env, "PROXMOX_CONSENT=off")
				}
				approve := &answerer{action: "accept", text: "102"}
				var c *client.Client
				if transport == "stdio" {
					c, _ = consentStdio(b, env, approve, "2025-11-25")
				} else {
					c = consentHTTP(b, benchHTTPServer(b, env), approve, mcp.LATEST_PROTOCOL_VERSION)
				}
				req := mcp.CallToolRequest{}
				req.Params.Name = "proxmox_rollback_snapshot"
				req.Params.Arguments = map[string]any{"vmid": 102, "name": "weekly", "confirm": true, "destructive": true}
				sim.ResetLog()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					res, err := c.CallTool(context.Background(), req)
					if err != nil || res.IsError {
						b.Fatalf("call %d: %v %s", i, err, resultText(res))
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(len(sim.Requests()))/float64(b.N), "requests/op")
				if want := map[string]int{"off": 0, "asked": b.N}[mode]; approve.questions() != want {
					b.Fatalf("asked %d times in %d calls, want %d", approve.questions(), b.N, want)
				}
			})
		}
	}
}

// benchHTTPServer launches the binary with --http and waits for /healthz.
func benchHTTPServer(b *testing.B, env []string) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary, "--http", addr)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return addr
		}
		if i > 500 {
			b.Fatal("the server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
