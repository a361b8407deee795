package pve

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// Request is one API call, described before it is sent: what a dry run shows is exactly what Submit sends.
//
// Its fields are unexported so that only this package's builders, which validate every argument and escape
// every path segment, can describe a request; other packages read it through the accessors. A call of any
// operation of the official API schema is described by NewAPIRequest, from what package schema matched and
// validated, never from raw strings.
type Request struct {
	method string
	// path is the API path below /api2/json, built only from validated, escaped segments.
	path   string
	params url.Values
	// limit bounds the answer's body in bytes; 0 means the client's maximum (see WithMaxResponseBytes).
	limit int64
	// plain marks a write that answers with data (null or a value) instead of a task id: Write sends it,
	// Submit refuses it. Every typed builder's write starts a task.
	plain bool
}

// Method is GET, POST, PUT or DELETE.
func (r Request) Method() string { return r.method }

// Path is the API path below /api2/json, e.g. /nodes/pve1/qemu/100/status/start.
func (r Request) Path() string { return r.path }

// Params is a copy of the request's parameters: the query of a GET or DELETE, the form body otherwise.
func (r Request) Params() url.Values {
	out := make(url.Values, len(r.params))
	for k, v := range r.params {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// String is "METHOD /api2/json/PATH?QUERY", the form a person reads in a dry run or an audit line; POST
// parameters are not included (see Params).
func (r Request) String() string {
	s := r.method + " /api2/json" + r.path
	if (r.method == "GET" || r.method == "DELETE") && len(r.params) > 0 {
		s += "?" + r.params.Encode()
	}
	return s
}

// IsWrite reports whether the request changes the cluster.
func (r Request) IsWrite() bool { return r.method != "GET" }

// ReturnsTask reports whether the request is a write that answers with a task id (Submit sends it, and the
// caller follows the task); a write that answers with data is sent with Write.
func (r Request) ReturnsTask() bool { return r.IsWrite() && !r.plain }

// genericBody bounds the answer of a call of any operation (NewAPIRequest): as much as a list of one node or
// one guest can hold. A generic read shows a few rows of a list anyway, and a write's answer is small; a
// whole-cluster list of a very large cluster is cut off (ErrTooLarge) rather than allowed to fill memory.
const genericBody = listBody

// NewAPIRequest describes a call of any operation of the official API schema from a request package schema
// prepared (schema.Prepare: the path matched and escaped, the parameters validated). Nothing is taken on
// trust: the path must be exactly one that schema.Match gives for the operation (it is sent as it is, never
// escaped again), the parameters must be exactly what the operation's validator makes of them (arrays as
// repeated keys, booleans as 0/1), and an operation the schema marks NeverGeneric (guest-agent exec) is
// refused whatever the caller says. A GET's answer is read as raw JSON (Client.Read); a write goes out
// through Submit when the operation returns a task, else through Write.
func NewAPIRequest(r *schema.Request) (Request, error) {
	if r == nil || r.Op == nil {
		return Request{}, invalid(fmt.Errorf("no operation"))
	}
	op := r.Op
	if op.NeverGeneric {
		return Request{}, invalid(fmt.Errorf("%s is never sent as a generic call", op.Key()))
	}
	t, err := schema.Match(op.Method, r.Path)
	if err != nil {
		return Request{}, invalid(err)
	}
	if t.Op != op || t.Path != r.Path {
		return Request{}, invalid(fmt.Errorf("path %s is not %s as the schema escapes it", quote(r.Path), op.Key()))
	}
	send, err := op.Validate(t.Vars, valuesAsArgs(r.Params))
	if err != nil {
		return Request{}, invalid(err)
	}
	if send.Encode() != r.Params.Encode() {
		return Request{}, invalid(fmt.Errorf("the parameters of %s are not as the schema validates them", op.Key()))
	}
	return Request{method: op.Method, path: t.Path, params: send, limit: genericBody, plain: !op.ReturnsTask()}, nil
}

// valuesAsArgs turns validated parameters back into a JSON client's arguments, so that they can be validated
// again: one value as text, repeated ones as a list.
func valuesAsArgs(v url.Values) map[string]any {
	args := make(map[string]any, len(v))
	for k, vals := range v {
		if len(vals) == 1 {
			args[k] = vals[0]
			continue
		}
		list := make([]any, len(vals))
		for i, s := range vals {
			list[i] = s
		}
		args[k] = list
	}
	return args
}

// apiPath joins path segments, escaping each one, so no segment can add a '/', a '..' or a query.
func apiPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// params builds url.Values from key/value pairs, skipping empty values so optional settings stay unsent.
type params url.Values

func (p params) set(key, value string) {
	if value != "" {
		url.Values(p).Set(key, value)
	}
}

func (p params) setInt(key string, v int) {
	if v != 0 {
		url.Values(p).Set(key, strconv.Itoa(v))
	}
}

// setBool sends Proxmox booleans as 1, the only form every PVE version accepts ("true" fails), and leaves
// false unsent so the server default applies.
func (p params) setBool(key string, v bool) {
	if v {
		url.Values(p).Set(key, "1")
	}
}

// GuestType is the kind of guest: a QEMU virtual machine or an LXC container.
type GuestType string

// Guest types, as they appear in API paths and in /cluster/resources.
const (
	Qemu GuestType = "qemu"
	LXC  GuestType = "lxc"
)

// valid reports whether t is one of the two guest types.
func (t GuestType) valid() error {
	if t != Qemu && t != LXC {
		return fmt.Errorf("guest type %s is neither qemu nor lxc", quote(string(t)))
	}
	return nil
}

// noun names the guest type as Proxmox's messages do: VM or CT.
func (t GuestType) noun() string {
	if t == LXC {
		return "CT"
	}
	return "VM"
}

// GuestRef addresses one guest: Proxmox paths need the node and the type as well as the vmid.
type GuestRef struct {
	Node string
	Type GuestType
	VMID int
}

// validate checks every part of the reference.
func (g GuestRef) validate() error {
	if err := ValidNode(g.Node); err != nil {
		return err
	}
	if err := g.Type.valid(); err != nil {
		return err
	}
	return ValidVMID(g.VMID)
}

func (g GuestRef) String() string { return fmt.Sprintf("%s %d on %s", g.Type.noun(), g.VMID, g.Node) }

// path is /nodes/NODE/TYPE/VMID/rest..., or an error when the reference is invalid.
func (g GuestRef) path(rest ...string) (string, error) {
	if err := g.validate(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return apiPath(append([]string{"nodes", g.Node, string(g.Type), strconv.Itoa(g.VMID)}, rest...)...), nil
}

func nodePath(node string, rest ...string) (string, error) {
	if err := ValidNode(node); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return apiPath(append([]string{"nodes", node}, rest...)...), nil
}

func invalid(err error) error { return fmt.Errorf("%w: %v", ErrInvalidRequest, err) }
