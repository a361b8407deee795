package tools

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

var vm104 = pve.GuestRef{Node: "pve3", Type: pve.Qemu, VMID: 104}

func execReq(t *testing.T, argv ...string) pve.Request {
	t.Helper()
	r, err := pve.ExecRequest(vm104, argv, "", false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// What the question shows of a request: every parameter whole, one value per line, fenced and quoted.
func TestShowRequest(t *testing.T) {
	const fenceHead = "[the parameters, whole and exactly as they would be sent: the AI assistant's text, not this server's]"
	const legend = `(In the values, \n is a line break, \t a tab, \" a quote, \\ a backslash, and \u or \x a character that would be invisible or change the display.)`
	destroy, err := pve.DestroyRequest(pve.GuestRef{Node: "pve1", Type: pve.LXC, VMID: 200}, true)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := pve.DestroyRequest(pve.GuestRef{Node: "pve3", Type: pve.LXC, VMID: 204}, false)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := pve.SnapshotRequest(vm104, "pre", "line one\nLost for good: nothing.\r\nTo approve exactly this, type 1.", false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  pve.Request
		want []string
	}{
		{"no parameters", bare, []string{"Request: DELETE /api2/json/nodes/pve3/lxc/204, with no parameters"}},
		{"a query parameter", destroy, []string{"Request: DELETE /api2/json/nodes/pve1/lxc/200, with 1 parameter value:", fenceHead, `| purge = "1"`}},
		{"argv, one element per line, the last one too", execReq(t, "echo", strings.Repeat("A", 100), "HIDDEN-ARGUMENT"), []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/agent/exec, with 3 parameter values:", fenceHead,
			`| command[0] = "echo"`,
			`| command[1] = "` + strings.Repeat("A", 55),
			`|               ` + strings.Repeat("A", 45) + `"`,
			`| command[2] = "HIDDEN-ARGUMENT"`,
		}},
		{"line breaks cannot make lines of the server's", snap, []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/snapshot, with 2 parameter values:", fenceHead,
			`| description = "line one\nLost for good: nothing.\r\nTo approve exactl`,
			`|                y this, type 1."`,
			`| snapname = "pre"`,
			legend,
		}},
		{"quotes, backslashes, controls, bidi and invisible characters are escaped", execReq(t, "printf", "a\"b\\c", "\x1b[2J\u202egnp.exe\u200b", "tab\there", "\xff"), []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/agent/exec, with 5 parameter values:", fenceHead,
			`| command[0] = "printf"`,
			`| command[1] = "a\"b\\c"`,
			`| command[2] = "\x1b[2J\u202egnp.exe\u200b"`,
			`| command[3] = "tab\there"`,
			`| command[4] = "\xff"`,
			legend,
		}},
		{"stacked combining marks are spelled out past three", execReq(t, "echo", "e\u0301\u0302\u0303\u0304\u0305", "\u0301x"), []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/agent/exec, with 3 parameter values:", fenceHead,
			`| command[0] = "echo"`,
			"| command[1] = \"e\u0301\u0302\u0303\\u0304\\u0305\"",
			`| command[2] = "\u0301x"`,
			legend,
		}},
		{"a space where a line breaks is spelled out, a space inside a line is not", execReq(t, "echo", strings.Repeat("A", 54)+" "+"B C"), []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/agent/exec, with 2 parameter values:", fenceHead,
			`| command[0] = "echo"`,
			`| command[1] = "` + strings.Repeat("A", 54),
			`|               \x20B C"`,
			legend,
		}},
		{"wide characters wrap at half the count", execReq(t, "echo", strings.Repeat("界", 30)), []string{
			"Request: POST /api2/json/nodes/pve3/qemu/104/agent/exec, with 2 parameter values:", fenceHead,
			`| command[0] = "echo"`,
			`| command[1] = "` + strings.Repeat("界", 27),
			`|               ` + strings.Repeat("界", 3) + `"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := showRequest(tc.req)
			if diff := cmp.Diff(tc.want, got.lines); diff != "" {
				t.Errorf("lines (-want +got)\n%s", diff)
			}
			if !got.fits() {
				t.Errorf("does not fit: %s", got.tooLong())
			}
		})
	}
}

// What approves a request that names no guest: the path's last segment, unescaped only when that is plain.
func TestPathAnswer(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/cluster/ha/resources/vm:100", "vm:100"},
		{"/access/users/ops%40pve", "ops@pve"},
		{"/nodes/pve1/storage/local/content/local:iso%2Fx%E2%80%AEy.iso", "local:iso%2Fx%E2%80%AEy.iso"},
		{"/pools/a%0Ab", "a%0Ab"},
		{"/pools/%C2%ABp%C2%BB", "%C2%ABp%C2%BB"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, pathAnswer(tc.path)); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.path, diff)
		}
	}
}

// The bound: a request fits while its shown form takes at most maxShownLines lines, counting the server's own
// lines as the client wraps them.
func TestShowRequestBound(t *testing.T) {
	// The request line (81 columns: 2 lines), the fence's head (101 columns: 2), command[0] (1): 5 lines,
	// then 55 A's a line.
	tests := []struct {
		name string
		n    int // A's in command[1]
		rows int
		fits bool
	}{
		{"one line of value", 55, 6, true},
		{"exactly the bound", 55 * 55, 60, true},
		{"one character more", 55*55 + 1, 61, false},
		{"64 KiB", 64 << 10, 1197, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := showRequest(execReq(t, "echo", strings.Repeat("A", tc.n)))
			got := []any{s.rows, s.fits()}
			if diff := cmp.Diff([]any{tc.rows, tc.fits}, got); diff != "" {
				t.Errorf("rows, fits (-want +got)\n%s", diff)
			}
		})
	}
}

// decodeShown reads the values back out of a shown request's fenced lines, the way a person reads them: each
// value starts at `= "` and runs, across its continuation lines, to the closing quote. The oracle is
// strconv.Unquote, which the renderer does not use.
func decodeShown(t *testing.T, lines []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var key, open string
	for _, l := range lines {
		if !strings.HasPrefix(l, "| ") {
			if open != "" {
				t.Fatalf("value of %s not closed before %q", key, l)
			}
			continue
		}
		body := l[2:]
		if open == "" {
			k, v, ok := strings.Cut(body, ` = "`)
			if !ok {
				t.Fatalf("fenced line without a value: %q", l)
			}
			if i := strings.Index(k, "["); i > 0 && strings.HasSuffix(k, "]") {
				k = k[:i]
			}
			key, open, body = k, `"`, v
		} else {
			body = strings.TrimLeft(body, " ")
		}
		open += body
		if v, err := strconv.Unquote(open); err == nil {
			out[key] = append(out[key], v)
			open = ""
		}
	}
	if open != "" {
		t.Fatalf("value of %s not closed", key)
	}
	return out
}

// FuzzShowRequest: whatever an argv holds, the question shows it so that reading it back gives exactly what is
// sent, on lines no wider than shownWidth, with no character that is invisible or acts on the display, and
// with every line of it inside the fence.
func FuzzShowRequest(f *testing.F) {
	for _, s := range []string{"plain", "two\nlines", "\"quoted\"", "back\\slash", "\u202eevil", "x\u200by", "\x1b]8;;http://x\x07", "\xff\xfe",
		"e\u0301\u0302\u0303\u0304", "界界界", "  lead and trail  ", "\U000e0041tag", "Lost for good: nothing.", strings.Repeat("é", 80)} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a, 0) || strings.ContainsRune(b, 0) {
			return // ExecRequest refuses a NUL
		}
		argv := []string{"echo", a, b}
		s := showRequest(execReq(t, argv...))
		got := decodeShown(t, s.lines)
		if diff := cmp.Diff(map[string][]string{"command": argv}, got); diff != "" {
			t.Fatalf("read back (-sent +shown)\n%s", diff)
		}
		for _, l := range s.lines[2:] {
			if strings.HasPrefix(l, "(In the values") {
				continue
			}
			if !strings.HasPrefix(l, "| ") {
				t.Errorf("line outside the fence: %q", l)
			}
			w := 0
			for _, r := range l {
				w++
				if r >= 0x1100 {
					w++
				}
				if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs) {
					t.Errorf("line %q holds %U", l, r)
				}
				if r != ' ' && unicode.Is(unicode.Zs, r) {
					t.Errorf("line %q holds the space %U", l, r)
				}
			}
			if w > shownWidth {
				t.Errorf("line %q is %d columns wide", l, w)
			}
		}
	})
}

// execConsent is a harness whose exec tier allows echo and whose destructive tools are on, with consent on and
// a person answering (nil: a client without elicitation).
func execConsent(t *testing.T, protocol string, cfg gate.ConsentConfig, p *person) *harness {
	t.Helper()
	clock := newStepClock()
	cfg.Now, cfg.MinAnswer = clock.now, time.Second
	k, err := gate.NewConsent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := harnessOpts{protocol: protocol, consent: k, destructive: true, exec: gate.ExecRule{Enabled: true, Allow: []string{"echo"}}}
	if p != nil {
		p.clock = clock
		o.elicit = p
	}
	return newHarness(t, o)
}

func execArgsJSON(t *testing.T, argv []string, extra string) string {
	t.Helper()
	b, err := json.Marshal(argv)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"vmid":104,"command":%s,"confirm":true%s}`, b, extra)
}

// The reviewer's case: an exec whose argv hides a sixth argument behind four long ones, and a seventh that
// imitates the server's lines. The person sees every element whole, what they read back from the question is
// exactly what reached Proxmox, and no argument makes a line of the server's.
func TestConsentShowsTheWholeRequest(t *testing.T) {
	pad := strings.Repeat("A", 300)
	argv := []string{"echo", pad, pad, pad, pad, "HIDDEN-ARGUMENT", "x\nLost for good: nothing.\nTo approve exactly this, type 1."}
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			p := &person{answer: answer{think: 3 * time.Second, action: "accept", text: "104"}}
			h := execConsent(t, era.protocol, gate.ConsentConfig{}, p)
			res := h.call(t, "proxmox_guest_exec", execArgsJSON(t, argv, ""))
			if res.IsError {
				t.Fatalf("result: %s", text(res))
			}
			qs := p.questions()
			if len(qs) != 1 {
				t.Fatalf("asked %d times, want once", len(qs))
			}
			lines := strings.Split(qs[0].Message, "\n")
			if want := "The AI assistant asks to run «echo» in VM 104 «k3s-server» on pve3 (proxmox_guest_exec, an exec tool). Nothing has been sent to Proxmox VE yet."; lines[0] != want {
				t.Errorf("the question starts %q, want %q", lines[0], want)
			}
			shown := decodeShown(t, lines)
			sent := h.sim.Writes()
			if len(sent) != 1 {
				t.Fatalf("writes %v", h.writes())
			}
			if diff := cmp.Diff(map[string][]string(sent[0].Form), shown); diff != "" {
				t.Errorf("sent (-) and shown (+) differ\n%s", diff)
			}
			if diff := cmp.Diff(argv, shown["command"]); diff != "" {
				t.Errorf("argv (-want +shown)\n%s", diff)
			}
			var server []string
			for _, l := range lines {
				if strings.HasPrefix(l, "Lost for good") || strings.HasPrefix(l, "To approve") {
					server = append(server, l)
				}
			}
			if diff := cmp.Diff([]string{"To approve exactly this, type 104 (the vmid) or k3s-server (the name). To refuse, decline."}, server); diff != "" {
				t.Errorf("the server's lines (-want +got)\n%s\n%s", diff, qs[0].Message)
			}
		})
	}
}

// A request too long to show a person whole is not put to one: the call is refused, nothing is sent, nobody
// is asked, and the audit trail says why.
func TestConsentRefusesTooLong(t *testing.T) {
	long := []string{"echo", strings.Repeat("A", 55*55+1)}
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			p := &person{answer: answer{think: 3 * time.Second, action: "accept", text: "104"}}
			h := execConsent(t, era.protocol, gate.ConsentConfig{}, p)
			res := h.call(t, "proxmox_guest_exec", execArgsJSON(t, long, ""))
			want := "Refused, nothing was sent to Proxmox: the request to run «echo» in VM 104 «k3s-server» on pve3 is too long to show a person whole " +
				"(shown whole it takes 61 lines of 72 columns; a question shows at most 60), and a person approves only what they can read in full. Nobody was asked. " +
				"If the person still wants this, send it as shorter requests (fewer or shorter values, a smaller input), each of which they approve."
			if diff := cmp.Diff([]any{true, want}, []any{res.IsError, text(res)}); diff != "" {
				t.Errorf("result (-want +got)\n%s", diff)
			}
			if n := len(p.questions()); n != 0 || len(h.writes()) != 0 {
				t.Errorf("asked %d times, writes %v", n, h.writes())
			}
			if diff := cmp.Diff([]string{"refused/too_long"}, decisions(t, h)); diff != "" {
				t.Errorf("audit (-want +got)\n%s", diff)
			}
		})
	}
}

// BenchmarkShowRequest: what rendering a request for the question costs, for the reviewer's argv (about 1.2 KB,
// shown whole) and for the largest input an exec takes (64 KiB, refused as too long: the check runs before any
// read).
//
//	go test ./tools -run '^$' -bench BenchmarkShowRequest -benchmem
func BenchmarkShowRequest(b *testing.B) {
	pad := strings.Repeat("A", 300)
	reviewer, err := pve.ExecRequest(vm104, []string{"echo", pad, pad, pad, pad, "HIDDEN-ARGUMENT"}, "", false)
	if err != nil {
		b.Fatal(err)
	}
	huge, err := pve.ExecRequest(vm104, []string{"sh", "-c", "cat > /etc/x"}, strings.Repeat("line of input\n", 64<<10/14), true)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		req  pve.Request
		fits bool
	}{{"reviewer argv", reviewer, true}, {"64 KiB input", huge, false}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if showRequest(c.req).fits() != c.fits {
					b.Fatal("fits")
				}
			}
		})
	}
}
