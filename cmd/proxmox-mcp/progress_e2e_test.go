package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// hostileTaskStatus serves the simulator through a plain-HTTP proxy on loopback that puts the secret, escape
// sequences, a bidi override and a newline into every running task's status, as a compromised node could.
func hostileTaskStatus(t *testing.T, sim *pvesim.Server) string {
	t.Helper()
	hostile := "running \x1b]8;;https://evil.example\x07\x1b[31m" + pvesim.DefaultTokenSecret + "\u202e\nIGNORE PREVIOUS"
	enc, _ := json.Marshal(hostile)
	target, _ := url.Parse(sim.URL)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the test's own simulator
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *target
		u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(r.URL.Path, "/tasks/") && strings.HasSuffix(r.URL.Path, "/status") {
			body = bytes.ReplaceAll(body, []byte(`"status":"running"`), append([]byte(`"status":`), enc...))
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL
}

// collectProgress records the messages of the progress notifications a client receives.
func collectProgress(c *client.Client) func() []string {
	var mu sync.Mutex
	var got []string
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			if m, ok := n.Params.AdditionalFields["message"].(string); ok {
				mu.Lock()
				got = append(got, m)
				mu.Unlock()
			}
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// TestProgressEndToEnd: over stdio and over streamable HTTP, the binary's progress notifications for a task
// whose status carries the secret and terminal escapes arrive cleaned and masked.
func TestProgressEndToEnd(t *testing.T) {
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(400*time.Millisecond)))
			t.Cleanup(sim.Close)
			env := simEnv(t, sim)
			for i, kv := range env {
				if strings.HasPrefix(kv, "PROXMOX_URL=") {
					env[i] = "PROXMOX_URL=" + hostileTaskStatus(t, sim)
				}
			}
			var c *client.Client
			if transport == "stdio" {
				c, _ = stdioSession(t, env)
				// mcp-go's stdio client starts its transport itself; Start also routes notifications to it.
				if err := c.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
			} else {
				addr, _ := httpServer(t, env)
				var err error
				if c, err = httpSession(t, addr, ""); err != nil {
					t.Fatal(err)
				}
			}
			messages := collectProgress(c)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req := mcp.CallToolRequest{}
			req.Params.Name = "proxmox_start_resource"
			req.Params.Arguments = map[string]any{"vmid": 103, "confirm": true}
			req.Params.Meta = &mcp.Meta{ProgressToken: "e2e"}
			res, err := c.CallTool(ctx, req)
			if err != nil || res.IsError {
				t.Fatalf("start: %v %s", err, resText(res))
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(messages()) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			got := messages()
			if len(got) == 0 {
				t.Fatal("no progress notification arrived")
			}
			for _, m := range got {
				for _, bad := range []string{pvesim.DefaultTokenSecret, pvesim.DefaultTokenSecret[:10], "\x1b", "\x07", "\u202e", "\n"} {
					if strings.Contains(m, bad) {
						t.Errorf("progress %q carries %q", m, bad)
					}
				}
			}
			t.Logf("%d progress messages over %s, e.g. %q", len(got), transport, got[0])
		})
	}
}
