package tools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Consent: after the gate let a write through and its target is resolved, and right before its one request is
// sent, a person approves it through the MCP client (gate.Consent says when, and holds the signed state).
//
// How the question travels depends on the client:
//   - a client on protocol 2026-07-28 (any transport) gets an input-required result carrying the question
//     and a signed requestState; it asks the person and calls the tool again with the answer and the state;
//   - a client on an older protocol with a channel for server requests (stdio) gets elicitation/create in the
//     middle of the call, which waits up to the consent timeout;
//   - anyone else (an older client over this stateless HTTP server, a client without form elicitation) cannot
//     be asked, and the fallback decides.
//
// mcp-go can bridge an input-required result to an older client itself, but it would run the whole tool
// (gate, audit, reads) a second time, with no timeout: older clients are asked here, within the one call.

// consentInputID keys the question in an input-required result and its answer in the retry.
const consentInputID = "consent"

// approve gets the person's approval of req, or the fallback's leave, or refuses. It returns nil when the
// request may be sent (with what consent did noted in res), a *consentRefusal when it must not, an
// *inputRequired when the question went out in the result, or another error when a read the plan needs
// failed. Nothing is sent to Proxmox here but reads.
func (e *env) approve(ctx context.Context, c *call, res *writeResult, req pve.Request) error {
	k := e.consent
	if !k.Applies(c.permit.Tier) {
		return nil
	}
	if c.input.RequestState != "" || len(c.input.InputResponses) > 0 {
		return e.redeem(ctx, c, res, req)
	}
	step := e.consentStep(ctx, c, req)
	if step.outcome != "" {
		// Decided without asking: the fallback's leave or refusal, or a request too long to show.
		return e.fallback(res, req, step.outcome, "", step.detail)
	}
	p, err := e.readPlan(ctx, c, res, req, true)
	if err != nil {
		return err
	}
	digest := p.plan.Digest()
	e.log.Info().Str("tool", c.tool).Str("digest", digest).Str("via", string(step.via)).Msg("consent: asking the person")
	if step.via == viaRoundTrip {
		state, _ := k.Issue(c.tool, digest)
		return &inputRequired{
			result:  server.NewInputRequestBuilder(state).Elicit(consentInputID, p.form(e.redactor.String)).ToolResult(),
			outcome: gate.Outcome{Decision: gate.Pending, Consent: gate.ConsentAsked, Digest: digest, Target: res.targetText(), Request: req.String()},
		}
	}
	outcome, detail := e.ask(ctx, p)
	switch {
	case outcome == gate.ConsentAccepted:
		return e.recheck(ctx, c, res, req, digest)
	case gate.IsFallback(outcome):
		return e.fallback(res, req, outcome, digest, detail)
	}
	return e.refuse(res, req, outcome, digest, detail)
}

// consentStep is what consent does first with a call it applies to, before anything is read: ask the person
// (via says how), or decide without asking (outcome): the client cannot be asked, so the fallback decides; or
// the request is too long to show a person, so it is refused. The real call and its dry run both take it from
// here, so that a dry run says what the real call would do in this session.
type consentStep struct {
	via             askVia
	outcome, detail string
}

func (e *env) consentStep(ctx context.Context, c *call, req pve.Request) consentStep {
	via, why := askChannel(ctx)
	if via == noChannel {
		return consentStep{outcome: gate.ConsentUnavailable, detail: why}
	}
	if shown := showRequest(req); !shown.fits() {
		return consentStep{outcome: gate.ConsentTooLong, detail: shown.tooLong()}
	}
	return consentStep{via: via}
}

// askVia is how a question can reach the person.
type askVia string

const (
	noChannel    askVia = ""
	viaRoundTrip askVia = "input_required"
	viaRequest   askVia = "elicitation/create"
)

// askChannel finds how this call's client can be asked, or says why it cannot.
func askChannel(ctx context.Context) (askVia, string) {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if !formElicitation(info.ClientCapabilities) {
			return noChannel, "this client did not declare form elicitation for this call"
		}
		return viaRoundTrip, ""
	}
	session := server.ClientSessionFromContext(ctx)
	if _, ok := session.(server.SessionWithElicitation); !ok || server.ServerFromContext(ctx) == nil {
		return noChannel, "this connection cannot carry a question to the person"
	}
	if session.SessionID() == "" {
		// Stateless streamable HTTP: nothing would route the client's answer back to this call.
		return noChannel, "this client speaks an MCP version before 2026-07-28 over stateless streamable HTTP, where only clients on 2026-07-28 can be asked"
	}
	ci, ok := session.(server.SessionWithClientInfo)
	if !ok {
		return noChannel, "this connection does not say what the client supports"
	}
	if caps := ci.GetClientCapabilities(); !formElicitation(&caps) {
		return noChannel, "this client did not declare the elicitation capability"
	}
	return viaRequest, ""
}

// formElicitation reports whether a client can answer a form question; a bare elicitation capability means
// form mode, as the protocol had only that before URL mode came.
func formElicitation(caps *mcp.ClientCapabilities) bool {
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

// ask puts the question to the person through elicitation/create and waits up to the consent timeout.
func (e *env) ask(ctx context.Context, p *consentPlan) (outcome, detail string) {
	k := e.consent
	askCtx, cancel := context.WithTimeout(ctx, k.Timeout())
	defer cancel()
	asked := k.Now()
	ans, err := server.ServerFromContext(ctx).RequestElicitation(askCtx, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  p.form(e.redactor.String),
	})
	elapsed := k.Now().Sub(asked)
	switch {
	case ctx.Err() != nil, isClosed(err):
		return gate.ConsentClosed, ""
	case askCtx.Err() != nil:
		return gate.ConsentTimedOut, ""
	case errors.Is(err, server.ErrElicitationNotSupported), errors.Is(err, server.ErrServerInitiatedRequestUnsupported):
		return gate.ConsentUnavailable, "this connection cannot carry a question to the person"
	case err != nil:
		return gate.ConsentAskFailed, "the client answered the question with an error (" + clean(e.redactor.String(err.Error()), 200) + ")"
	case ans == nil:
		return gate.ConsentAskFailed, "the client answered the question with nothing"
	}
	outcome = k.Judge(gate.Answer{Action: string(ans.Action), Text: typed(ans.Content), Elapsed: elapsed}, p.expect...)
	return outcome, judged(k, outcome, string(ans.Action), elapsed, p)
}

// judged is the detail a result gives about a judged answer.
func judged(k *gate.Consent, outcome, action string, elapsed time.Duration, p *consentPlan) string {
	switch outcome {
	case gate.ConsentWrongAnswer:
		return "approving takes " + p.prompt
	case gate.ConsentNotShown:
		return fmt.Sprintf("the client answered %q %.1f s after the question, sooner than a person can read it (%s=%g), so it was taken as not shown",
			action, elapsed.Seconds(), gate.EnvConsentMinSeconds, k.MinAnswer().Seconds())
	}
	return ""
}

// isClosed reports whether asking failed because the connection to the client is gone.
func isClosed(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed)
}

// redeem handles the call that comes back with the answer to an input-required question: the signed state
// first (no request is made for a state that does not verify), then the answer, then the target, read once
// more, against what the person saw.
func (e *env) redeem(ctx context.Context, c *call, res *writeResult, req pve.Request) error {
	k := e.consent
	if c.input.RequestState == "" {
		return e.refuse(res, req, gate.ConsentTampered, "", "")
	}
	t, err := k.Redeem(c.input.RequestState, c.tool)
	if err != nil {
		return e.refuse(res, req, gate.RedeemOutcome(err), t.Digest, "")
	}
	ans := server.ElicitationResponse(c.input.InputResponses, consentInputID)
	if ans == nil {
		return e.refuse(res, req, gate.ConsentCancelled, t.Digest, "")
	}
	p, err := e.readPlan(ctx, c, res, req, false)
	if errors.Is(err, pve.ErrNotFound) {
		return e.refuse(res, req, gate.ConsentChanged, t.Digest, "the guest is no longer where it was when the person was asked")
	}
	if err != nil {
		return err
	}
	elapsed := k.Now().Sub(t.Asked)
	outcome := k.Judge(gate.Answer{Action: string(ans.Action), Text: typed(ans.Content), Elapsed: elapsed}, p.expect...)
	switch {
	case outcome == gate.ConsentAccepted:
		if d := p.plan.Digest(); d != t.Digest {
			return e.refuse(res, req, gate.ConsentChanged, t.Digest, "the request, or the target's status, configuration, snapshots or tasks, differ from when the person was asked")
		}
		e.approved(res, t.Digest)
		return nil
	case gate.IsFallback(outcome):
		return e.fallback(res, req, outcome, t.Digest, judged(k, outcome, string(ans.Action), elapsed, p))
	}
	return e.refuse(res, req, outcome, t.Digest, judged(k, outcome, string(ans.Action), elapsed, p))
}

// recheck reads the target again after the person approved, and lets the request go only if nothing changed.
func (e *env) recheck(ctx context.Context, c *call, res *writeResult, req pve.Request, digest string) error {
	p, err := e.readPlan(ctx, c, res, req, false)
	if err != nil {
		if errors.Is(err, pve.ErrNotFound) {
			return e.refuse(res, req, gate.ConsentChanged, digest, "the guest is no longer where it was when the person was asked")
		}
		return err
	}
	if p.plan.Digest() != digest {
		return e.refuse(res, req, gate.ConsentChanged, digest, "the target's status, configuration, snapshots or tasks changed while the person was asked")
	}
	e.approved(res, digest)
	return nil
}

func (e *env) approved(res *writeResult, digest string) {
	res.consent, res.digest = gate.ConsentAccepted, digest
	res.Note = joinNotes(res.Note, "The person approved this request through the client before it was sent.")
}

// fallback applies PROXMOX_CONSENT_FALLBACK to a call whose person could not be asked; any other outcome that
// is not an approval (a request too long to show) refuses.
func (e *env) fallback(res *writeResult, req pve.Request, outcome, digest, detail string) error {
	if !e.consent.Proceeds(outcome) {
		return e.refuse(res, req, outcome, digest, detail)
	}
	res.consent, res.digest = outcome, digest
	res.Note = joinNotes(res.Note, e.consent.FallbackNote(outcome, detail))
	return nil
}

func (e *env) refuse(res *writeResult, req pve.Request, outcome, digest, detail string) error {
	what := res.what
	if what == "" {
		what = res.action
	}
	return &consentRefusal{
		text:    e.consent.ConsentRefusal(what, outcome, detail),
		outcome: gate.Outcome{Decision: gate.Refused, Consent: outcome, Digest: digest, Target: res.targetText(), Request: req.String()},
	}
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// consentDryRunNote is what a dry run adds about consent: what the real call would do in this session (ask,
// go ahead or be refused under the fallback, or be refused as too long to show), from the same step.
func (e *env) consentDryRunNote(ctx context.Context, c *call, req pve.Request) string {
	if !e.consent.Applies(c.permit.Tier) {
		return ""
	}
	step := e.consentStep(ctx, c, req)
	return " " + e.consent.ConsentDryRunNote(len(c.permit.Unmet) == 0, step.outcome, step.detail)
}

// consentRefusal is a call consent refused: nothing was sent.
type consentRefusal struct {
	text    string
	outcome gate.Outcome
}

func (r *consentRefusal) Error() string { return r.text }

// inputRequired is a call that returns its question to the client instead of a result.
type inputRequired struct {
	result  *mcp.CallToolResult
	outcome gate.Outcome
}

func (r *inputRequired) Error() string { return "the call waits for the person's answer" }

// consentResult is the result and audit outcome of a call that consent stopped, if it did.
func consentResult(err error) (*mcp.CallToolResult, gate.Outcome, bool) {
	var ir *inputRequired
	if errors.As(err, &ir) {
		return ir.result, ir.outcome, true
	}
	var cr *consentRefusal
	if errors.As(err, &cr) {
		return mcp.NewToolResultError(cr.text), cr.outcome, true
	}
	return nil, gate.Outcome{}, false
}
