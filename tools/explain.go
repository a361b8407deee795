package tools

import (
	"errors"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// hints say what to do about a class of failure, after the error's own text; file is the hint when a targets
// file configures the clusters (where it differs).
var hints = []struct {
	err        error
	hint, file string
}{
	{pve.ErrAuth, "Proxmox rejected the API token: the operator should check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (proxmox-mcp doctor tells what is wrong).",
		"Proxmox rejected the API token: the operator should check the cluster's token_id and secret in the targets file (proxmox-mcp doctor tells what is wrong)."},
	{pve.ErrPermission, "The API token lacks this privilege; granting it is the operator's decision.", ""},
	{pve.ErrUnknownNode, "The cluster has no node of that name: proxmox_status lists its nodes.", ""},
	{pve.ErrNodeProxy, "Proxmox could not reach that node: it may be offline or rebooting. proxmox_status shows which nodes are online.", ""},
	{pve.ErrTimeout, "Proxmox did not answer in time (PROXMOX_TIMEOUT).", "Proxmox did not answer in time (the cluster's timeout)."},
	{pve.ErrConnRefused, "Nothing answered at PROXMOX_URL: Proxmox is down or the address is wrong.",
		"Nothing answered at the cluster's url: Proxmox is down or the address is wrong."},
	{pve.ErrTLS, "The server's certificate is not trusted: pin it with PROXMOX_TLS_FINGERPRINT (proxmox-mcp doctor shows the fingerprint).",
		"The server's certificate is not trusted: pin it with the cluster's tls_fingerprint (proxmox-mcp doctor shows the fingerprint)."},
	{pve.ErrDecode, "Proxmox, or a proxy in front of it, sent an answer that is not Proxmox's JSON.", ""},
	{pve.ErrTooLarge, "The answer was larger than this server accepts.", ""},
	{pve.ErrRedirect, "PROXMOX_URL should point at the Proxmox API itself, not at something that redirects.",
		"The cluster's url should point at the Proxmox API itself, not at something that redirects."},
	{pve.ErrUnavailable, "Proxmox, or a proxy in front of it, is unavailable; try again later.", ""},
	{pve.ErrConnection, "The connection to Proxmox failed.", ""},
	{pve.ErrInvalidRequest, "Nothing was sent to Proxmox.", ""},
}

// explain turns an error into the text of an isError result: the error, then what to do about it. Whatever
// Proxmox said in it (its message, each parameter's complaint) is quoted as cluster text, and the whole is one
// clean, bounded line: an error is read by the model like any result.
func explain(err error) string { return explainIn(err, false) }

// explainIn is explain, with the hints for clusters of a targets file when file is set.
func explainIn(err error, file bool) string {
	var argErr *ArgError
	if errors.As(err, &argErr) {
		return argErr.Error()
	}
	var none *noneAnswered
	if errors.As(err, &none) {
		return none.explain(file)
	}
	s, quoted := sentences(err, file)
	if quoted {
		s += " " + inlineLegend
	}
	return s
}

// sentences is an error's explanation without the legend: "Error: what happened. What to do about it." and
// whether Proxmox's text is quoted in it.
func sentences(err error, file bool) (string, bool) {
	msg, quoted := quotedText(err)
	msg = "Error: " + endSentence(clean(msg, maxError))
	for _, h := range hints {
		if errors.Is(err, h.err) {
			if file && h.file != "" {
				return msg + " " + h.file, quoted
			}
			return msg + " " + h.hint, quoted
		}
	}
	return msg, quoted
}

// endSentence ends a text with a full stop unless it ends with one already, or was cut ("…").
func endSentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "…") {
		return s
	}
	return s + "."
}

// noneAnswered is a call to several clusters that none of them answered.
type noneAnswered struct {
	names []string
	errs  []error
}

func (e *noneAnswered) Error() string {
	parts := make([]string, len(e.names))
	for i, n := range e.names {
		parts[i] = n + ": " + e.errs[i].Error()
	}
	return "no cluster answered: " + strings.Join(parts, "; ")
}

// explain says that no cluster answered, then each cluster's error and advice as sentences of their own, and
// the legend once.
func (e *noneAnswered) explain(file bool) string {
	var b strings.Builder
	b.WriteString("Error: no cluster answered.")
	legend := false
	for i, n := range e.names {
		s, quoted := sentences(e.errs[i], file)
		b.WriteString(" " + n + ": " + strings.TrimPrefix(s, "Error: "))
		legend = legend || quoted
	}
	if legend {
		b.WriteString(" " + inlineLegend)
	}
	return b.String()
}

// quotedText is an error's text with every piece of Proxmox's text in it quoted as cluster text: a Proxmox
// answer's text is built quoted (pve.APIError.Quoted), and the words of the errors that wrap it are kept
// around it as they are. quoted reports whether there was any.
func quotedText(err error) (msg string, quoted bool) {
	if ae, ok := err.(*pve.APIError); ok {
		return ae.Quoted(quoteCluster), true
	}
	var parts []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if in := u.Unwrap(); in != nil {
			parts = []error{in}
		}
	case interface{ Unwrap() []error }:
		parts = u.Unwrap()
	}
	whole := err.Error()
	if len(parts) == 1 {
		// The wrapper's words, then (or around) its cause's: the cause is the last place its text appears.
		inner := parts[0].Error()
		i := strings.LastIndex(whole, inner)
		if i < 0 {
			return whole, false // a wrapper that does not repeat its cause: its own words are all there is
		}
		in, q := quotedText(parts[0])
		return whole[:i] + in + whole[i+len(inner):], q
	}
	// Several causes (errors.Join, or several %w): each in turn, in the order the message has them.
	var b strings.Builder
	pos := 0
	for _, p := range parts {
		pt := p.Error()
		i := strings.Index(whole[pos:], pt)
		if i < 0 {
			continue
		}
		in, q := quotedText(p)
		b.WriteString(whole[pos : pos+i])
		b.WriteString(in)
		pos += i + len(pt)
		quoted = quoted || q
	}
	b.WriteString(whole[pos:])
	return b.String(), quoted
}

// quoteCluster marks one piece of Proxmox's text as cluster text.
func quoteCluster(s string) string { return inline(s, maxValue) }

// maxError bounds the text of an error result.
const maxError = 2000
