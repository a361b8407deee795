package pve

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// Sentinel errors. Every error the client returns matches exactly one transport class or one or more API
// classes with errors.Is, so callers can tell a bad token from a missing guest from an unreachable node.
var (
	// API answers.
	ErrAuth           = errors.New("authentication failed")          // 401: bad or missing token
	ErrPermission     = errors.New("permission denied")              // 403: the token lacks a privilege
	ErrNotFound       = errors.New("not found")                      // 404, 500 "... does not exist", 400 "no such task"
	ErrInvalidParams  = errors.New("invalid parameters")             // 400 with an errors map
	ErrNotImplemented = errors.New("not implemented")                // 501: unknown path or method
	ErrNodeProxy      = errors.New("node unreachable through proxy") // 595/596: pveproxy could not reach the node
	ErrUnknownNode    = errors.New("no such node")                   // 500 "hostname lookup 'x' failed": a node not in the cluster
	ErrUnavailable    = errors.New("service unavailable")            // 502/503/504
	ErrServer         = errors.New("proxmox error")                  // any other error status
	ErrRedirect       = errors.New("redirect refused")               // 3xx: never followed, the token stays home
	ErrDecode         = errors.New("malformed response")             // not the JSON envelope we expect
	ErrTooLarge       = errors.New("response too large")             // body beyond the client's limit
	ErrTimeout        = errors.New("timed out")                      // request or connect deadline
	ErrConnRefused    = errors.New("connection refused")             // nothing listens at the address
	ErrTLS            = errors.New("TLS verification failed")        // untrusted certificate, pin mismatch, not TLS
	ErrConnection     = errors.New("connection failed")              // DNS, reset, dropped connection
	ErrNoTask         = errors.New("proxmox started no task")        // a write answered something other than a UPID
	ErrTaskFailed     = errors.New("task failed")                    // a task ended with an error exit status
	ErrInvalidRequest = errors.New("invalid request")                // refused before sending: bad argument
	ErrReadOnly       = errors.New("write refused")                  // a write in a ReadOnly context: never sent
)

// APIError is an error answer from the Proxmox API. Its text fields come from the server and are already
// redacted by the client that built it.
type APIError struct {
	Method string
	Path   string // API path, e.g. /nodes/pve1/qemu/100/status/start
	Status int
	// Reason is the HTTP reason phrase, where Proxmox puts the error text ("VM 100 not running").
	Reason string
	// Message is the body's "message" member (pve-http-server >= 5.2), trimmed; preferred over Reason.
	Message string
	// Params holds a 400 answer's "errors" map: parameter name -> what is wrong with it.
	Params map[string]string
	// Permission is the "(path, privilege)" Proxmox names in a 403, when it names one.
	Permission *Permission
}

// Permission is the ACL path and privilege a 403 answer names, as the server wrote them.
type Permission struct {
	Path      string
	Privilege string // one privilege, or several joined by "|" (any of them)
}

// Privileges are the privileges the answer names: any of them would do.
func (p *Permission) Privileges() []string {
	out := strings.Split(p.Privilege, "|")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// known reports whether every privilege the answer names is one PVE knows: only then is it repeated in our
// words.
func (p *Permission) known() bool {
	for _, priv := range p.Privileges() {
		if !schema.IsPrivilege(priv) {
			return false
		}
	}
	return true
}

var permissionPattern = &lazyre.Regexp{Src: `\(([^,()]+),\s*([^()]+)\)`}

// Text is the server's own explanation: the message member, else the reason phrase.
func (e *APIError) Text() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Reason
}

func (e *APIError) Error() string { return e.Quoted(func(s string) string { return s }) }

// Quoted is the error's text with every piece of the server's own text passed through quote, where the
// text is built: the reason or message, each complaint of a 400 (with its parameter's name), and the ACL
// path of a 403. quote is how the caller marks text that came from the cluster (Error leaves it as it is).
// The privilege a 403 names is said in our words, unquoted, only when it is one PVE knows; otherwise it is
// only in the quoted message.
func (e *APIError) Quoted(quote func(string) string) string {
	var b strings.Builder
	b.WriteString(e.word())
	fmt.Fprintf(&b, " (%d", e.Status)
	if t := e.Text(); t != "" {
		b.WriteString(" ")
		b.WriteString(quote(t))
	}
	b.WriteString(")")
	if len(e.Params) > 0 {
		keys := make([]string, 0, len(e.Params))
		for k := range e.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(quote(k + ": " + e.Params[k]))
		}
	}
	switch {
	case e.Status == 401:
		b.WriteString(": check the token ID and its secret")
	case e.Permission != nil && e.Permission.known():
		fmt.Fprintf(&b, ": the token needs %s on %s", strings.Join(e.Permission.Privileges(), " or "), quote(e.Permission.Path))
	}
	return b.String()
}

// word names the answer in messages: its class, except that a 500 is called what it is, a Proxmox error,
// even when its text says that something does not exist (Is still matches ErrNotFound).
func (e *APIError) word() string {
	if e.Status == 500 {
		return ErrServer.Error()
	}
	return e.class().Error()
}

// class is the one sentinel that names this answer in messages.
func (e *APIError) class() error {
	switch {
	case e.Status == 400 && len(e.Params) > 0:
		return ErrInvalidParams
	case e.isNotFound():
		return ErrNotFound
	case e.Status == 401:
		return ErrAuth
	case e.Status == 403:
		return ErrPermission
	case e.Status == 400:
		return ErrInvalidParams
	case e.Status == 501:
		return ErrNotImplemented
	case e.Status == 595 || e.Status == 596:
		return ErrNodeProxy
	case e.Status == 502 || e.Status == 503 || e.Status == 504:
		return ErrUnavailable
	case e.Status >= 300 && e.Status < 400:
		return ErrRedirect
	default:
		return ErrServer
	}
}

// Is matches the sentinels: the class of the answer, and ErrNotFound for every "does not exist" answer.
func (e *APIError) Is(target error) bool {
	if target == e.class() {
		return true
	}
	switch target {
	case ErrNotFound:
		return e.isNotFound()
	case ErrInvalidParams:
		return e.Status == 400
	case ErrServer:
		return e.Status == 500 // "does not exist" is a not-found and still a server error
	case ErrUnknownNode:
		// pveproxy resolves the path's node by name to proxy the request there; a name the cluster does not
		// have fails that lookup.
		return e.Status == 500 && strings.HasPrefix(strings.ToLower(e.Text()), "hostname lookup '")
	}
	return false
}

// isNotFound recognises Proxmox's ways of saying "no such thing": it never sends 404 for a missing guest,
// but a 500 whose text says the configuration file does not exist, and a 400 "no such task".
func (e *APIError) isNotFound() bool {
	if e.Status == 404 {
		return true
	}
	t := strings.ToLower(e.Text())
	switch e.Status {
	case 500:
		return strings.Contains(t, "does not exist") || strings.HasPrefix(t, "no such")
	case 400:
		return strings.HasPrefix(t, "no such task")
	}
	return false
}

// TransportError is a failure below the API: no answer, or an answer that is not Proxmox's JSON.
type TransportError struct {
	Method string
	Path   string
	Kind   error // one of the transport sentinels (ErrTimeout, ErrConnRefused, ErrTLS, ...)
	Detail string
	Err    error
}

func (e *TransportError) Error() string {
	if e.Detail != "" && e.Detail != fmt.Sprint(e.Kind) { // "context canceled" once, not twice
		return fmt.Sprintf("%s %s: %v: %s", e.Method, e.Path, e.Kind, e.Detail)
	}
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Kind)
}

// Is reports whether target is this error's class.
func (e *TransportError) Is(target error) bool { return target == e.Kind }

// Unwrap gives the underlying error (for context.DeadlineExceeded, *tls.CertificateVerificationError, ...).
func (e *TransportError) Unwrap() error { return e.Err }

// parsePermission finds "(path, privilege)" in a 403 text.
func parsePermission(text string) *Permission {
	m := permissionPattern.FindStringSubmatch(text)
	if m == nil {
		return nil
	}
	return &Permission{Path: strings.TrimSpace(m[1]), Privilege: strings.TrimSpace(m[2])}
}
