package redact

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Redactor scrubs registered secrets, and the Proxmox token header pattern, from text. The zero value and a
// nil *Redactor are usable: they know no secret but still scrub header values. A Redactor is safe for
// concurrent use; Add may run while other goroutines redact.
//
// For every registered secret it masks, anywhere in the text: the secret itself (ASCII case-insensitive);
// its URL-encoded forms (any mix of %XX escapes in either case, '+' or space); its JSON- and Go-quoted forms
// (any mix of \uXXXX, \xXX and short escapes); and its base64 encodings in the standard and URL alphabets at
// any alignment, by masking the whole base64 run that holds one. A registered string that is a whole header
// value ("PVEAPIToken=user@realm!id=SECRET") registers its secret part, so the token id stays readable.
//
// Very short secrets are still masked, at a cost: a 1-byte secret masks that byte everywhere it occurs,
// and a 3-byte one also masks any base64 run that happens to contain one of its 3-character cores.
// Base64 forms of 1- and 2-byte secrets are not matched (see minBase64Core).
type Redactor struct {
	mu      sync.Mutex // serialises Add
	secrets []string
	m       atomic.Pointer[matcher]
}

// New returns a Redactor that knows secrets (empty strings are ignored).
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets; empty strings and repeats are ignored. It recompiles the matcher, so call it
// at setup rather than per request. Add panics on a nil *Redactor: silently dropping a secret would leak it.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		panic("redact: Add called on a nil *Redactor")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if s = splitHeader(s); !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
			changed = true
		}
	}
	if changed {
		r.m.Store(compile(r.secrets))
	}
}

func (r *Redactor) matcher() *matcher {
	if r != nil {
		if m := r.m.Load(); m != nil {
			return m
		}
	}
	return defaultMatcher()
}

// String returns s with every match masked. When nothing matches it returns s itself, without allocating.
func (r *Redactor) String(s string) string { return redactText(r.matcher(), s) }

// Bytes returns b with every match masked, in a new slice. When nothing matches it returns b itself.
func (r *Redactor) Bytes(b []byte) []byte { return redactText(r.matcher(), b) }

// Mask returns the mask this Redactor writes: Mask, or FallbackMask (or another) when a registered secret
// could be rebuilt from Mask.
func (r *Redactor) Mask() string { return r.matcher().mask }

// Error returns an error whose Error() is err's message redacted, and which unwraps to err so errors.Is and
// errors.As still see the chain. Error(nil) is nil. The unwrapped errors keep their original text: print
// the returned error, not what it wraps.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
