package redact

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret holds a credential. Every way of printing it prints Mask (FallbackMask for a secret that Mask
// could give away, such as "ACT"); an empty Secret prints as "" so a missing credential shows as missing.
// Reveal is the only way to read it.
//
// The value sits two pointers deep: fmt prints a struct's unexported fields by reflection, without calling
// their methods, and follows one pointer when a verb does not suit it (%s of a pointer prints
// "%!s(*T=&{...})"). Two levels down it only ever prints an address.
type Secret struct{ p *secretValue }

type secretValue struct {
	mask  string
	value *string
}

// NewSecret wraps s.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	decoded, encoded := textForms(s)
	return Secret{&secretValue{value: &s, mask: chooseMask(append(decoded, encoded...), nil)}}
}

// Reveal returns the secret in clear. Use it only to build the request that needs it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p.value
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.p == nil }

func (s Secret) masked() string {
	if s.p == nil {
		return ""
	}
	return s.p.mask
}

// String returns the mask.
func (s Secret) String() string { return s.masked() }

// GoString returns the mask, for %#v.
func (s Secret) GoString() string { return s.masked() }

// Format prints the mask for every verb, honouring width and flags; %q quotes it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb != 'q' {
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.masked())
}

// MarshalJSON returns the mask as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.masked()) }

// MarshalText returns the mask.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }

// LogValue returns the mask, for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }
