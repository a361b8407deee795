package pvesim

import (
	"fmt"
	"strings"
)

// apiError is an error answer as pveproxy sends it: the text goes to the reason phrase (first line) and, for
// the statuses whose answers have a body, to the body's "message" member.
type apiError struct {
	status int
	// msg is Proxmox's text exactly, usually ending in "\n" because it comes from a Perl `die "…\n"`.
	msg string
	// params is a 400 answer's errors map: one entry per bad parameter.
	params map[string]string
	// noBody marks answers pveproxy produces below the API layer (401, 595/596, bad methods): no JSON body.
	noBody bool
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, strings.TrimSpace(e.msg)) }

// fail is a 500, the status of every handler failure ("does not exist" included: PVE never sends 404).
func fail(format string, args ...any) *apiError {
	return &apiError{status: 500, msg: fmt.Sprintf(format, args...) + "\n"}
}

// badParams is a 400 "Parameter verification failed." with its errors map.
func badParams(errs map[string]string) *apiError {
	return &apiError{status: 400, msg: "Parameter verification failed.\n", params: errs}
}

// badParam is a 400 about one parameter (raise_param_exc in PVE).
func badParam(name, text string) *apiError { return badParams(map[string]string{name: text}) }

// forbidden is a 403 naming the ACL path and the privilege(s) that were missing.
func forbidden(path, privs string) *apiError {
	return &apiError{status: 403, msg: fmt.Sprintf("Permission check failed (%s, %s)\n", path, privs)}
}

// notImplemented is pveproxy's answer to a path or method no handler serves.
func notImplemented(method, path string) *apiError {
	return &apiError{status: 501, msg: fmt.Sprintf("Method '%s %s' not implemented", method, path)}
}

// bare is an answer with a reason phrase and an empty body (401, 595, 596, bad HTTP methods).
func bare(status int, reason string) *apiError {
	return &apiError{status: status, msg: reason, noBody: true}
}

// reason is the first line of the message, as pve-http-server cuts it for the status line.
func (e *apiError) reason() string {
	if e.params != nil && e.status == 400 {
		return "Parameter verification failed."
	}
	line, _, _ := strings.Cut(e.msg, "\n")
	line = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, line)
	if line == "" {
		return statusText(e.status)
	}
	return line
}

// statusText is the standard phrase, including AnyEvent::HTTP's pseudo statuses that pveproxy passes on.
func statusText(code int) string {
	switch code {
	case 595:
		return "Errors during connection establishment, proxy handshake"
	case 596:
		return "Errors during TLS negotiation, request sending and header processing"
	}
	if t := httpStatusText(code); t != "" {
		return t
	}
	return "Unknown"
}
