package pve

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// DefaultMaxResponseBytes bounds a response body. A 5,000-guest /cluster/resources answer is about 2.5 MB.
const DefaultMaxResponseBytes = 64 << 20

// Client talks to one Proxmox VE cluster. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	auth     redact.Secret // the whole Authorization header value
	hc       *http.Client
	redactor *redact.Redactor
	timeout  time.Duration
	maxBody  int64
	retries  int
	backoff  time.Duration
	poll     pollPolicy
	after    func(time.Duration) <-chan time.Time // time.After; tests read the waits a task poll asks for
	observe  func(Event)
	index    guestIndex
	agent    string
}

// Event describes one HTTP exchange, for logging. It never carries parameters or bodies.
type Event struct {
	Method   string
	Path     string
	Status   int // 0 when no answer came
	Attempt  int // 1 for the first try
	Duration time.Duration
	Err      error
}

// Option configures a Client.
type Option func(*Client)

// WithRedactor shares a redactor: the client registers its secret in it and scrubs server text with it.
func WithRedactor(r *redact.Redactor) Option { return func(c *Client) { c.redactor = r } }

// WithRetries sets how many times a read (GET) is retried after a failed connection, 502/503/504 or 595/596,
// and the first backoff (it grows threefold, with jitter). Writes are never retried. Default: 2, 200ms.
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) { c.retries, c.backoff = max(n, 0), backoff }
}

// WithTaskPolling sets the interval between task status polls for the first 20 polls after the first, which
// is immediate, and the longest interval it then grows to, by half each poll. Default 100ms, 2s: a task
// that ends within two seconds is seen to end within 100ms of it.
func WithTaskPolling(first, longest time.Duration) Option {
	return func(c *Client) {
		c.poll = pollPolicy{fast: first, fastPolls: defaultPolling.fastPolls, longest: max(first, longest)}
	}
}

// WithObserver receives an Event after every HTTP exchange.
func WithObserver(f func(Event)) Option { return func(c *Client) { c.observe = f } }

// WithMaxResponseBytes bounds response bodies (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// New builds a client from a configuration (the command reads it from its environment).
func New(cfg Config, opts ...Option) (*Client, error) {
	if cfg.BaseURL == nil {
		return nil, &ConfigError{Problems: []string{"no Proxmox URL"}}
	}
	if err := ValidTokenID(cfg.TokenID); err != nil {
		return nil, &ConfigError{Problems: []string{err.Error()}}
	}
	if cfg.Secret.IsZero() {
		return nil, &ConfigError{Problems: []string{"no token secret"}}
	}
	tr, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base: cfg.BaseURL,
		auth: redact.NewSecret("PVEAPIToken=" + cfg.TokenID + "=" + cfg.Secret.Reveal()),
		hc: &http.Client{
			Transport: tr,
			// Never follow a redirect: Go would carry the Authorization header to the new location when
			// it is on the same domain, and a Proxmox API never redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: cfg.Timeout,
		maxBody: DefaultMaxResponseBytes,
		retries: 2,
		backoff: 200 * time.Millisecond,
		poll:    defaultPolling,
		index:   guestIndex{ttl: DefaultGuestIndexTTL},
		after:   time.After,
		agent:   "proxmox-mcp",
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	for _, o := range opts {
		o(c)
	}
	if c.redactor == nil {
		c.redactor = redact.New()
	}
	c.redactor.Add(cfg.Secret.Reveal(), c.auth.Reveal())
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

type readOnlyKey struct{}

// ReadOnly marks ctx so that a client refuses to send any write with it: the guard under every read tool and
// every dry run, whatever their code does.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

// isReadOnly reports whether ctx was marked by ReadOnly.
func isReadOnly(ctx context.Context) bool { v, _ := ctx.Value(readOnlyKey{}).(bool); return v }

// do sends req and decodes the answer's data member into out (which may be nil), returning the envelope's
// "total" member too (task logs). Reads are retried on failed connections, 502/503/504 and 595/596; writes are
// sent exactly once. It is the one way out of the package, reached only through the typed methods and Submit.
func (c *Client) do(ctx context.Context, req Request, out any) (total int, err error) {
	if req.IsWrite() && isReadOnly(ctx) {
		return 0, fmt.Errorf("%w: %s in a read-only context", ErrReadOnly, req)
	}
	attempts := 1
	if req.method == http.MethodGet {
		attempts += c.retries
	}
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		total, err = c.once(ctx, req, out, attempt)
		if err == nil || attempt >= attempts || !retryable(err) || ctx.Err() != nil {
			c.observeGuest(req, err)
			return total, err
		}
		// Full jitter around a growing base keeps retries from many callers apart.
		d := wait/2 + time.Duration(rand.Int64N(int64(wait)+1))
		select {
		case <-ctx.Done():
			return total, err
		case <-time.After(d):
		}
		wait *= 3
	}
}

// retryable lists the failures a repeated read can cure. A timeout is not one of them: the server is slow,
// and asking again would only multiply the wait.
func retryable(err error) bool {
	for _, e := range []error{ErrUnavailable, ErrNodeProxy, ErrConnRefused, ErrConnection} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (c *Client) once(ctx context.Context, req Request, out any, attempt int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	hreq, err := c.newHTTPRequest(ctx, req)
	if err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		terr := c.transportError(req, err)
		c.emit(req, 0, attempt, start, terr)
		return 0, terr
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	total, err := c.readResponse(req, resp, out)
	c.emit(req, resp.StatusCode, attempt, start, err)
	return total, err
}

func (c *Client) emit(req Request, status, attempt int, start time.Time, err error) {
	if c.observe != nil {
		c.observe(Event{Method: req.method, Path: req.path, Status: status, Attempt: attempt, Duration: time.Since(start), Err: err})
	}
}

func (c *Client) newHTTPRequest(ctx context.Context, req Request) (*http.Request, error) {
	switch req.method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return nil, fmt.Errorf("%w: method %s", ErrInvalidRequest, quote(req.method))
	}
	if !strings.HasPrefix(req.path, "/") || strings.ContainsAny(req.path, "?#") {
		return nil, fmt.Errorf("%w: path %s", ErrInvalidRequest, quote(req.path))
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + req.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("%w: path %s: %v", ErrInvalidRequest, quote(req.path), err)
	}
	u.Path = p
	if c.holdsSecret(req, p) {
		return nil, fmt.Errorf("%w: the request holds one of the server's secrets (a token secret, or another secret the operator set, such as the HTTP bearer token) in its path or parameters, and a token secret goes in the Authorization header only: not sent", ErrInvalidRequest)
	}
	var body io.Reader
	if req.method == http.MethodGet || req.method == http.MethodDelete {
		// Proxmox answers 501 to a body on GET or DELETE: their parameters go in the query.
		u.RawQuery = req.params.Encode()
	} else if len(req.params) > 0 {
		body = strings.NewReader(req.params.Encode())
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.agent)
	hreq.Header.Set("Authorization", c.auth.Reveal())
	return hreq, nil
}

// holdsSecret reports whether a request carries a secret the redactor knows (or a token header) outside the
// Authorization header: in its path, as sent or unescaped, or in a parameter's name or value. A model that passes
// a secret as an argument (a snapshot named like it, a note holding it) must not send it to Proxmox, whose
// access log records every path.
func (c *Client) holdsSecret(req Request, unescaped string) bool {
	for _, s := range []string{req.path, unescaped, req.params.Encode()} {
		if c.redactor.String(s) != s {
			return true
		}
	}
	for k, vs := range req.params {
		if c.redactor.String(k) != k {
			return true
		}
		for _, v := range vs {
			if c.redactor.String(v) != v {
				return true
			}
		}
	}
	return false
}

// readResponse reads the answer within the request's bound and scrubs it before anything else looks at it:
// no code above this point, in this package or outside, ever holds a secret the cluster sent back.
func (c *Client) readResponse(req Request, resp *http.Response, out any) (int, error) {
	limit := c.bodyLimit(req)
	body, release, err := readBody(resp, limit)
	// Whatever is decoded or kept from the body is copied out of it (strings, json.RawMessage, error texts).
	defer release()
	if err != nil {
		return 0, c.transportError(req, err)
	}
	if int64(len(body)) > limit {
		return 0, &TransportError{Method: req.method, Path: req.path, Kind: ErrTooLarge,
			Detail: fmt.Sprintf("more than %d bytes", limit)}
	}
	raw := body
	body = c.redactor.Bytes(body)
	if resp.StatusCode != http.StatusOK {
		return 0, c.apiError(req, resp, body)
	}
	if fd, ok := out.(fastDecoder); ok {
		if total, ok := fd.decodeEnvelope(body); ok {
			return int(total), nil
		}
	}
	var total Int
	env := envelope{Data: out}
	if out == nil {
		env.Data = &json.RawMessage{}
	}
	env.Total = &total
	if err := json.Unmarshal(body, &env); err != nil {
		detail := decodeDetail(err, body)
		if !sameBytes(raw, body) {
			// Masking a secret can break the JSON it sat in (a secret outside a string, or cut off by an
			// escape): say so, since the server's answer itself may have been fine.
			detail += ", after masking a secret the server sent back"
		}
		return 0, &TransportError{Method: req.method, Path: req.path, Kind: ErrDecode,
			Detail: c.redactor.String(detail), Err: c.scrubbed(err)}
	}
	return int(total), nil
}

// bodyLimit is the most a request's answer may hold: its own bound, within the client's maximum.
func (c *Client) bodyLimit(req Request) int64 {
	if req.limit > 0 && req.limit < c.maxBody {
		return req.limit
	}
	return c.maxBody
}

// bodyBuffers are the buffers answers are read into, used again by the next answer: a 5,000-guest list is
// 1.5 MB read for every listing, and eight clusters listed at once read eight. The pool drops its buffers at the
// garbage collector's pace, so a burst holds no memory afterwards; one over maxPooledBody is not kept.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 8 << 20

// readBody reads at most limit+1 bytes of the body into a pooled buffer, sized at once when the server said how
// long it is (net/http then ends the body after that many bytes). release gives the buffer back: the body must
// not be used after it.
func readBody(resp *http.Response, limit int64) (body []byte, release func(), err error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead bytes free before each read, the last included
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	return buf.Bytes(), func() {
		// Zeroed first: the buffer holds the answer as it came, before redaction, and every client shares the
		// pool; whatever wrongly kept a piece of it would read zeros (and fail its tests), not another answer.
		clear(buf.Bytes())
		if buf.Cap() <= maxPooledBody {
			bodyBuffers.Put(buf)
		}
	}, err
}

// sameBytes reports whether b is a itself (the redactor returns its input when nothing matched).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// scrubbed keeps err as the cause of a TransportError when its text holds nothing to mask, so errors.Is and
// errors.As still see the chain; otherwise it becomes plain text, scrubbed, as nothing in its chain may keep
// what the server sent back.
func (c *Client) scrubbed(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.redactor.String(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

// decodeDetail says what was wrong with a body without dumping it.
func decodeDetail(err error, body []byte) string {
	// json.Unmarshal reports a body that stops early as a *json.SyntaxError too: test for that first.
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON") {
		if len(body) == 0 {
			return "empty body"
		}
		return fmt.Sprintf("truncated JSON (%d bytes)", len(body))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not JSON at byte %d of %d", se.Offset, len(body))
	}
	return err.Error()
}

func (c *Client) apiError(req Request, resp *http.Response, body []byte) error {
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	// The body is scrubbed already; the reason phrase and the headers come from the status line.
	e := &APIError{
		Method: req.method,
		Path:   req.path,
		Status: resp.StatusCode,
		Reason: c.redactor.String(reason),
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Say where it pointed (redacted, it is the server's text) but never go there.
		e.Message = c.redactor.String("the server redirected to " + resp.Header.Get("Location") + "; redirects are not followed")
		return e
	}
	var env errorEnvelope
	if len(body) > 0 && json.Unmarshal(body, &env) == nil {
		e.Message = c.redactor.String(trimMessage(env.Message))
		if p := decodeErrors(env.Errors); p != nil {
			e.Params = make(map[string]string, len(p))
			for k, v := range p {
				e.Params[c.redactor.String(k)] = c.redactor.String(v)
			}
		}
	}
	if e.Status == http.StatusForbidden {
		e.Permission = parsePermission(e.Text())
	}
	return e
}

// trimMessage removes the trailing newlines Proxmox ends its messages with.
func trimMessage(s string) string { return strings.TrimSpace(s) }

// transportError classifies a failure to get an answer at all.
func (c *Client) transportError(req Request, err error) error {
	kind := ErrConnection
	var (
		netErr   net.Error
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recHdr   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	switch {
	case errors.Is(err, context.Canceled):
		kind = context.Canceled
	case errors.Is(err, errPinMismatch), errors.As(err, &certErr), errors.As(err, &unknown),
		errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &recHdr), errors.As(err, &alertErr),
		// net/http turns a plain-HTTP answer to a TLS hello into an untyped error.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		kind = ErrTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		kind = ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = ErrConnRefused
	}
	detail := innermost(err)
	if kind == ErrConnection && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		// a bare "EOF" tells an operator nothing
		detail = "the server closed the connection unexpectedly (" + detail + ")"
	}
	return &TransportError{Method: req.method, Path: req.path, Kind: kind, Detail: c.redactor.String(detail), Err: c.scrubbed(err)}
}

// innermost is the text of the deepest error, without the URL that *url.Error prepends.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
