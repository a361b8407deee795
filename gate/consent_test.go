package gate

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testClock moves only when stepped.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestConsent(t testing.TB, cfg ConsentConfig) (*Consent, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)}
	cfg.Now = clock.now
	c, err := NewConsent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

const testKey = "0123456789abcdef0123456789abcdef"

func TestNewConsent(t *testing.T) {
	tests := []struct {
		name string
		cfg  ConsentConfig
		want string // the error, or the Describe line
	}{
		{"defaults", ConsentConfig{MinAnswer: -1},
			"PROXMOX_CONSENT=destructive: a person approves every destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=gate when the client cannot ask; " +
				"questions wait 2m0s; a decline within 1s counts as not shown; approvals signed with a random key of this process (set PROXMOX_MCP_STATE_KEY to share approvals between replicas)"},
		{"writes, refuse, shared key", ConsentConfig{Mode: ConsentWrites, Fallback: FallbackRefuse, Timeout: 30 * time.Second, MinAnswer: 0, Key: []byte(testKey)},
			"PROXMOX_CONSENT=writes: a person approves every write, destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=refuse when the client cannot ask; " +
				"questions wait 30s; a decline within 0s counts as not shown; approvals signed with PROXMOX_MCP_STATE_KEY"},
		{"off", ConsentConfig{Mode: ConsentOff}, "PROXMOX_CONSENT=off: nobody is asked; the three-tier gate alone decides"},
		{"bad everything", ConsentConfig{Mode: "always", Fallback: "allow", Timeout: time.Second, MinAnswer: 2 * time.Second, Key: []byte("short")},
			`PROXMOX_CONSENT="always" is not destructive, writes or off; PROXMOX_CONSENT_FALLBACK="allow" is not gate or refuse; ` +
				"PROXMOX_CONSENT_MIN_SECONDS (2s) must be shorter than PROXMOX_CONSENT_TIMEOUT (1s); " +
				"PROXMOX_MCP_STATE_KEY is shorter than 32 characters: use a long random key (e.g. openssl rand -hex 32)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConsent(tc.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = c.Describe()
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestConsentApplies(t *testing.T) {
	// Tier(4) stands for a tier added later (exec): destructive mode must ask for it, not let it through.
	tiers := []Tier{Read, Write, Destructive, Tier(4)}
	want := map[ConsentMode][]bool{
		ConsentDestructive: {false, false, true, true},
		ConsentWrites:      {false, true, true, true},
		ConsentOff:         {false, false, false, false},
	}
	for mode, w := range want {
		c, _ := newTestConsent(t, ConsentConfig{Mode: mode})
		var got []bool
		for _, tier := range tiers {
			got = append(got, c.Applies(tier))
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", mode, diff)
		}
	}
	var none *Consent
	if none.Applies(Destructive) {
		t.Error("a nil Consent asks")
	}
}

func TestJudge(t *testing.T) {
	c, _ := newTestConsent(t, ConsentConfig{MinAnswer: time.Second})
	slow, fast := 3*time.Second, 200*time.Millisecond
	tests := []struct {
		a    Answer
		want string
	}{
		{Answer{"accept", "104", slow}, ConsentAccepted},
		{Answer{"accept", " 104\n", slow}, ConsentAccepted},
		{Answer{"accept", "web-01", slow}, ConsentAccepted},
		{Answer{"accept", "WEB-01", slow}, ConsentAccepted},
		{Answer{"accept", "104", fast}, ConsentAccepted}, // typing the vmid is an act: speed does not matter
		{Answer{"accept", "1040", slow}, ConsentWrongAnswer},
		{Answer{"accept", "", slow}, ConsentWrongAnswer},
		{Answer{"accept", "yes", slow}, ConsentWrongAnswer},
		{Answer{"accept", "web", slow}, ConsentWrongAnswer},
		{Answer{"decline", "", slow}, ConsentDeclined},
		{Answer{"decline", "", time.Second}, ConsentDeclined},
		{Answer{"decline", "", fast}, ConsentNotShown},
		{Answer{"cancel", "", slow}, ConsentCancelled},
		{Answer{"cancel", "", fast}, ConsentNotShown},
		{Answer{"", "", slow}, ConsentCancelled},
		{Answer{"approve", "104", slow}, ConsentCancelled},
	}
	for _, tc := range tests {
		if got := c.Judge(tc.a, "104", "web-01"); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.a, got, tc.want)
		}
	}
	if got := c.Judge(Answer{"accept", "", slow}, "104", ""); got != ConsentWrongAnswer {
		t.Errorf("an empty expected answer approved an empty text: %s", got)
	}
}

func TestProceeds(t *testing.T) {
	outcomes := []string{ConsentAccepted, ConsentDeclined, ConsentCancelled, ConsentWrongAnswer, ConsentTimedOut, ConsentClosed,
		ConsentUnavailable, ConsentNotShown, ConsentAskFailed, ConsentTampered, ConsentExpired, ConsentReplayed, ConsentChanged, ConsentAsked}
	want := map[ConsentFallback][]string{
		FallbackGate:   {ConsentAccepted, ConsentUnavailable, ConsentNotShown, ConsentAskFailed},
		FallbackRefuse: {ConsentAccepted},
	}
	for fb, w := range want {
		c, _ := newTestConsent(t, ConsentConfig{Fallback: fb})
		var got []string
		for _, o := range outcomes {
			if c.Proceeds(o) {
				got = append(got, o)
			}
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", fb, diff)
		}
	}
}

// Every part of a plan is in its digest; the order parameters were set in is not.
func TestPlanDigest(t *testing.T) {
	base := func() Plan {
		return Plan{Tool: "proxmox_destroy_resource", Method: "DELETE", Path: "/nodes/pve1/qemu/104",
			Params: url.Values{"purge": {"1"}, "skiplock": {"0"}}, State: []string{"status=stopped", "config=abc", "task=UPID:x"}}
	}
	d := base().Digest()
	if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		t.Fatalf("digest %q is not a SHA-256 in hex", d)
	}
	same := base()
	same.Params = url.Values{}
	same.Params.Set("skiplock", "0")
	same.Params.Set("purge", "1")
	if same.Digest() != d {
		t.Error("the same plan with parameters set in another order has another digest")
	}
	changes := map[string]func(p *Plan){
		"tool":         func(p *Plan) { p.Tool = "proxmox_force_stop_resource" },
		"method":       func(p *Plan) { p.Method = "POST" },
		"path":         func(p *Plan) { p.Path = "/nodes/pve1/qemu/105" },
		"param value":  func(p *Plan) { p.Params.Set("purge", "0") },
		"param added":  func(p *Plan) { p.Params.Set("destroy-unreferenced-disks", "1") },
		"param gone":   func(p *Plan) { p.Params.Del("skiplock") },
		"state fact":   func(p *Plan) { p.State[0] = "status=running" },
		"state added":  func(p *Plan) { p.State = append(p.State, "snapshots=a") },
		"state order":  func(p *Plan) { p.State[1], p.State[2] = p.State[2], p.State[1] },
		"state joined": func(p *Plan) { p.State = []string{"status=stopped,config=abc", "task=UPID:x"} },
		"path/params":  func(p *Plan) { p.Path += "?purge=1"; p.Params.Del("purge") },
	}
	seen := map[string]string{d: "base"}
	for name, change := range changes {
		p := base()
		change(&p)
		got := p.Digest()
		if other, dup := seen[got]; dup {
			t.Errorf("%s: same digest as %s", name, other)
		}
		seen[got] = name
	}
}

func TestStateRoundTrip(t *testing.T) {
	c, clock := newTestConsent(t, ConsentConfig{Timeout: time.Minute, Key: []byte(testKey)})
	const tool, digest = "proxmox_destroy_resource", "5f0c2a0e3d7b4b8e9a516c1f0b2d9e475f0c2a0e3d7b4b8e9a516c1f0b2d9e47"
	state, asked := c.Issue(tool, digest)
	clock.step(20 * time.Second)
	tk, err := c.Redeem(state, tool)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Ticket{Digest: digest, Asked: asked, Expires: asked.Add(time.Minute)}, tk); diff != "" {
		t.Errorf("ticket (-want +got)\n%s", diff)
	}
	if _, err := c.Redeem(state, tool); !errors.Is(err, ErrStateReplayed) {
		t.Errorf("second redeem: %v, want replayed", err)
	}

	// A replica with the same key accepts the state (once); one with another key does not.
	twin, _ := newTestConsent(t, ConsentConfig{Key: []byte(testKey)})
	other, _ := newTestConsent(t, ConsentConfig{Key: []byte(strings.ToUpper(testKey))})
	random, _ := newTestConsent(t, ConsentConfig{})
	s2, _ := c.Issue(tool, digest)
	if _, err := twin.Redeem(s2, tool); err != nil {
		t.Errorf("a replica sharing the key refused the state: %v", err)
	}
	for name, k := range map[string]*Consent{"another key": other, "a random key": random} {
		if _, err := k.Redeem(s2, tool); !errors.Is(err, ErrStateTampered) {
			t.Errorf("%s: %v, want tampered", name, err)
		}
	}

	s3, _ := c.Issue(tool, digest)
	clock.step(time.Minute + time.Millisecond)
	if _, err := c.Redeem(s3, tool); !errors.Is(err, ErrStateExpired) {
		t.Errorf("after the timeout: %v, want expired", err)
	}
}

func TestStateTampered(t *testing.T) {
	c, _ := newTestConsent(t, ConsentConfig{Key: []byte(testKey)})
	const tool = "proxmox_destroy_resource"
	state, _ := c.Issue(tool, strings.Repeat("ab", 32))
	other, _ := c.Issue("proxmox_delete_snapshot", strings.Repeat("cd", 32))
	parts := strings.Split(state, ".")
	oparts := strings.Split(other, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"t":"proxmox_destroy_resource","d":"` + strings.Repeat("ef", 32) + `","n":"00","a":0,"e":9999999999999}`))
	bad := map[string]string{
		"empty":                "",
		"garbage":              "not a state",
		"other prefix":         "pmc2." + parts[1] + "." + parts[2],
		"payload flipped":      parts[0] + "." + flip(parts[1], 5) + "." + parts[2],
		"mac flipped":          parts[0] + "." + parts[1] + "." + flip(parts[2], 3),
		"mac of another state": parts[0] + "." + parts[1] + "." + oparts[2],
		"forged payload":       parts[0] + "." + forged + "." + parts[2],
		"no mac":               parts[0] + "." + parts[1],
		"extra part":           state + ".x",
		"another tool's state": other,
	}
	for name, s := range bad {
		if _, err := c.Redeem(s, tool); !errors.Is(err, ErrStateTampered) {
			t.Errorf("%s: %v, want tampered", name, err)
		}
	}
	if _, err := c.Redeem(state, tool); err != nil {
		t.Errorf("the genuine state, after the forgeries: %v", err)
	}
}

// States redeemed are remembered only until they expire: the record cannot grow without bound.
func TestSpentStatesExpire(t *testing.T) {
	c, clock := newTestConsent(t, ConsentConfig{Timeout: time.Minute})
	for i := 0; i < 100; i++ {
		s, _ := c.Issue("t", "d")
		if _, err := c.Redeem(s, "t"); err != nil {
			t.Fatal(err)
		}
	}
	clock.step(2 * time.Minute)
	s, _ := c.Issue("t", "d")
	if _, err := c.Redeem(s, "t"); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.spent) != 1 {
		t.Errorf("%d states remembered, want 1", len(c.spent))
	}
}

// FuzzRedeem: the only strings Redeem accepts are those Issue made (once each). The oracle is the set of
// issued states, not the verification code. The key is drawn per process, so a seed issued by another fuzzing
// process is, rightly, a forgery here.
func FuzzRedeem(f *testing.F) {
	c, _ := newTestConsent(f, ConsentConfig{})
	issued := map[string]bool{}
	for i := 0; i < 3; i++ {
		s, _ := c.Issue("tool", "digest")
		issued[s] = true
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(strings.Replace(s, ".", "..", 1))
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := c.Redeem(s, "tool")
		if err == nil && !issued[s] {
			t.Fatalf("accepted a state never issued: %q", s)
		}
		if err == nil {
			delete(issued, s) // spent: it must not be accepted again
		}
	})
}

func TestConsentTexts(t *testing.T) {
	c, _ := newTestConsent(t, ConsentConfig{MinAnswer: -1})
	what := "destroy VM 104 «web» on pve1"
	for _, outcome := range []string{ConsentDeclined, ConsentCancelled, ConsentWrongAnswer, ConsentTimedOut, ConsentClosed} {
		got := c.ConsentRefusal(what, outcome, "approving takes 104 (the vmid)")
		if !strings.HasPrefix(got, "Refused, nothing was sent to Proxmox: ") || !strings.Contains(got, what) || !strings.Contains(got, "do not retry this call") {
			t.Errorf("%s: %s", outcome, got)
		}
	}
	for _, outcome := range []string{ConsentTampered, ConsentExpired, ConsentReplayed, ConsentChanged} {
		got := c.ConsentRefusal(what, outcome, "its status changed")
		if !strings.HasPrefix(got, "Refused, nothing was sent to Proxmox: ") || !strings.Contains(got, "Call the tool again, without requestState") {
			t.Errorf("%s: %s", outcome, got)
		}
	}
	got := c.ConsentRefusal(what, ConsentUnavailable, "this client did not declare the elicitation capability")
	for _, w := range []string{"Destroy VM 104 «web» on pve1 needs a person's approval on this server (PROXMOX_CONSENT=destructive asks a person about every destructive and exec call)",
		"this client did not declare the elicitation capability", "PROXMOX_CONSENT_FALLBACK=refuse refuses such calls", "Do not change the server's configuration yourself"} {
		if !strings.Contains(got, w) {
			t.Errorf("unavailable lacks %q: %s", w, got)
		}
	}
	if got := c.FallbackNote(ConsentUnavailable, "this client did not declare the elicitation capability"); !strings.Contains(got, "PROXMOX_CONSENT_FALLBACK=gate allows") || strings.Contains(got, "MIN_SECONDS") {
		t.Errorf("fallback note: %s", got)
	}
	if got := c.FallbackNote(ConsentNotShown, "the client answered fast"); !strings.Contains(got, "lower PROXMOX_CONSENT_MIN_SECONDS") {
		t.Errorf("not-shown note: %s", got)
	}
}

// What each mode asks about, named from the tiers it applies to: an exec call is named, not folded into
// "destructive".
func TestConsentAsks(t *testing.T) {
	tests := []struct {
		mode ConsentMode
		want string
	}{
		{ConsentDestructive, "every destructive and exec call"},
		{ConsentWrites, "every write, destructive and exec call"},
		{ConsentOff, "no call"},
	}
	for _, tc := range tests {
		c, _ := newTestConsent(t, ConsentConfig{Mode: tc.mode})
		if diff := cmp.Diff(tc.want, c.Asks()); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.mode, diff)
		}
	}
}

// A dry run's consent note says what the real call would do: ask, go ahead or be refused under the fallback,
// or be refused as too long to show; after the gate's note, and for a call the gate would still refuse.
func TestConsentDryRunNote(t *testing.T) {
	const why = "this client did not declare form elicitation for this call"
	const mode = "PROXMOX_CONSENT=destructive asks a person about every destructive and exec call"
	tests := []struct {
		name     string
		fallback ConsentFallback
		allowed  bool
		outcome  string
		detail   string
		want     string
	}{
		{"asks", FallbackGate, true, "", "",
			"The real call would also ask the person to approve it through the client, showing this request (" + mode + ")."},
		{"asks once allowed", FallbackRefuse, false, "", "",
			"Once the gate allows it, the real call would also ask the person to approve it through the client, showing this request (" + mode + ")."},
		{"cannot ask, fallback gate", FallbackGate, true, ConsentUnavailable, why,
			"The real call would ask nobody, because " + why + ": it would go ahead on the gate's confirmations alone (" + mode +
				", and PROXMOX_CONSENT_FALLBACK=gate lets such calls go ahead when nobody can be asked; refuse would refuse them)."},
		{"cannot ask, fallback refuse", FallbackRefuse, true, ConsentUnavailable, why,
			"But the real call would be refused, and nothing sent: " + mode + ", " + why + ", and PROXMOX_CONSENT_FALLBACK=refuse refuses such calls."},
		{"cannot ask, fallback refuse, gate refuses too", FallbackRefuse, false, ConsentUnavailable, why,
			"Once the gate allows it, the real call would be refused, and nothing sent: " + mode + ", " + why + ", and PROXMOX_CONSENT_FALLBACK=refuse refuses such calls."},
		{"too long, whatever the fallback", FallbackGate, true, ConsentTooLong, "61 lines",
			"But the real call would be refused without asking anyone, and nothing sent: its request is too long to show a person whole (61 lines)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestConsent(t, ConsentConfig{Fallback: tc.fallback})
			if diff := cmp.Diff(tc.want, c.ConsentDryRunNote(tc.allowed, tc.outcome, tc.detail)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
