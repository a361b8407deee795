package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// harness is the whole product in one process: a simulated cluster over TLS, the client pinned to it, the MCP
// server with its middleware, and a real MCP client session in front.
type harness struct {
	sim    *pvesim.Server
	client *pve.Client
	mc     *client.Client
	mu     sync.Mutex
	log    bytes.Buffer
	audit  bytes.Buffer
}

type harnessOpts struct {
	destructive bool
	exec        gate.ExecRule // the exec tier's switch and allowlist (default: off)
	readOnly    bool
	only        []string
	sim         []pvesim.Option
	cluster     *pvesim.Cluster
	wait        time.Duration
	timeout     time.Duration              // the client's per-request timeout (default 5s)
	maxBody     int64                      // the client's response size limit (default pve.DefaultMaxResponseBytes)
	via         func(simURL string) string // the URL the client dials instead of the simulator's (a relay)
	extra       []Def                      // tools only this test registers
	consent     *gate.Consent              // nil: the default policy
	elicit      client.ElicitationHandler  // the client's elicitation handler (nil: it declares none)
	protocol    string                     // the protocol the client asks for (default the latest)
	apiAllow    []string                   // PROXMOX_API_ALLOW
	toolsets    []string                   // PROXMOX_TOOLSETS (default: all, so that every tool can be tested)
}

// toolsetsOrAll is the harness's PROXMOX_TOOLSETS: every toolset unless the test chose.
func (o harnessOpts) toolsetsOrAll() []string {
	if len(o.toolsets) == 0 && len(o.only) == 0 {
		return []string{allToolsets}
	}
	return o.toolsets
}

// syncBuffer serialises writes from concurrent handlers.
type syncBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (s syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	cluster := o.cluster
	if cluster == nil {
		cluster = pvesim.Default()
	}
	simOpts := append([]pvesim.Option{pvesim.WithTaskDuration(20 * time.Millisecond), pvesim.WithAgentBootDelay(50 * time.Millisecond)}, o.sim...)
	h := &harness{sim: pvesim.Serve(pvesim.New(cluster, simOpts...))}
	t.Cleanup(h.sim.Close)
	target := h.sim.URL
	if o.via != nil {
		target = o.via(target)
	}
	u, err := pve.ParseBaseURL(target)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := pve.ParseFingerprint(h.sim.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	r := redact.New()
	timeout := o.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	copts := []pve.Option{pve.WithRedactor(r), pve.WithRetries(1, time.Millisecond), pve.WithTaskPolling(5*time.Millisecond, 20*time.Millisecond)}
	if o.maxBody > 0 {
		copts = append(copts, pve.WithMaxResponseBytes(o.maxBody))
	}
	h.client, err = pve.New(pve.Config{BaseURL: u, TokenID: pvesim.DefaultTokenID, Secret: redact.NewSecret(pvesim.DefaultTokenSecret), Fingerprint: fp, Timeout: timeout}, copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.client.Close)
	logger := zerolog.New(r.Writer(syncBuffer{&h.mu, &h.log}))
	wait := o.wait
	if wait == 0 {
		wait = 5 * time.Second
	}
	srv, err := NewServer(Options{
		Client: h.client, Redactor: r, Log: logger, Version: "test", ReadOnly: o.readOnly, Only: o.only, Toolsets: o.toolsetsOrAll(), DefaultWait: wait, extra: o.extra,
		Consent: o.consent,
		Policy: gate.NewPolicy(o.destructive, gate.NewAuditor(logger, r.Writer(syncBuffer{&h.mu, &h.audit}), r.String),
			gate.WithAPIAllow(o.apiAllow), gate.WithExec(o.exec)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.mc = connect(t, srv, o.elicit, o.protocol, "harness")
	h.sim.ResetLog()
	return h
}

// connect starts an in-process MCP client on srv and initializes it on protocol (the latest when ""),
// answering elicitations with elicit when it is not nil.
func connect(t testing.TB, srv *server.MCPServer, elicit client.ElicitationHandler, protocol, name string) *client.Client {
	t.Helper()
	var opts []client.ClientOption
	if elicit != nil {
		opts = append(opts, client.WithElicitationHandler(elicit))
	}
	mc, err := client.NewInProcessClientWithOptions(srv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	ctx := context.Background()
	if err := mc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if protocol != "" {
		init.Params.ProtocolVersion = protocol
	}
	init.Params.ClientInfo = mcp.Implementation{Name: name, Version: "1"}
	if _, err := mc.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return mc
}

// confirmed calls a write tool with args and confirm: true, and checks that the result is an error exactly when
// isErr says and that its text says each of want; it returns the result and its text.
func (h *harness) confirmed(t *testing.T, tool, args string, isErr bool, want []string) (*mcp.CallToolResult, string) {
	t.Helper()
	res := h.call(t, tool, strings.TrimSuffix(args, "}")+`,"confirm":true}`)
	got := text(res)
	if res.IsError != isErr {
		t.Fatalf("isError %v: %s", res.IsError, got)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("text does not say %q:\n%s", w, got)
		}
	}
	return res, got
}

// call runs a tool with raw JSON arguments, exactly as a client would send them.
func (h *harness) call(t testing.TB, name, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := h.callErr(name, args)
	if err != nil {
		t.Fatalf("%s %s: protocol error %v", name, args, err)
	}
	return res
}

// callErr is call for a caller that expects the session itself may refuse the request (a JSON-RPC error).
func (h *harness) callErr(name, args string) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	if args != "" {
		req.Params.Arguments = json.RawMessage(args)
	}
	return h.mc.CallTool(context.Background(), req)
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// structured decodes a result's structured content into v.
func structured(t testing.TB, res *mcp.CallToolResult, v any) {
	t.Helper()
	var raw []byte
	switch sc := res.StructuredContent.(type) {
	case json.RawMessage:
		raw = sc
	default:
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		raw = b
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("structured content %s: %v", raw, err)
	}
}

// writes lists the write requests that reached the simulated cluster.
func (h *harness) writes() []string {
	var out []string
	for _, r := range h.sim.Writes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
