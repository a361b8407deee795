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
		fmt.Fprintf(&b, "%s needs a person's approval on this server (%s=%s), and %s; %s=%s refuses such calls. "+
			"Tell the person: they can use an MCP client that shows elicitation questions, or ask the operator. Do not change the server's configuration yourself.",
			capitalize(what), EnvConsent, c.mode, detail, EnvConsentFallback, FallbackRefuse)
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

// ConsentDryRunNote is what a dry run adds when the real call would also ask a person.
func (c *Consent) ConsentDryRunNote() string {
	return fmt.Sprintf("The real call would also ask the person to approve it through the client, showing this request (%s=%s).", EnvConsent, c.mode)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
