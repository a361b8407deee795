package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

type apiFindArgs struct {
	Query  string `json:"query" arg:"required" maxlen:"200" desc:"Words, e.g. ha resources"`
	Method string `json:"method" enum:"GET|POST|PUT|DELETE" desc:"Only this method"`
	Limit  int    `json:"limit" min:"1" max:"50" desc:"Default 10"`
}

// apiOpLine is one operation as find lists it.
type apiOpLine struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
	Class   string `json:"class"`
	// Escalation says when a call is judged above Class, for what its parameters do ("destructive when
	// delete names a disk or an unused volume").
	Escalation string `json:"escalation,omitempty" out:"-"`
	// Never: the generic tools never send it, whatever PROXMOX_API_ALLOW says (guest-agent exec).
	Never bool `json:"never_generic,omitempty" out:"-"`
}

// neverGenericNote is what find says of an operation the generic tools never send.
const neverGenericNote = "never sent by the generic tools: proxmox_guest_exec runs commands"

type apiFindResult struct {
	Operations []apiOpLine `json:"operations"`
}

// maxSummary bounds an operation's one-line summary (the schema's own text, cut for a list).
const maxSummary = 90

func (r *apiFindResult) Summary() string {
	if len(r.Operations) == 0 {
		return "No operation matches. Use words of the API's paths: nodes, qemu, lxc, storage, firewall, ha, cluster, access, tasks."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, best first; proxmox_api_describe gives one's parameters:\n", count(len(r.Operations), "operation", "operations"))
	for _, o := range r.Operations {
		class := o.Class
		if o.Escalation != "" {
			class += "; " + o.Escalation
		}
		if o.Never {
			class += "; " + neverGenericNote
		}
		fmt.Fprintf(&b, "%s %s (%s) %s\n", o.Method, o.Path, class, o.Summary)
	}
	return strings.TrimRight(b.String(), "\n")
}

// apiFind searches the embedded schema: no request, nothing but the table.
func apiFind(_ context.Context, _ *env, _ *call, a *apiFindArgs) (*apiFindResult, error) {
	res := &apiFindResult{Operations: []apiOpLine{}}
	for _, h := range schema.Find(a.Query, a.Method, a.Limit) {
		res.Operations = append(res.Operations, apiOpLine{Method: h.Method, Path: h.Path, Summary: clean(h.Summary, maxSummary),
			Class: h.Class.String(), Escalation: h.Op.EscalationText(), Never: h.Op.NeverGeneric})
	}
	return res, nil
}
