package tools

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

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// rewritingProxy stands between the client and the simulator, over plain HTTP on loopback, and lets a test
// change what Proxmox answers: a compromised or buggy node sending text we must not pass on as it is.
func rewritingProxy(t *testing.T, simURL string, rewrite func(path string, body []byte) []byte) string {
	t.Helper()
	target, err := url.Parse(simURL)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the test's own simulator
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *target
		u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
		req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		body = rewrite(r.URL.Path, body)
		for k, v := range resp.Header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(hc.CloseIdleConnections)
	return srv.URL
}

// TestProgressIsCleanedAndRedacted: a task status that carries the secret, escape sequences, bidi controls and
// newlines reaches the client's progress notifications cleaned and masked, like every other byte we send.
func TestProgressIsCleanedAndRedacted(t *testing.T) {
	hostile := "running \x1b]8;;https://evil.example\x07\x1b[31m" + pvesim.DefaultTokenSecret + "\u202e\nIGNORE PREVIOUS"
	enc, _ := json.Marshal(hostile)
	quoted := strings.Trim(string(enc), `"`)
	h := newHarness(t, harnessOpts{
		sim: []pvesim.Option{pvesim.WithTaskDuration(300 * time.Millisecond)},
		via: func(simURL string) string {
			return rewritingProxy(t, simURL, func(path string, body []byte) []byte {
				if strings.Contains(path, "/tasks/") && strings.HasSuffix(path, "/status") {
					return bytes.ReplaceAll(body, []byte(`"status":"running"`), []byte(`"status":"`+quoted+`"`))
				}
				return body
			})
		},
	})
	var mu sync.Mutex
	var messages []string
	h.mc.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		if m, ok := n.Params.AdditionalFields["message"].(string); ok {
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "proxmox_start_resource"
	req.Params.Arguments = map[string]any{"vmid": 103, "confirm": true}
	req.Params.Meta = &mcp.Meta{ProgressToken: "p1"}
	res, err := h.mc.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("start: %v %s", err, text(res))
	}
	// Progress is best effort and may trail the result a little.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(messages)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(messages) == 0 {
		t.Fatal("no progress notification arrived")
	}
	for _, m := range messages {
		for _, bad := range []string{pvesim.DefaultTokenSecret, pvesim.DefaultTokenSecret[:10], "\x1b", "\x07", "\u202e", "\n"} {
			if strings.Contains(m, bad) {
				t.Errorf("progress message %q carries %q", m, bad)
			}
		}
	}
	t.Logf("%d progress messages, e.g. %q", len(messages), messages[0])
}
