package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// The consent tests drive the whole product in one process with a real MCP client that answers questions the
// way a person would (or would not). Each case runs in both eras: a client on 2025-11-25 gets elicitation/create
// in the middle of the call; a client on 2026-07-28 gets an input-required result and calls again with the
// answer and the signed state. Time is a clock the answers step, so "how fast did the answer come" never
// depends on the machine; only the no-answer case waits, for a 50 ms timeout.

// stepClock is a clock that moves only when told.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock { return &stepClock{t: time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)} }

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// person answers questions: after thinking for a while (on the step clock), with an action and a text. It
// records what it was asked.
type person struct {
	answer
	never  bool   // never answers: waits until the question is withdrawn
	fail   error  // the client answers the question with this error
	before func() // runs before answering (changes the cluster under the question)
	clock  *stepClock
	mu     sync.Mutex
	asked  []mcp.ElicitationParams
}

// answer is how a person answers: after thinking for a while, with an action and what they typed.
type answer struct {
	think  time.Duration
	action mcp.ElicitationResponseAction
	text   string
}

func (p *person) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	p.asked = append(p.asked, r.Params)
	p.mu.Unlock()
	if p.never {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if p.fail != nil {
		return nil, p.fail
	}
	p.clock.step(p.think)
	if p.before != nil {
		p.before()
	}
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: p.action}}
	if p.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{consentField: p.text}
	}
	return res, nil
}

func (p *person) questions() []mcp.ElicitationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]mcp.ElicitationParams(nil), p.asked...)
}

var eras = []struct{ name, protocol string }{{"elicitation/create", "2025-11-25"}, {"input_required", mcp.LATEST_PROTOCOL_VERSION}}

func consentHarness(t *testing.T, protocol string, cfg gate.ConsentConfig, p *person) (*harness, *stepClock) {
	t.Helper()
	clock := newStepClock()
	cfg.Now = clock.now
	if cfg.MinAnswer == 0 {
		cfg.MinAnswer = time.Second
	}
	k, err := gate.NewConsent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := harnessOpts{destructive: true, protocol: protocol, consent: k}
	if p != nil {
		p.clock = clock
		o.elicit = p
	}
	return newHarness(t, o), clock
}

// auditRecords decodes the harness's audit trail.
func auditRecords(t *testing.T, h *harness) []gate.Record {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []gate.Record
	for _, line := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var r gate.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// decisions are the audit trail's decision/consent pairs.
func decisions(t *testing.T, h *harness) []string {
	var out []string
	for _, r := range auditRecords(t, h) {
		out = append(out, r.Decision+"/"+r.Consent)
	}
	return out
}

const destroy204 = `{"vmid":204,"confirm":true,"destructive":true}`

func TestConsentAnswers(t *testing.T) {
	sent := []string{"DELETE /nodes/pve3/lxc/204"}
	for _, era := range eras {
		// What the audit trail holds: a question in an input-required result is a call of its own.
		trail := func(last string) []string {
			if era.protocol == "2025-11-25" {
				return []string{last}
			}
			return []string{"pending/asked", last}
		}
		tests := []struct {
			name    string
			cfg     gate.ConsentConfig
			answer  answer
			isError bool
			writes  []string
			text    []string // the result says each
			audit   []string
		}{
			{name: "accept with the vmid", answer: answer{think: 3 * time.Second, action: "accept", text: "204"},
				writes: sent, text: []string{"Done: destroy CT 204", "The person approved this request"}, audit: trail("sent/accepted")},
			{name: "accept with the name, any case, spaces", answer: answer{think: 3 * time.Second, action: "accept", text: "  Test-CT "},
				writes: sent, text: []string{"Done: destroy CT 204"}, audit: trail("sent/accepted")},
			{name: "accept with a wrong vmid", answer: answer{think: 3 * time.Second, action: "accept", text: "205"},
				isError: true, text: []string{"Refused, nothing was sent to Proxmox: the person accepted without typing what approves destroy CT 204",
					"approving takes 204 (the vmid) or test-ct (the name)", "do not retry this call"}, audit: trail("refused/wrong_answer")},
			{name: "accept with nothing typed", answer: answer{think: 3 * time.Second, action: "accept", text: ""},
				isError: true, text: []string{"without typing what approves"}, audit: trail("refused/wrong_answer")},
			{name: "decline", answer: answer{think: 3 * time.Second, action: "decline"},
				isError: true, text: []string{"the person declined to approve destroy CT 204 «test-ct» on pve3", "The decision is the person's: do not retry"}, audit: trail("refused/declined")},
			{name: "cancel", answer: answer{think: 3 * time.Second, action: "cancel"},
				isError: true, text: []string{"the person dismissed the question approving destroy CT 204"}, audit: trail("refused/cancelled")},
			{name: "decline at once, fallback gate", answer: answer{think: 100 * time.Millisecond, action: "decline"},
				writes: sent, text: []string{"Done: destroy CT 204", `Nobody approved this: the client answered "decline" 0.1 s after the question, sooner than a person can read it (PROXMOX_CONSENT_MIN_SECONDS=1)`,
					"lower PROXMOX_CONSENT_MIN_SECONDS"}, audit: trail("sent/not_shown")},
			{name: "cancel at once, fallback refuse", cfg: gate.ConsentConfig{Fallback: gate.FallbackRefuse}, answer: answer{action: "cancel"},
				isError: true, text: []string{"Refused, nothing was sent to Proxmox: Destroy CT 204 «test-ct» on pve3 needs a person's approval on this server (PROXMOX_CONSENT=destructive asks a person about every destructive and exec call)",
					"sooner than a person can read it", "PROXMOX_CONSENT_FALLBACK=refuse refuses such calls", "If the person did decline, that stands"}, audit: trail("refused/not_shown")},
			{name: "decline at once counts when the minimum is 0", cfg: gate.ConsentConfig{MinAnswer: -1}, answer: answer{action: "decline"},
				isError: true, text: []string{"the person declined"}, audit: trail("refused/declined")},
		}
		for _, tc := range tests {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				p := &person{answer: tc.answer}
				if tc.cfg.MinAnswer == -1 {
					tc.cfg.MinAnswer = time.Nanosecond // "0": any decline that takes any time at all is the person's
					p.think = time.Nanosecond
				}
				h, _ := consentHarness(t, era.protocol, tc.cfg, p)
				res := h.call(t, "proxmox_destroy_resource", destroy204)
				got := text(res)
				if res.IsError != tc.isError {
					t.Errorf("isError %v, want %v: %s", res.IsError, tc.isError, got)
				}
				for _, want := range tc.text {
					if !strings.Contains(got, want) {
						t.Errorf("result lacks %q:\n%s", want, got)
					}
				}
				if diff := cmp.Diff(tc.writes, h.writes()); diff != "" {
					t.Errorf("writes (-want +got)\n%s", diff)
				}
				if diff := cmp.Diff(tc.audit, decisions(t, h)); diff != "" {
					t.Errorf("audit (-want +got)\n%s", diff)
				}
				if n := len(p.questions()); n != 1 {
					t.Errorf("the person was asked %d times, want once", n)
				}
			})
		}
	}
}

// What the person sees: the plan in plain words, the exact request, what would be lost, and a flat form.
func TestConsentQuestion(t *testing.T) {
	p := &person{answer: answer{think: 2 * time.Second, action: "decline"}}
	h, _ := consentHarness(t, "2025-11-25", gate.ConsentConfig{}, p)
	h.call(t, "proxmox_destroy_resource", `{"vmid":200,"purge":true,"confirm":true,"destructive":true}`)
	h.call(t, "proxmox_rollback_snapshot", `{"vmid":102,"name":"weekly","confirm":true,"destructive":true}`)
	h.call(t, "proxmox_delete_snapshot", `{"vmid":102,"name":"pre-upgrade","confirm":true,"destructive":true}`)
	h.call(t, "proxmox_force_stop_resource", `{"vmid":101,"confirm":true,"destructive":true}`)
	h.call(t, "proxmox_destroy_resource", destroy204)
	qs := p.questions()
	if len(qs) != 5 {
		t.Fatalf("%d questions, want 5", len(qs))
	}
	want := [][]string{
		{"The AI assistant asks to destroy CT 200 «pihole» on pve1 (proxmox_destroy_resource, a destructive tool). Nothing has been sent to Proxmox VE yet.",
			"Target: CT 200 «pihole» (lxc) on node pve1, running for ",
			"Lost for good: 1 disk: rootfs local-lvm:subvol-200-disk-0 (8G); no snapshots.\nBackups: 2 backups, kept; the newest is 1d",
			" on nas-backup).\nRequest: DELETE /api2/json/nodes/pve1/lxc/200, with 1 parameter value:\n" +
				"[the parameters, whole and exactly as they would be sent: the AI assistant's text, not this server's]\n" +
				"| purge = \"1\"\n\n",
			"To approve exactly this, type 200 (the vmid) or pihole (the name). To refuse, decline."},
		{"roll back VM 102 «docker-host» on pve2 to snapshot weekly", "Request: POST /api2/json/nodes/pve2/qemu/102/snapshot/weekly/rollback, with no parameters",
			"Lost for good: every change since snapshot «weekly» of ", " ago); the running guest's current memory."},
		{"Request: DELETE /api2/json/nodes/pve2/qemu/102/snapshot/pre-upgrade, with no parameters", "Lost for good: snapshot «pre-upgrade» of "},
		{"force stop VM 101 «home-assistant» on pve1", "Request: POST /api2/json/nodes/pve1/qemu/101/status/stop",
			"Lost for good: whatever the running guest has not written to disk"},
		{"Target: CT 204 «test-ct» (lxc) on node pve3, stopped\n", "Lost for good: 1 disk: rootfs local-lvm:subvol-204-disk-0 (8G); no snapshots.\nBackups: none found.\n" +
			"Request: DELETE /api2/json/nodes/pve3/lxc/204, with no parameters\n",
			"type 204 (the vmid) or test-ct (the name)"},
	}
	for i, q := range qs {
		for _, w := range want[i] {
			if !strings.Contains(q.Message, w) {
				t.Errorf("question %d lacks %q:\n%s", i, w, q.Message)
			}
		}
		assertFlatForm(t, q.RequestedSchema)
	}
	if len(h.writes()) != 0 {
		t.Errorf("writes %v, want none", h.writes())
	}
}

// assertFlatForm checks a requested schema is what every client renders: an object of string, number, boolean
// or enum properties, nothing nested.
func assertFlatForm(t *testing.T, schema any) {
	t.Helper()
	b, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Type       string                    `json:"type"`
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schema %s: %v", b, err)
	}
	if s.Type != "object" || len(s.Properties) == 0 {
		t.Fatalf("schema %s is not an object with properties", b)
	}
	for name, p := range s.Properties {
		switch p["type"] {
		case "string", "number", "integer", "boolean":
		default:
			t.Errorf("property %s has type %v: not a flat form", name, p["type"])
		}
		for k := range p {
			switch k {
			case "type", "title", "description", "enum", "enumNames", "minLength", "maxLength", "format", "minimum", "maximum", "default":
			default:
				t.Errorf("property %s has %q: not a flat form", name, k)
			}
		}
	}
}

// Nobody answers: the question is withdrawn after the timeout and nothing is sent. (A client on 2026-07-28
// holds no call open while it asks: its late answer is an expired state, in TestConsentRoundTripState.)
func TestConsentTimeout(t *testing.T) {
	p := &person{never: true}
	h, _ := consentHarness(t, "2025-11-25", gate.ConsentConfig{Timeout: 50 * time.Millisecond, MinAnswer: time.Millisecond}, p)
	res := h.call(t, "proxmox_destroy_resource", destroy204)
	if !res.IsError || !strings.Contains(text(res), "nobody answered the question approving destroy CT 204 «test-ct» on pve3 within 50ms (PROXMOX_CONSENT_TIMEOUT)") {
		t.Errorf("result: %s", text(res))
	}
	if len(h.writes()) != 0 {
		t.Errorf("writes %v", h.writes())
	}
	if diff := cmp.Diff([]string{"refused/timed_out"}, decisions(t, h)); diff != "" {
		t.Errorf("audit (-want +got)\n%s", diff)
	}
}

// A client that answers the question with an error did not show it: the fallback decides. (A client on
// 2026-07-28 that fails to ask never calls again, so nothing is sent: its record says pending.)
func TestConsentClientError(t *testing.T) {
	for _, fb := range []gate.ConsentFallback{gate.FallbackGate, gate.FallbackRefuse} {
		t.Run(string(fb), func(t *testing.T) {
			p := &person{fail: errors.New("no dialog available in this mode")}
			h, _ := consentHarness(t, "2025-11-25", gate.ConsentConfig{Fallback: fb}, p)
			res := h.call(t, "proxmox_destroy_resource", destroy204)
			got := text(res)
			if !strings.Contains(got, "the client answered the question with an error (no dialog available in this mode)") {
				t.Errorf("result: %s", got)
			}
			want, writes := []string{"sent/ask_failed"}, 1
			if fb == gate.FallbackRefuse {
				want, writes = []string{"refused/ask_failed"}, 0
			}
			if res.IsError != (fb == gate.FallbackRefuse) || len(h.writes()) != writes {
				t.Errorf("isError %v, writes %v: %s", res.IsError, h.writes(), got)
			}
			if diff := cmp.Diff(want, decisions(t, h)); diff != "" {
				t.Errorf("audit (-want +got)\n%s", diff)
			}
		})
	}
}

// A client that cannot ask: the fallback decides, and the result says so.
func TestConsentUnavailable(t *testing.T) {
	for _, era := range eras {
		for _, fb := range []gate.ConsentFallback{gate.FallbackGate, gate.FallbackRefuse} {
			t.Run(era.name+"/"+string(fb), func(t *testing.T) {
				h, _ := consentHarness(t, era.protocol, gate.ConsentConfig{Fallback: fb}, nil)
				res := h.call(t, "proxmox_destroy_resource", destroy204)
				got := text(res)
				if fb == gate.FallbackGate {
					if res.IsError || !strings.Contains(got, "Nobody approved this: this client did not declare") || !strings.Contains(got, "PROXMOX_CONSENT_FALLBACK=gate allows") {
						t.Errorf("result: %s", got)
					}
					if diff := cmp.Diff([]string{"DELETE /nodes/pve3/lxc/204"}, h.writes()); diff != "" {
						t.Errorf("writes (-want +got)\n%s", diff)
					}
					if diff := cmp.Diff([]string{"sent/unavailable"}, decisions(t, h)); diff != "" {
						t.Errorf("audit (-want +got)\n%s", diff)
					}
					return
				}
				if !res.IsError || !strings.Contains(got, "this client did not declare") || !strings.Contains(got, "PROXMOX_CONSENT_FALLBACK=refuse refuses such calls") {
					t.Errorf("result: %s", got)
				}
				if len(h.writes()) != 0 {
					t.Errorf("writes %v", h.writes())
				}
				if diff := cmp.Diff([]string{"refused/unavailable"}, decisions(t, h)); diff != "" {
					t.Errorf("audit (-want +got)\n%s", diff)
				}
			})
		}
	}
}

// The approval is bound to the target's state when the person was asked: if it changes before the answer, the
// call is refused, whatever the answer.
func TestConsentTargetChanged(t *testing.T) {
	for _, era := range eras {
		for _, change := range []struct {
			name string
			do   func(h *harness) error
		}{
			{"configuration", func(h *harness) error { return h.sim.SetGuestConfig(204, "description", "edited meanwhile") }},
			{"lock", func(h *harness) error { return h.sim.SetGuestConfig(204, "lock", "backup") }},
		} {
			t.Run(era.name+"/"+change.name, func(t *testing.T) {
				p := &person{answer: answer{think: 3 * time.Second, action: "accept", text: "204"}}
				h, _ := consentHarness(t, era.protocol, gate.ConsentConfig{}, p)
				p.before = func() {
					if err := change.do(h); err != nil {
						t.Error(err)
					}
				}
				res := h.call(t, "proxmox_destroy_resource", destroy204)
				if !res.IsError || !strings.Contains(text(res), "is not what the person approved") {
					t.Errorf("result: %s", text(res))
				}
				if len(h.writes()) != 0 {
					t.Errorf("writes %v", h.writes())
				}
				recs := auditRecords(t, h)
				last := recs[len(recs)-1]
				if last.Decision != gate.Refused || last.Consent != gate.ConsentChanged || len(last.Digest) != 64 {
					t.Errorf("audit %+v", last)
				}
			})
		}
	}
}

// What the modes ask: destructive mode asks for destructive calls only; writes mode for every write; off never.
// A dry run never asks, and says the real call would.
func TestConsentModes(t *testing.T) {
	start := `{"vmid":103,"confirm":true}`
	tests := []struct {
		mode  gate.ConsentMode
		tool  string
		args  string
		asked int
		note  string
	}{
		{gate.ConsentDestructive, "proxmox_start_resource", start, 0, ""},
		{gate.ConsentWrites, "proxmox_start_resource", start, 1, "The person approved this request"},
		{gate.ConsentWrites, "proxmox_create_vm", `{"node":"pve1","vmid":150,"name":"new-vm","confirm":true}`, 1, "The person approved this request"},
		{gate.ConsentOff, "proxmox_destroy_resource", destroy204, 0, ""},
		{gate.ConsentDestructive, "proxmox_destroy_resource", `{"vmid":204,"dry_run":true}`, 0, "Once the gate allows it, the real call would also ask the person to approve it"},
		{gate.ConsentOff, "proxmox_destroy_resource", `{"vmid":204,"dry_run":true}`, 0, ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode)+"/"+tc.tool+tc.args, func(t *testing.T) {
			typed := "103"
			if strings.Contains(tc.args, `"vmid":150`) {
				typed = "150" // a new guest is approved with its new vmid
			}
			p := &person{answer: answer{think: 2 * time.Second, action: "accept", text: typed}}
			h, _ := consentHarness(t, "2025-11-25", gate.ConsentConfig{Mode: tc.mode}, p)
			res := h.call(t, tc.tool, tc.args)
			if res.IsError {
				t.Fatalf("result: %s", text(res))
			}
			if n := len(p.questions()); n != tc.asked {
				t.Errorf("asked %d times, want %d", n, tc.asked)
			}
			got := text(res)
			if tc.note != "" && !strings.Contains(got, tc.note) {
				t.Errorf("result lacks %q: %s", tc.note, got)
			}
			if tc.note == "" && (strings.Contains(got, "approve") || strings.Contains(got, "Nobody")) {
				t.Errorf("result speaks of consent: %s", got)
			}
			if qs := p.questions(); tc.tool == "proxmox_create_vm" && (len(qs) != 1 || !strings.Contains(qs[0].Message, "Target: a new VM 150 on node pve1\n")) {
				t.Errorf("questions: %v", qs)
			}
		})
	}
}

// The answer text is never recorded, except that accepting with the expected one says "accepted".
func TestConsentAnswerNotRecorded(t *testing.T) {
	const typed = "wrong-answer-d41d8cd98f00b204e9800998"
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			p := &person{answer: answer{think: 3 * time.Second, action: "accept", text: typed}}
			h, _ := consentHarness(t, era.protocol, gate.ConsentConfig{}, p)
			res := h.call(t, "proxmox_destroy_resource", destroy204)
			if !res.IsError {
				t.Fatalf("result: %s", text(res))
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			for name, s := range map[string]string{"audit": h.audit.String(), "log": h.log.String(), "result": text(res)} {
				if strings.Contains(s, typed) {
					t.Errorf("the %s holds what the person typed", name)
				}
			}
		})
	}
}

// What consent reads, and when: the plan's reads before the question (status, config, newest task, snapshots,
// and for a destroy the backup storages), the state's again before the one write, and nothing after it but the
// task. Backups are not read twice: they are not part of the state an approval binds to.
func TestConsentReads(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			p := &person{answer: answer{think: 2 * time.Second, action: "accept", text: "204"}}
			h, _ := consentHarness(t, era.protocol, gate.ConsentConfig{}, p)
			h.call(t, "proxmox_list_vms", `{}`) // the guest index, which every write uses, is read
			h.sim.ResetLog()
			if res := h.call(t, "proxmox_destroy_resource", destroy204); res.IsError {
				t.Fatal(text(res))
			}
			got := map[string]int{}
			before := true
			for _, r := range h.sim.Requests() {
				switch {
				case r.Method == "DELETE":
					before = false
					got["DELETE"]++
				case !before:
					if !strings.Contains(r.Path, "/tasks/UPID:") {
						t.Errorf("after the write: %s %s", r.Method, r.Path)
					}
				case strings.Contains(r.Path, "/storage/") && strings.HasSuffix(r.Path, "/content"):
					got["storage content"]++
				default:
					got[r.Method+" "+r.Path]++
				}
			}
			want := map[string]int{
				"GET /nodes/pve3/lxc/204/status/current": 2, "GET /nodes/pve3/lxc/204/config": 2, "GET /nodes/pve3/tasks": 2,
				"GET /nodes/pve3/lxc/204/snapshot": 2, "GET /cluster/resources": 1, "storage content": 4, "DELETE": 1,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("requests (-want +got)\n%s", diff)
			}
		})
	}
}

// TestConsentCoversGenericCalls: a destructive operation sent through proxmox_api_call is asked about like the
// typed destructive tools, in both eras, and one approval sends one request.
func TestConsentCoversGenericCalls(t *testing.T) {
	const del = `{"method":"DELETE","path":"/cluster/ha/resources/vm:100","confirm":true,"destructive":true}`
	for _, era := range eras {
		for _, tc := range []struct {
			name   string
			answer answer
			writes []string
		}{
			{"approved", answer{think: 3 * time.Second, action: "accept", text: "vm:100"}, []string{"DELETE /cluster/ha/resources/vm:100"}},
			{"declined", answer{think: 3 * time.Second, action: "decline"}, nil},
		} {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				p := &person{answer: tc.answer}
				h, _ := consentHarness(t, era.protocol, gate.ConsentConfig{}, p)
				res := h.call(t, "proxmox_api_call", del)
				if res.IsError != (tc.writes == nil) {
					t.Errorf("isError %v: %s", res.IsError, text(res))
				}
				if diff := cmp.Diff(tc.writes, h.writes()); diff != "" {
					t.Errorf("writes (-want +got)\n%s", diff)
				}
				if n := len(p.questions()); n != 1 {
					t.Errorf("the person was asked %d times, want once", n)
				}
			})
		}
	}
}

// TestConsentNamesTheCluster: with several clusters the question says which cluster the write goes to, and the
// plan's digest names it, so that an approval for one cluster is redeemed on no other.
func TestConsentNamesTheCluster(t *testing.T) {
	clock := newStepClock()
	k, err := gate.NewConsent(gate.ConsentConfig{Now: clock.now, MinAnswer: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := &person{answer: answer{think: 3 * time.Second, action: "decline"}, clock: clock}
	f := newFleet(t, 2, fleetOpts{destructive: true, elicit: p, consent: k})
	var list listResult
	structured(t, f.call(t, "proxmox_list_vms", `{"cluster":"lab","status":"running","limit":1}`), &list)
	if len(list.Items) == 0 {
		t.Fatal("no running VM on lab")
	}
	res := f.call(t, "proxmox_force_stop_resource", fmt.Sprintf(`{"cluster":"lab","vmid":%d,"confirm":true,"destructive":true}`, list.Items[0].VMID))
	if !res.IsError {
		t.Errorf("declined, yet: %s", text(res))
	}
	qs := p.questions()
	if len(qs) != 1 || !strings.Contains(qs[0].Message, "Cluster: lab") {
		t.Fatalf("questions %+v", qs)
	}
	f.mu.Lock()
	trail := strings.TrimSpace(f.audit.String())
	f.mu.Unlock()
	for _, line := range strings.Split(trail, "\n") {
		var r gate.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Cluster != "lab" || r.Digest == "" || r.Consent != "asked" && r.Consent != "declined" {
			t.Errorf("audit record %+v", r)
		}
	}
}

// A dry run says what the real call would do in the same session, decided by the same step: ask the person,
// go ahead under PROXMOX_CONSENT_FALLBACK=gate when nobody can be asked, or be refused (fallback refuse, or a
// request too long to show). Each case runs the dry run, then the real call, in one session.
func TestConsentDryRunMatchesTheCall(t *testing.T) {
	long := execArgsJSON(t, []string{"echo", strings.Repeat("A", 55*55+1)}, "")
	ipa := execArgsJSON(t, []string{"echo", "ip", "a"}, "")
	tests := []struct {
		name     string
		protocol string
		fallback gate.ConsentFallback
		person   bool // the client declares elicitation and a person answers (accepting)
		tool     string
		args     string
		want     string // ask, go ahead, refuse
	}{
		{"exec, elicitation/create", "2025-11-25", gate.FallbackGate, true, "proxmox_guest_exec", ipa, "ask"},
		{"exec, input_required", mcp.LATEST_PROTOCOL_VERSION, gate.FallbackGate, true, "proxmox_guest_exec", ipa, "ask"},
		{"exec, no elicitation, fallback gate", "2025-11-25", gate.FallbackGate, false, "proxmox_guest_exec", ipa, "go ahead"},
		{"exec, no elicitation, fallback refuse", "2025-11-25", gate.FallbackRefuse, false, "proxmox_guest_exec", ipa, "refuse"},
		{"exec, too long to show", "2025-11-25", gate.FallbackGate, true, "proxmox_guest_exec", long, "refuse"},
		{"exec, too long, nobody to ask, fallback gate", "2025-11-25", gate.FallbackGate, false, "proxmox_guest_exec", long, "go ahead"},
		{"destroy, no elicitation, fallback gate", mcp.LATEST_PROTOCOL_VERSION, gate.FallbackGate, false, "proxmox_destroy_resource", destroy204, "go ahead"},
		{"destroy, elicitation/create", "2025-11-25", gate.FallbackRefuse, true, "proxmox_destroy_resource", destroy204, "ask"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p *person
			if tc.person {
				typed := "104"
				if tc.tool == "proxmox_destroy_resource" {
					typed = "204"
				}
				p = &person{answer: answer{think: 3 * time.Second, action: "accept", text: typed}}
			}
			h := execConsent(t, tc.protocol, gate.ConsentConfig{Fallback: tc.fallback}, p)
			dry := text(h.call(t, tc.tool, strings.TrimSuffix(tc.args, "}")+`,"dry_run":true}`))
			var said []string
			for phrase, w := range map[string]string{"would also ask the person": "ask", "would ask nobody": "go ahead", "would be refused": "refuse"} {
				if strings.Contains(dry, phrase) {
					said = append(said, w)
				}
			}
			res := h.call(t, tc.tool, tc.args)
			asked := 0
			if p != nil {
				asked = len(p.questions())
			}
			did := "refuse"
			switch {
			case len(h.writes()) == 1 && asked == 1:
				did = "ask"
			case len(h.writes()) == 1 && asked == 0:
				did = "go ahead"
			case len(h.writes()) != 0 || !res.IsError:
				did = fmt.Sprintf("%d writes, asked %d times, isError %v", len(h.writes()), asked, res.IsError)
			}
			if diff := cmp.Diff([]string{tc.want, tc.want}, append(said, did)); diff != "" {
				t.Errorf("dry run said, real call did (-want +got)\n%s\ndry run: %s\nreal call: %s", diff, dry, text(res))
			}
		})
	}
}
