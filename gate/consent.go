package gate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Consent is the policy of human approval: after the three-tier gate lets a call through and its target is
// resolved, a person approves the one request it would send, through the MCP client, in a way the model cannot
// answer for them. Consent adds to the gate; it never replaces it.
//
// It also holds the state of pending approvals: the signed requestState a stateless client carries between
// the question and the answer, and the record of states already used. It knows nothing of MCP or HTTP: the
// round trip itself is the tools package's.
type Consent struct {
	mode     ConsentMode
	fallback ConsentFallback
	timeout  time.Duration
	min      time.Duration
	key      []byte
	shared   bool
	now      func() time.Time

	mu    sync.Mutex
	spent map[string]time.Time // nonce of every state redeemed here -> when it expires
}

// ConsentMode says which calls a person approves.
type ConsentMode string

// The consent modes (PROXMOX_CONSENT).
const (
	ConsentDestructive ConsentMode = "destructive" // every call above the write tier: destroy, delete, roll back, force stop, ...
	ConsentWrites      ConsentMode = "writes"      // every call that changes the cluster
	ConsentOff         ConsentMode = "off"         // nobody is asked: the gate alone decides
)

// ConsentFallback says what happens when the person cannot be asked.
type ConsentFallback string

// The fallbacks (PROXMOX_CONSENT_FALLBACK).
const (
	FallbackGate   ConsentFallback = "gate"   // the three-tier gate alone decides, and the result says nobody was asked
	FallbackRefuse ConsentFallback = "refuse" // fail closed: the call is refused
)

// The settings consent reads; its messages name them.
const (
	EnvConsent           = "PROXMOX_CONSENT"
	EnvConsentFallback   = "PROXMOX_CONSENT_FALLBACK"
	EnvConsentTimeout    = "PROXMOX_CONSENT_TIMEOUT"
	EnvConsentMinSeconds = "PROXMOX_CONSENT_MIN_SECONDS"
	EnvStateKey          = "PROXMOX_MCP_STATE_KEY"
)

// Defaults of the consent settings. The timeout stays below the clients' own tool-call timeouts.
const (
	DefaultConsentTimeout = 120 * time.Second
	DefaultConsentMin     = time.Second
	// MinStateKeyLength is the shortest PROXMOX_MCP_STATE_KEY accepted: 32 characters, e.g. openssl rand -hex 32.
	MinStateKeyLength = 32
)

// The outcomes of consent, as the audit trail and the results name them.
const (
	ConsentAsked       = "asked"        // the question went out in an input-required result; the answer comes with a new call
	ConsentAccepted    = "accepted"     // the person typed the expected answer, and the target had not changed
	ConsentDeclined    = "declined"     // the person declined
	ConsentCancelled   = "cancelled"    // the person dismissed the question
	ConsentWrongAnswer = "wrong_answer" // the person accepted but typed something else
	ConsentTimedOut    = "timed_out"    // no answer came within the timeout
	ConsentClosed      = "closed"       // the client went away, or cancelled the call, before an answer came
	ConsentUnavailable = "unavailable"  // this client cannot be asked: the fallback applies
	ConsentNotShown    = "not_shown"    // a decline or cancel too fast for a person to have read the question: the fallback applies
	ConsentAskFailed   = "ask_failed"   // the client answered the question with an error: the fallback applies
	ConsentTampered    = "tampered"     // the requestState does not verify, or was not issued for this call
	ConsentExpired     = "expired"      // the requestState came back after the timeout
	ConsentReplayed    = "replayed"     // the requestState was used already
	ConsentChanged     = "changed"      // the target or the request differs from what the person approved
	ConsentTooLong     = "too_long"     // the request is too long to show a person whole: nobody was asked, nothing is sent
)

// ConsentConfig configures NewConsent. The zero value is the default policy with a random per-process key.
type ConsentConfig struct {
	Mode     ConsentMode     // "" is ConsentDestructive
	Fallback ConsentFallback // "" is FallbackGate
	Timeout  time.Duration   // 0 is DefaultConsentTimeout
	// MinAnswer is how long a person needs at least to read a question: a decline or cancel sooner than this
	// counts as a question that was never shown. Negative means the default; 0 counts every decline.
	MinAnswer time.Duration
	// Key signs requestState (PROXMOX_MCP_STATE_KEY); replicas that share it accept each other's state. Empty
	// draws a random key, so only this process accepts its own state.
	Key []byte
	// Now is the clock (nil: time.Now); tests step it.
	Now func() time.Time
}

// NewConsent checks a configuration and makes the policy.
func NewConsent(cfg ConsentConfig) (*Consent, error) {
	c := &Consent{mode: cfg.Mode, fallback: cfg.Fallback, timeout: cfg.Timeout, min: cfg.MinAnswer, now: cfg.Now,
		spent: map[string]time.Time{}}
	if c.mode == "" {
		c.mode = ConsentDestructive
	}
	if c.fallback == "" {
		c.fallback = FallbackGate
	}
	if c.timeout == 0 {
		c.timeout = DefaultConsentTimeout
	}
	if c.min < 0 {
		c.min = DefaultConsentMin
	}
	if c.now == nil {
		c.now = time.Now
	}
	var problems []string
	switch c.mode {
	case ConsentDestructive, ConsentWrites, ConsentOff:
	default:
		problems = append(problems, fmt.Sprintf("%s=%q is not destructive, writes or off", EnvConsent, string(c.mode)))
	}
	switch c.fallback {
	case FallbackGate, FallbackRefuse:
	default:
		problems = append(problems, fmt.Sprintf("%s=%q is not gate or refuse", EnvConsentFallback, string(c.fallback)))
	}
	if c.timeout < 0 {
		problems = append(problems, fmt.Sprintf("%s must be positive", EnvConsentTimeout))
	}
	if c.min >= c.timeout {
		problems = append(problems, fmt.Sprintf("%s (%s) must be shorter than %s (%s)", EnvConsentMinSeconds, c.min, EnvConsentTimeout, c.timeout))
	}
	switch {
	case len(cfg.Key) == 0:
		c.key = make([]byte, 32)
		if _, err := rand.Read(c.key); err != nil {
			return nil, fmt.Errorf("consent: draw a state key: %w", err)
		}
	case len(cfg.Key) < MinStateKeyLength:
		problems = append(problems, fmt.Sprintf("%s is shorter than %d characters: use a long random key (e.g. openssl rand -hex 32)", EnvStateKey, MinStateKeyLength))
	default:
		c.key, c.shared = append([]byte(nil), cfg.Key...), true
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

// Mode is the consent mode.
func (c *Consent) Mode() ConsentMode { return c.mode }

// Fallback is what happens when the person cannot be asked.
func (c *Consent) Fallback() ConsentFallback { return c.fallback }

// Timeout is how long a question waits for its answer, and how long a requestState lives.
func (c *Consent) Timeout() time.Duration { return c.timeout }

// MinAnswer is the shortest time a person's decline can take.
func (c *Consent) MinAnswer() time.Duration { return c.min }

// Now is the consent clock.
func (c *Consent) Now() time.Time { return c.now() }

// Applies reports whether a call of tier t needs a person's approval. In destructive mode every tier above
// a plain write asks, so that a tier added later (exec, say) asks too rather than slipping through.
func (c *Consent) Applies(t Tier) bool {
	if c == nil || t == Read {
		return false
	}
	switch c.mode {
	case ConsentWrites:
		return true
	case ConsentDestructive:
		return t != Write
	}
	return false
}

// Asks names the calls the mode asks a person about, from the tiers it applies to: "every destructive and
// exec call". A tier added later is named as soon as Applies covers it.
func (c *Consent) Asks() string {
	var tiers []string
	for t := Write; t.Valid(); t++ {
		if c.Applies(t) {
			tiers = append(tiers, t.String())
		}
	}
	if len(tiers) == 0 {
		return "no call"
	}
	var b strings.Builder
	b.WriteString("every ")
	writeList(&b, tiers)
	b.WriteString(" call")
	return b.String()
}

// modeSetting is the mode as results name it, with what it asks: "PROXMOX_CONSENT=destructive asks a person
// about every destructive and exec call".
func (c *Consent) modeSetting() string {
	return fmt.Sprintf("%s=%s asks a person about %s", EnvConsent, c.mode, c.Asks())
}

// Describe is the one line doctor and the startup log print.
func (c *Consent) Describe() string {
	if c.mode == ConsentOff {
		return fmt.Sprintf("%s=off: nobody is asked; the three-tier gate alone decides", EnvConsent)
	}
	key := "a random key of this process (set " + EnvStateKey + " to share approvals between replicas)"
	if c.shared {
		key = EnvStateKey
	}
	return fmt.Sprintf("%s=%s: a person approves %s through the MCP client; %s=%s when the client cannot ask; "+
		"questions wait %s; a decline within %s counts as not shown; approvals signed with %s",
		EnvConsent, c.mode, c.Asks(), EnvConsentFallback, c.fallback, c.timeout, c.min, key)
}

// Plan is the one request a person approves, and what the target looked like when they were asked.
type Plan struct {
	Tool   string
	Method string
	Path   string
	Params url.Values
	// State is what was read of the target, as "key=value" facts in a fixed order (status, configuration
	// digest, newest task, snapshots, ...): if any of it differs when the call is sent, it is refused.
	State []string
}

// Digest binds an approval to exactly one request and one state of its target: a SHA-256 of all of the plan.
func (p Plan) Digest() string {
	// encoding/json writes map keys sorted: the same plan always encodes to the same bytes.
	b, err := json.Marshal(struct {
		V      int        `json:"v"`
		Tool   string     `json:"tool"`
		Method string     `json:"method"`
		Path   string     `json:"path"`
		Params url.Values `json:"params"`
		State  []string   `json:"state"`
	}{1, p.Tool, p.Method, p.Path, p.Params, p.State})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Ticket is a verified requestState: the approval it stands for was asked at Asked, about the plan with Digest.
type Ticket struct {
	Digest  string
	Asked   time.Time
	Expires time.Time
}

// statePrefix versions the requestState format.
const statePrefix = "pmc1"

// stateClaims is what a requestState carries, signed.
type stateClaims struct {
	Tool    string `json:"t"`
	Digest  string `json:"d"`
	Nonce   string `json:"n"`
	Asked   int64  `json:"a"` // unix milliseconds
	Expires int64  `json:"e"` // unix milliseconds
}

// Issue signs the requestState of a question asked now about the plan with digest, for the tool named.
func (c *Consent) Issue(tool, digest string) (state string, asked time.Time) {
	asked = c.now()
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	payload, err := json.Marshal(stateClaims{Tool: tool, Digest: digest, Nonce: hex.EncodeToString(nonce),
		Asked: asked.UnixMilli(), Expires: asked.Add(c.timeout).UnixMilli()})
	if err != nil {
		panic(err)
	}
	body := statePrefix + "." + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(c.mac(body)), asked
}

func (c *Consent) mac(body string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Errors of Redeem, each matching one consent outcome.
var (
	ErrStateTampered = errors.New("the requestState does not verify")
	ErrStateExpired  = errors.New("the requestState has expired")
	ErrStateReplayed = errors.New("the requestState was used already")
)

// RedeemOutcome is the consent outcome of a Redeem error.
func RedeemOutcome(err error) string {
	switch {
	case errors.Is(err, ErrStateExpired):
		return ConsentExpired
	case errors.Is(err, ErrStateReplayed):
		return ConsentReplayed
	}
	return ConsentTampered
}

// Redeem verifies a requestState that came back for tool, and spends it: a state verifies once in this process.
// Across replicas a state is single-use through its digest: the plan includes the target's newest task, and
// the one request an approval sends starts a task, so once it is sent, the same state's digest matches on no
// replica. (Two replicas redeeming the same state at the same instant, before either has sent, could both
// pass; a shared store would be needed to close that window.)
func (c *Consent) Redeem(state, tool string) (Ticket, error) {
	parts := strings.Split(state, ".")
	if len(parts) != 3 || parts[0] != statePrefix {
		return Ticket{}, ErrStateTampered
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, c.mac(parts[0]+"."+parts[1])) {
		return Ticket{}, ErrStateTampered
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Ticket{}, ErrStateTampered
	}
	var cl stateClaims
	if err := json.Unmarshal(payload, &cl); err != nil || cl.Tool != tool || cl.Nonce == "" || cl.Digest == "" {
		return Ticket{}, ErrStateTampered
	}
	t := Ticket{Digest: cl.Digest, Asked: time.UnixMilli(cl.Asked), Expires: time.UnixMilli(cl.Expires)}
	now := c.now()
	if now.After(t.Expires) {
		return t, ErrStateExpired
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, exp := range c.spent {
		if now.After(exp) {
			delete(c.spent, n) // an expired state fails on its expiry; it need not be remembered
		}
	}
	if _, used := c.spent[cl.Nonce]; used {
		return t, ErrStateReplayed
	}
	c.spent[cl.Nonce] = t.Expires
	return t, nil
}

// Answer is what came back to a question.
type Answer struct {
	Action  string        // accept, decline or cancel
	Text    string        // what the person typed, for accept
	Elapsed time.Duration // from the question to the answer
}

// Judge turns an answer into an outcome. An accept approves only with one of the expected answers typed
// (surrounding space and letter case aside); a decline or cancel faster than MinAnswer was not a person's.
func (c *Consent) Judge(a Answer, expect ...string) string {
	switch a.Action {
	case "accept":
		typed := strings.TrimSpace(a.Text)
		for _, e := range expect {
			if e != "" && strings.EqualFold(typed, e) {
				return ConsentAccepted
			}
		}
		return ConsentWrongAnswer
	case "decline":
		if a.Elapsed < c.min {
			return ConsentNotShown
		}
		return ConsentDeclined
	}
	if a.Elapsed < c.min {
		return ConsentNotShown
	}
	return ConsentCancelled
}

// IsFallback reports whether an outcome means the person could not be asked, so the fallback decides.
func IsFallback(outcome string) bool {
	return outcome == ConsentUnavailable || outcome == ConsentNotShown || outcome == ConsentAskFailed
}

// Proceeds reports whether a call with this consent outcome may be sent.
func (c *Consent) Proceeds(outcome string) bool {
	if outcome == ConsentAccepted {
		return true
	}
	return IsFallback(outcome) && c.fallback == FallbackGate
}
