package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// The built binary, a simulated cluster, and MCP clients that answer consent questions the way a person would
// (or would not): over stdio with elicitation/create, over streamable HTTP with the 2026-07-28 round trip, and
// with the round trip driven by hand to tamper with, replay and outlive its requestState.
//
// Speed never decides a case: "a person took their time" is PROXMOX_CONSENT_MIN_SECONDS=0 (every decline is a
// person's) and "declined at once" is PROXMOX_CONSENT_MIN_SECONDS=60 (no decline is); only the timeout and the
// expiry cases wait, for a 1 s PROXMOX_CONSENT_TIMEOUT, and a slower machine only makes them surer.

// answerer is an MCP client's elicitation handler.
type answerer struct {
	action mcp.ElicitationResponseAction
	text   string
	never  bool
	before func()
	mu     sync.Mutex
	asked  []string // the questions' messages
}

func (a *answerer) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	a.asked = append(a.asked, r.Params.Message)
	a.mu.Unlock()
	if a.never {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if a.before != nil {
		a.before()
	}
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a.action}}
	if a.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": a.text}
	}
	return res, nil
}

func (a *answerer) questions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

// consentStdio launches the binary and opens a session over its stdio; a nil handler declares no elicitation.
func consentStdio(t testing.TB, env []string, h client.ElicitationHandler, protocol string) (*client.Client, *lockedBuffer) {
	t.Helper()
	stderr := &lockedBuffer{}
	tr := transport.NewStdioWithOptions(binary, nil, nil,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = env
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	var opts []client.ClientOption
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	// The child lives as long as the context its transport was started with: the test's, not initialize's.
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, opts...)
	startAndInit(t, c, protocol)
	return c, stderr
}

// consentHTTP opens a session with the binary's HTTP server.
func consentHTTP(t testing.TB, addr string, h client.ElicitationHandler, protocol string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP("http://"+addr+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + e2eToken}))
	if err != nil {
		t.Fatal(err)
	}
	var opts []client.ClientOption
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	c := client.NewClient(tr, opts...)
	startAndInit(t, c, protocol)
	return c
}

func startAndInit(t testing.TB, c *client.Client, protocol string) {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = protocol
	req.Params.ClientInfo = mcp.Implementation{Name: "consent-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if protocol == mcp.LATEST_PROTOCOL_VERSION && c.ProtocolVersion() != protocol {
		t.Fatalf("negotiated %s, want %s", c.ProtocolVersion(), protocol)
	}
}

const e2eToken = "consent-e2e-token-0123456789abcdef"

func newSim() *pvesim.Server {
	return pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(20*time.Millisecond)))
}

// consentCase is one answer (or none) and what must come of it.
type consentCase struct {
	name    string
	env     []string
	ask     *answerer // nil: the client declares no elicitation
	change  bool      // change the target while the person is asked
	refused bool
	want    string // the result says it
	consent string // the audit record says it
	asked   int
}

var consentCases = []consentCase{
	{name: "accept with the vmid", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=0"}, ask: &answerer{action: "accept", text: "204"},
		want: "The person approved this request", consent: "accepted", asked: 1},
	{name: "accept with a wrong vmid", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=0"}, ask: &answerer{action: "accept", text: "205"},
		refused: true, want: "the person accepted without typing what approves destroy CT 204", consent: "wrong_answer", asked: 1},
	{name: "decline", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=0"}, ask: &answerer{action: "decline"},
		refused: true, want: "the person declined to approve destroy CT 204", consent: "declined", asked: 1},
	{name: "cancel", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=0"}, ask: &answerer{action: "cancel"},
		refused: true, want: "the person dismissed the question", consent: "cancelled", asked: 1},
	{name: "target changed before the answer", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=0"}, ask: &answerer{action: "accept", text: "204"}, change: true,
		refused: true, want: "is not what the person approved", consent: "changed", asked: 1},
	{name: "no elicitation, fallback gate", ask: nil,
		want: "Nobody approved this", consent: "unavailable"},
	{name: "no elicitation, fallback refuse", env: []string{"PROXMOX_CONSENT_FALLBACK=refuse"}, ask: nil,
		refused: true, want: "PROXMOX_CONSENT_FALLBACK=refuse refuses such calls", consent: "unavailable"},
	{name: "declines at once, fallback gate", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=60"}, ask: &answerer{action: "decline"},
		want: "sooner than a person can read it (PROXMOX_CONSENT_MIN_SECONDS=60)", consent: "not_shown", asked: 1},
	{name: "declines at once, fallback refuse", env: []string{"PROXMOX_CONSENT_MIN_SECONDS=60", "PROXMOX_CONSENT_FALLBACK=refuse"}, ask: &answerer{action: "decline"},
		refused: true, want: "sooner than a person can read it", consent: "not_shown", asked: 1},
}

// checkConsentCase runs destroy 204 and checks the result, the writes and the audit record.
func checkConsentCase(t *testing.T, c *client.Client, sim *pvesim.Server, stderr *lockedBuffer, tc consentCase) {
	t.Helper()
	sim.ResetLog()
	res := callE2E(t, c, "proxmox_destroy_resource", `{"vmid":204,"confirm":true,"destructive":true}`)
	got := resText(res)
	if res.IsError != tc.refused || !strings.Contains(got, tc.want) {
		t.Errorf("isError %v: %s\nwant %q", res.IsError, got, tc.want)
	}
	writes := len(sim.Writes())
	if tc.refused && writes != 0 || !tc.refused && writes != 1 {
		t.Errorf("%d writes reached the cluster", writes)
	}
	if tc.ask != nil && tc.ask.questions() != tc.asked {
		t.Errorf("asked %d times, want %d", tc.ask.questions(), tc.asked)
	}
	if stderr != nil {
		// The audit record, and the startup log saying which consent mode is on.
		wants := []string{`"consent":"` + tc.consent + `"`, `"consent":"destructive"`, "PROXMOX_CONSENT=destructive: a person approves every destructive and exec call"}
		logs := waitForAll(t, stderr, wants)
		for _, w := range wants {
			if !strings.Contains(logs, w) {
				t.Errorf("stderr lacks %s:\n%s", w, logs)
			}
		}
	}
}

func TestConsentStdioEndToEnd(t *testing.T) {
	cases := append(consentCases, consentCase{name: "no answer until the timeout", env: []string{"PROXMOX_CONSENT_TIMEOUT=1", "PROXMOX_CONSENT_MIN_SECONDS=0"},
		ask: &answerer{never: true}, refused: true, want: "nobody answered the question approving destroy CT 204 «test-ct» on pve3 within 1s", consent: "timed_out", asked: 1})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim()
			defer sim.Close()
			tc.ask = fresh(tc.ask, sim, tc.change)
			var h client.ElicitationHandler
			if tc.ask != nil {
				h = tc.ask
			}
			c, stderr := consentStdio(t, simEnv(t, sim, append([]string{envDestructive + "=1"}, tc.env...)...), h, "2025-11-25")
			checkConsentCase(t, c, sim, stderr, tc)
		})
	}
}

// fresh copies a case's answerer (cases are shared by tests) and makes it change the target if asked.
func fresh(a *answerer, sim *pvesim.Server, change bool) *answerer {
	if a == nil {
		return nil
	}
	b := &answerer{action: a.action, text: a.text, never: a.never}
	if change {
		b.before = func() { _ = sim.SetGuestConfig(204, "description", "edited while the person was asked") }
	}
	return b
}

// Over streamable HTTP: a client on 2026-07-28 answers through the input-required round trip; mcp-go's client
// drives it as any such client would.
func TestConsentHTTPRoundTrip(t *testing.T) {
	for _, tc := range consentCases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim()
			defer sim.Close()
			tc.ask = fresh(tc.ask, sim, tc.change)
			var h client.ElicitationHandler
			if tc.ask != nil {
				h = tc.ask
			}
			addr, stderr := httpServer(t, simEnv(t, sim, append([]string{envDestructive + "=1", envHTTPToken + "=" + e2eToken}, tc.env...)...))
			c := consentHTTP(t, addr, h, mcp.LATEST_PROTOCOL_VERSION)
			checkConsentCase(t, c, sim, stderr, tc)
		})
	}
}

// A client on an older protocol over this stateless HTTP server cannot be asked (its answer would have no
// session to find its way back by): the fallback decides, though it declares elicitation.
func TestConsentHTTPOlderClient(t *testing.T) {
	for _, tc := range []consentCase{
		{name: "fallback gate", ask: &answerer{action: "accept", text: "204"}, want: "over stateless streamable HTTP", consent: "unavailable"},
		{name: "fallback refuse", env: []string{"PROXMOX_CONSENT_FALLBACK=refuse"}, ask: &answerer{action: "accept", text: "204"},
			refused: true, want: "PROXMOX_CONSENT_FALLBACK=refuse refuses such calls", consent: "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim()
			defer sim.Close()
			addr, stderr := httpServer(t, simEnv(t, sim, append([]string{envDestructive + "=1", envHTTPToken + "=" + e2eToken}, tc.env...)...))
			c := consentHTTP(t, addr, tc.ask, "2025-11-25")
			checkConsentCase(t, c, sim, stderr, tc)
		})
	}
}

// rawCall is one tools/call of a 2026-07-28 client, written by hand so that its requestState can be kept,
// altered and sent again.
func rawCall(t *testing.T, addr, tool, args string, roundTrip map[string]any) map[string]any {
	t.Helper()
	params := map[string]any{
		"name": tool, "arguments": json.RawMessage(args),
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    mcp.LATEST_PROTOCOL_VERSION,
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
		},
	}
	for k, v := range roundTrip {
		params[k] = v
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/mcp", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"Authorization": "Bearer " + e2eToken, "Mcp-Protocol-Version": mcp.LATEST_PROTOCOL_VERSION, "Mcp-Method": "tools/call", "Mcp-Name": tool} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Result map[string]any `json:"result"`
		Error  any            `json:"error"`
	}
	if err := json.Unmarshal(b, &msg); err != nil || msg.Result == nil {
		t.Fatalf("HTTP %d: %s (%v)", resp.StatusCode, b, err)
	}
	return msg.Result
}

// question asks for a plan over HTTP and returns the requestState of the input-required result.
func question(t *testing.T, addr, tool, args string) string {
	t.Helper()
	res := rawCall(t, addr, tool, args, nil)
	state, _ := res["requestState"].(string)
	if res["resultType"] != "input_required" || state == "" {
		t.Fatalf("not an input-required result: %v", res)
	}
	ir, _ := res["inputRequests"].(map[string]any)
	q, _ := ir["consent"].(map[string]any)
	if q["method"] != "elicitation/create" {
		t.Fatalf("no consent question: %v", res)
	}
	return state
}

// answer calls again with the person's answer and a requestState.
func answer(t *testing.T, addr, tool, args, state, typed string) (text string, isError bool) {
	t.Helper()
	res := rawCall(t, addr, tool, args, map[string]any{
		"requestState":   state,
		"inputResponses": map[string]any{"consent": map[string]any{"action": "accept", "content": map[string]any{"confirm": typed}}},
	})
	var b strings.Builder
	content, _ := res["content"].([]any)
	for _, c := range content {
		if m, ok := c.(map[string]any); ok {
			s, _ := m["text"].(string)
			b.WriteString(s)
		}
	}
	isErr, _ := res["isError"].(bool)
	return b.String(), isErr
}

const (
	destroyArgs   = `{"vmid":204,"confirm":true,"destructive":true}`
	forceStopArgs = `{"vmid":101,"confirm":true,"destructive":true}`
	sharedKey     = "PROXMOX_MCP_STATE_KEY=consent-e2e-shared-key-0123456789abcdef"
)

// A requestState that was altered, has expired, or was used already is refused and sends nothing; two
// replicas that share PROXMOX_MCP_STATE_KEY accept each other's state, and the digest makes a state used on one
// replica worthless on the other.
func TestConsentRequestState(t *testing.T) {
	sim := newSim()
	defer sim.Close()
	base := []string{envDestructive + "=1", envHTTPToken + "=" + e2eToken}
	a, _ := httpServer(t, simEnv(t, sim, append(base, sharedKey, "PROXMOX_CONSENT_TIMEOUT=1", "PROXMOX_CONSENT_MIN_SECONDS=0")...))
	b, _ := httpServer(t, simEnv(t, sim, append(base, sharedKey)...))
	stranger, _ := httpServer(t, simEnv(t, sim, base...)) // its own random key
	const tool = "proxmox_destroy_resource"

	refused := func(name, text string, isErr bool, want string) {
		t.Helper()
		if !isErr || !strings.Contains(text, want) {
			t.Errorf("%s: isError %v: %s\nwant %q", name, isErr, text, want)
		}
		if n := len(sim.Writes()); n != 0 {
			t.Errorf("%s: %d writes reached the cluster", name, n)
		}
	}

	sim.ResetLog()
	state := question(t, a, tool, destroyArgs)
	i := strings.LastIndexByte(state, '.') + 3
	flipped := []byte(state)
	flipped[i] ^= 1
	text, isErr := answer(t, a, tool, destroyArgs, string(flipped), "204")
	refused("tampered", text, isErr, "requestState this server cannot verify")
	text, isErr = answer(t, stranger, tool, destroyArgs, state, "204")
	refused("another key", text, isErr, "signed with another PROXMOX_MCP_STATE_KEY")
	text, isErr = answer(t, a, "proxmox_force_stop_resource", forceStopArgs, state, "101")
	refused("another tool", text, isErr, "made for another call")

	expiring := question(t, a, tool, destroyArgs)
	time.Sleep(1100 * time.Millisecond) // A's timeout is 1 s: this state is past it
	text, isErr = answer(t, a, tool, destroyArgs, expiring, "204")
	refused("expired", text, isErr, "after its question expired")

	// Asked on A, answered on B: a replica with the same key accepts it.
	sim.ResetLog()
	stop := question(t, a, "proxmox_force_stop_resource", forceStopArgs)
	text, isErr = answer(t, b, "proxmox_force_stop_resource", forceStopArgs, stop, "101")
	if isErr || !strings.Contains(text, "The person approved this request") || len(sim.Writes()) != 1 {
		t.Fatalf("answered on the other replica: isError %v, %d writes: %s", isErr, len(sim.Writes()), text)
	}
	// Used again: on B it was spent; on A, the guest's newest task (the stop) is not the one approved.
	sim.ResetLog()
	text, isErr = answer(t, b, "proxmox_force_stop_resource", forceStopArgs, stop, "101")
	refused("replayed on the same replica", text, isErr, "was used already")
	text, isErr = answer(t, a, "proxmox_force_stop_resource", forceStopArgs, stop, "101")
	refused("replayed on the other replica", text, isErr, "is not what the person approved")
}
