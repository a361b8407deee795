// Package gate is the write policy: every tool has a tier, the tier decides the tool's MCP annotations, and a
// middleware refuses a write or destructive call, before any request is built, unless the caller has given the
// literal confirmations the tier needs and (for destructive tools) the operator has enabled them. A generic API
// call is judged at the tier of the operation it reaches (Call.Op, operation.go).
//
// The gate guards against accidents and injected instructions, not against a determined model: the model
// itself sets confirm and destructive. The real boundaries are PROXMOX_ENABLE_DESTRUCTIVE, which only the
// operator sets, and the API token's privileges on the Proxmox side.
package gate

import (
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// Tier is how much a tool can change.
type Tier int

// The four tiers.
const (
	// Read tools change nothing and are always allowed.
	Read Tier = iota + 1
	// Write tools change the cluster and need confirm: true.
	Write
	// Destructive tools lose data or state and need confirm: true, destructive: true and the operator's
	// PROXMOX_ENABLE_DESTRUCTIVE=1.
	Destructive
	// Exec tools run a program inside a guest: code execution, above write. They need confirm: true, the
	// operator's PROXMOX_ENABLE_EXEC=1 and a command PROXMOX_EXEC_ALLOW allows (see ExecRule); Policy.Check
	// adds those last two to what Decide finds.
	Exec
)

func (t Tier) String() string {
	switch t {
	case Read:
		return "read"
	case Write:
		return "write"
	case Destructive:
		return "destructive"
	case Exec:
		return "exec"
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// Valid reports whether t is one of the four tiers.
func (t Tier) Valid() bool { return t == Read || t == Write || t == Destructive || t == Exec }

// article is "a" or "an", for "a write tool" and "an exec tool".
func (t Tier) article() string { return article(t.String()) }

// ToolPhrase names a tool of the tier with its article: "a write tool", "an exec tool". Every message that
// says what tier a tool is in uses it, so none says "a exec tool".
func (t Tier) ToolPhrase() string { return t.article() + " " + t.String() + " tool" }

// Annotations are the MCP hints of a tier, decided here and nowhere else. Every tool states readOnlyHint and
// openWorldHint, and every tool that writes states destructiveHint, because the protocol's defaults for the
// last two are the unsafe ones (destructive, open world). idempotentHint is never sent: it means something only
// for tools that write, where its default (false) is the truth here; and the spec makes destructiveHint
// meaningless on a read-only tool. Leaving out what carries no meaning keeps every tools/list smaller.
//
// openWorldHint is false for every tier: a tool's domain is the one configured cluster, not an open set of
// external entities the way a web search's is. An exec tool states the worst case, destructive: the program it
// runs can do anything the guest lets it.
func Annotations(t Tier) mcp.ToolAnnotation {
	a := mcp.ToolAnnotation{ReadOnlyHint: ptr(t == Read), OpenWorldHint: ptr(false)}
	if t != Read {
		a.DestructiveHint = ptr(t == Destructive || t == Exec)
	}
	return a
}

// CheckAnnotations fails unless tool carries exactly the annotations of tier t: the hints the tier states, with
// its values, and no others.
func CheckAnnotations(tool mcp.Tool, t Tier) error {
	if !t.Valid() {
		return fmt.Errorf("tool %s: invalid tier %v", tool.Name, t)
	}
	want, got := Annotations(t), tool.Annotations
	for _, h := range []struct {
		name      string
		want, got *bool
	}{
		{"readOnlyHint", want.ReadOnlyHint, got.ReadOnlyHint},
		{"destructiveHint", want.DestructiveHint, got.DestructiveHint},
		{"idempotentHint", want.IdempotentHint, got.IdempotentHint},
		{"openWorldHint", want.OpenWorldHint, got.OpenWorldHint},
	} {
		switch {
		case h.want == nil && h.got != nil:
			return fmt.Errorf("tool %s (%s): %s is set, the tier leaves it out", tool.Name, t, h.name)
		case h.want != nil && h.got == nil:
			return fmt.Errorf("tool %s (%s): %s is not set", tool.Name, t, h.name)
		case h.want != nil && *h.got != *h.want:
			return fmt.Errorf("tool %s (%s): %s is %v, the tier says %v", tool.Name, t, h.name, *h.got, *h.want)
		}
	}
	return nil
}

func ptr(b bool) *bool { return &b }
