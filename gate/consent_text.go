package gate

import (
	"fmt"
	"strings"
)

// What results say about consent. The model reads these: a refusal says what happened and that the decision
// was the person's, so the model does not try again on its own; a fallback note says nobody was asked.

// ConsentRefusal is the text of a call consent refused. what names the action ("destroy VM 104 «web» on
// pve2"); detail is what the tools know besides: the answers that approve, why the client could not be asked,
// what changed.
func (c *Consent) ConsentRefusal(what, outcome, detail string) string {
	var b strings.Builder
	b.WriteString("Refused, nothing was sent to Proxmox: ")
	person := true
	switch outcome {
	case ConsentDeclined:
		fmt.Fprintf(&b, "the person declined to approve %s.", what)
	case ConsentCancelled:
		fmt.Fprintf(&b, "the person dismissed the question approving %s.", what)
	case ConsentWrongAnswer:
		fmt.Fprintf(&b, "the person accepted without typing what approves %s (%s).", what, detail)
	case ConsentTimedOut:
		fmt.Fprintf(&b, "nobody answered the question approving %s within %s (%s).", what, c.timeout, EnvConsentTimeout)
	case ConsentClosed:
		fmt.Fprintf(&b, "the question approving %s ended before an answer came (the client closed it or cancelled the call).", what)
	case ConsentTampered:
		person = false
		fmt.Fprintf(&b, "the answer approving %s came back with a requestState this server cannot verify: it was altered, made for another call, or signed with another %s.", what, EnvStateKey)
	case ConsentExpired:
		person = false
		fmt.Fprintf(&b, "the answer approving %s came back after its question expired (%s, %s).", what, c.timeout, EnvConsentTimeout)
	case ConsentReplayed:
		person = false
		fmt.Fprintf(&b, "the approval of %s was used already: one approval sends one request.", what)
	case ConsentChanged:
		person = false
		fmt.Fprintf(&b, "%s is not what the person approved: %s.", capitalize(what), detail)
	case ConsentTooLong:
		// Not the person's decision, and nothing to show them again: the request itself must change.
		fmt.Fprintf(&b, "the request to %s is too long to show a person whole (%s), and a person approves only what they can read in full. "+
			"Nobody was asked. If the person still wants this, send it as shorter requests (fewer or shorter values, a smaller input), each of which they approve.", what, detail)
		return b.String()
	default:
		// The person could not be asked and the fallback refuses.
		fmt.Fprintf(&b, "%s needs a person's approval on this server (%s), and %s; %s=%s refuses such calls. "+
			"Tell the person: they can use an MCP client that shows elicitation questions, or ask the operator. Do not change the server's configuration yourself.",
			capitalize(what), c.modeSetting(), detail, EnvConsentFallback, FallbackRefuse)
		if outcome == ConsentNotShown {
			b.WriteString(" If the person did decline, that stands: do not retry on your own.")
		}
		return b.String()
	}
	if person {
		b.WriteString(" The decision is the person's: do not retry this call, or reach the same end another way, on your own. Tell them it was not done, and call again only if they ask for it.")
	} else {
		b.WriteString(" Call the tool again, without requestState, to show the person the current plan, if they still want it.")
	}
	return b.String()
}

// FallbackNote is what a result says when the person could not be asked and the gate alone let the call go.
func (c *Consent) FallbackNote(outcome, detail string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nobody approved this: %s. It went ahead on the gate's confirmations alone, as %s=%s allows (%s would have refused it).",
		detail, EnvConsentFallback, FallbackGate, FallbackRefuse)
	if outcome == ConsentNotShown {
		fmt.Fprintf(&b, " If a person did decline, the operator should lower %s (0 takes every decline as the person's); if this client never shows questions, %s=%s refuses such calls.",
			EnvConsentMinSeconds, EnvConsentFallback, FallbackRefuse)
	}
	return b.String()
}

// ConsentDryRunNote is what a dry run adds about consent: what the real call would do in this session, from
// the outcome the real call would start from ("" when it would ask the person; ConsentUnavailable when this
// client cannot be asked; ConsentTooLong), decided as the real call decides it. allowed says whether the gate
// would let the real call through; when it would not, the note says what happens once it does.
func (c *Consent) ConsentDryRunNote(allowed bool, outcome, detail string) string {
	refused := outcome != "" && !c.Proceeds(outcome)
	subject := "The real call"
	switch {
	case !allowed:
		subject = "Once the gate allows it, the real call"
	case refused:
		subject = "But the real call" // after the gate's "would be allowed"
	}
	switch {
	case outcome == "":
		return fmt.Sprintf("%s would also ask the person to approve it through the client, showing this request (%s).", subject, c.modeSetting())
	case outcome == ConsentTooLong:
		return fmt.Sprintf("%s would be refused without asking anyone, and nothing sent: its request is too long to show a person whole (%s).", subject, detail)
	case c.Proceeds(outcome):
		return fmt.Sprintf("%s would ask nobody, because %s: it would go ahead on the gate's confirmations alone (%s, and %s=%s lets such calls go ahead when nobody can be asked; %s would refuse them).",
			subject, detail, c.modeSetting(), EnvConsentFallback, FallbackGate, FallbackRefuse)
	}
	return fmt.Sprintf("%s would be refused, and nothing sent: %s, %s, and %s=%s refuses such calls.",
		subject, c.modeSetting(), detail, EnvConsentFallback, FallbackRefuse)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
