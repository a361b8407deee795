package schema

import (
	_ "embed"
	"strings"
	"sync"
	"sync/atomic"
)

// tableData is the compiled schema (internal/gen). A string, so it stays in read-only data: never copied,
// never scanned by the garbage collector, paged in only when decoded.
//
//go:embed operations.bin
var tableData string

// Operation is one API method on one path template, as the schema states it. Operations and everything they
// hold are shared: treat them as read-only.
type Operation struct {
	Method      string // GET, POST, PUT or DELETE
	Path        string // the template, e.g. /nodes/{node}/qemu/{vmid}/status/start
	Summary     string // one line, from the description's first sentence
	Description string
	// Params are all parameters, sorted by name, path variables included (PathVariable tells them). They
	// are shared between operations that take the same parameter.
	Params     []*Param
	Permission Permission
	Protected  bool   // PVE runs it in the privileged daemon (pvedaemon)
	ProxyTo    string // the parameter naming the node pveproxy forwards the request to ("node"), or ""
	AllowToken bool   // API tokens may call it (false: a ticket is needed)
	// ExposeCredentials and DownloadAllowed are the schema's flags for the few operations that hand the
	// caller's credentials to the handler or stream a file.
	ExposeCredentials bool
	DownloadAllowed   bool
	// AdditionalParams reports that the schema does not forbid unlisted parameters (PVE then accepts them).
	// Validate refuses them anyway; CheckRaw, which answers as PVE does, lets them pass.
	AdditionalParams bool
	Returns          *Schema

	// Class is what the operation can do, and ClassRule which rule (or reviewed exception) decided it.
	Class     Class
	ClassRule string
	// NeverGeneric marks operations the generic API tools must never send, whatever PROXMOX_API_ALLOW says
	// (guest-agent exec and its status: they get a typed tool with a command allowlist).
	NeverGeneric bool

	segs []string // Path split on "/"
}

// opHead is what routing needs of an operation before its record is decoded.
type opHead struct {
	method, path string
	segs         []string
	off          int                       // the record's offset in tableData
	op           atomic.Pointer[Operation] // once decoded
}

// Key is "METHOD /path/template", the form PROXMOX_API_ALLOW and the class table use.
func (o *Operation) Key() string { return o.Method + " " + o.Path }

// Param returns the parameter that takes the given name, numbered ones included (net3 is net's), or nil.
func (o *Operation) Param(name string) *Param {
	for _, p := range o.Params {
		if p.accepts(name) {
			return p
		}
	}
	return nil
}

// PathVariable reports whether a parameter name is one of the operation's path variables.
func (o *Operation) PathVariable(name string) bool {
	for _, s := range o.segs {
		if v, ok := varName(s); ok && v == name {
			return true
		}
	}
	return false
}

// PathParams are the parameters that are path variables, in path order.
func (o *Operation) PathParams() []*Param {
	var out []*Param
	for _, s := range o.segs {
		if v, ok := varName(s); ok {
			out = append(out, o.Param(v))
		}
	}
	return out
}

// Param is a parameter, a key of a property string, or an array's items.
type Param struct {
	Name string // the name; for a numbered parameter (net[n]) its base, "net"
	// Count is how many instances a numbered parameter has: Name0 … Name{Count-1}; 0 for other parameters.
	Count int

	Type   string // string, integer, number, boolean, array, object; "" for an alias key
	Format string // a named format: pve-vmid, pve-node, pve-storage-id, … (see Formats)
	// Keys are the keys of a property string (net0's model, bridge, …), from the schema's format object or,
	// when the format is only named, from its typetext (KeysFromTypeText).
	Keys             []Param
	KeysFromTypeText bool
	Items            *Param  // an array's items
	OneOf            []Param // alternatives; one must hold

	Pattern              string // a Perl regular expression the whole value must match
	Enum                 []string
	Min, Max             float64
	HasMin, HasMax       bool
	MinLength, MaxLength int // in characters
	HasMinLength         bool
	HasMaxLength         bool
	Default              string // as sent: booleans 0/1
	HasDefault           bool
	Optional             bool

	Description       string
	TypeText          string // the syntax PVE prints, e.g. "[model=]<enum> [,bridge=<bridge>] …"
	FormatDescription string // a short name for the value, e.g. "XX:XX:XX:XX:XX:XX"
	// DefaultKey marks the property-string key a bare value belongs to ("virtio" in "virtio,bridge=vmbr0").
	DefaultKey bool
	// Alias and KeyAlias: a key that stands for another ("virtio=MAC" sets macaddr=MAC and model=virtio).
	Alias    string
	KeyAlias string
	// Requires names a key that must be present with this one.
	Requires string
	// TypeProperty and InstanceTypes: the parameter applies only when the parameter TypeProperty names has one
	// of these values (HA rules, SDN fabrics).
	TypeProperty  string
	InstanceTypes []string
}

// accepts reports whether a parameter name is this parameter's (net3 for net[n] with Count 32).
func (p *Param) accepts(name string) bool {
	if p.Count == 0 {
		return p.Name == name
	}
	rest, ok := strings.CutPrefix(name, p.Name)
	if !ok || rest == "" || len(rest) > 1 && rest[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n >= p.Count {
			return false
		}
	}
	return true
}

// DisplayName is the name as a person reads it: "net[n]" for a numbered parameter.
func (p *Param) DisplayName() string {
	if p.Count > 0 {
		return p.Name + "[n]"
	}
	return p.Name
}

// key finds a property-string key by name.
func (p *Param) key(name string) *Param {
	for i := range p.Keys {
		if p.Keys[i].Name == name {
			return &p.Keys[i]
		}
	}
	return nil
}

// Schema is a returns schema, compacted: enough to say what comes back and to synthesise a plausible answer.
type Schema struct {
	Type        string // object, array, string, integer, number, boolean, null, any; "" when unspecified
	Description string
	Format      string
	Pattern     string
	Optional    bool
	// AdditionalProperties: the object has keys beyond Properties (guest configurations, for instance).
	AdditionalProperties bool
	Enum                 []string
	Min, Max             float64
	HasMin, HasMax       bool
	Properties           []Property // sorted by name
	Items                *Schema
	OneOf                []*Schema
	// Link names the property that holds each entry's child path segment, for directory indexes
	// ("{name}" in the schema's links).
	Link string
}

// Property is one member of an object schema.
type Property struct {
	Name   string
	Schema *Schema
}

// Property returns the schema of a member, or nil.
func (s *Schema) Property(name string) *Schema {
	for _, p := range s.Properties {
		if p.Name == name {
			return p.Schema
		}
	}
	return nil
}

// Permission is who may call an operation.
type Permission struct {
	// Defined is false when the schema states no permissions: then only root@pam may call it, and API
	// tokens (even root's) never can.
	Defined bool
	// User is "all" (any authenticated user; the handler checks further), "world" (no login needed) or "".
	User        string
	Description string
	Check       *Check // nil when there is no check expression
}

// Check is a permission check expression, as pve-access-control's exec_api2_perm_check evaluates it.
type Check struct {
	// Kind is perm, and, or, userid-group, userid-param or perm-modify.
	Kind  string
	Path  string   // perm and perm-modify: the ACL path, with {param} placeholders
	Privs []string // perm and userid-group
	// Any: one of Privs suffices (else all are needed).
	Any bool
	// RequireParam: the check fails unless this parameter is given (perm).
	RequireParam string
	// GroupsParam: userid-group also checks the groups parameter ("create", "update").
	GroupsParam string
	// Sub is userid-param's test: "self" or "Realm.AllocateUser".
	Sub    string
	Checks []*Check // and, or
}

// table is the embedded table, its indexes, and the records decoded so far.
type table struct {
	data string
	strs []uint32

	paramOff  []int
	params    []*Param // decoded on first use
	schemaOff []int
	schemas   []*Schema // decoded on first use

	heads []opHead
	root  *pathNode
	ops   []*Operation // every operation, once Operations has decoded them
	all   sync.Once

	mu sync.Mutex // guards decoding on demand
}

// loaded indexes the table on first use. A table that does not decode is a build defect: the tests decode
// every record of it, so a panic here cannot reach a release.
var loaded = sync.OnceValue(func() *table {
	t, err := index(tableData)
	if err != nil {
		panic("schema: embedded table: " + err.Error())
	}
	for i := range t.heads {
		t.heads[i].segs = splitSegs(t.heads[i].path)
	}
	t.root = buildTree(t.heads)
	return t
})

// Operations returns every operation of the schema, sorted by path and then method (GET, POST, PUT,
// DELETE). The slice and the operations are shared: do not change them.
func Operations() []*Operation {
	t := loaded()
	t.all.Do(func() {
		ops := make([]*Operation, len(t.heads))
		for i := range t.heads {
			ops[i] = t.get(&t.heads[i])
		}
		t.ops = ops
	})
	return t.ops
}

// Lookup finds an operation by method and path template ("GET", "/cluster/resources"), or nil.
func Lookup(method, template string) *Operation {
	t := loaded()
	if !strings.HasPrefix(template, "/") {
		return nil
	}
	n, ok := t.root.walkTemplate(splitSegs(template))
	if !ok {
		return nil
	}
	h := n.op(method)
	if h == nil || h.path != template {
		return nil // a template with other variable names
	}
	return t.get(h)
}

// varName reports whether a template segment is a variable, "{node}", and its name.
func varName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// notTasks are the writes whose string answer is not a task's UPID, each with what it is instead.
var notTasks = []struct{ key, answer string }{
	{"POST /cluster/sdn/lock", "the lock's secret, for the later apply or release"},
	{"POST /nodes/{node}/qemu/{vmid}/monitor", "the monitor command's output"},
	{"POST /nodes/{node}/wakeonlan", "the MAC address the magic packet went to"},
	{"POST /nodes/{node}/storage/{storage}/content", "the new volume's ID"},
	{"POST /access/openid/auth-url", "the URL to redirect the browser to"},
	{"POST /nodes/{node}/replication/{id}/schedule_now", "nothing useful (the job runs later, from the scheduler)"},
}

// ReturnsTask reports whether the operation answers with a task's UPID, which the caller then follows
// (GET /nodes/NODE/tasks/UPID/status). The schema types these answers only as "string"; every write that
// returns a string forks a worker, except the few in notTasks.
func (o *Operation) ReturnsTask() bool {
	if o.Method == "GET" || o.Returns == nil || o.Returns.Type != "string" {
		return false
	}
	for _, n := range notTasks {
		if n.key == o.Key() {
			return false
		}
	}
	return true
}

// Children lists the fixed path segments directly below a template, and the variable's name when the level
// below is a variable: what a directory index lists.
func Children(template string) (fixed []string, variable string) {
	n := loaded().root
	if template != "/" {
		var ok bool
		if n, ok = n.walkTemplate(strings.Split(strings.TrimPrefix(template, "/"), "/")); !ok {
			return nil, ""
		}
	}
	for _, c := range n.fixed {
		fixed = append(fixed, c.seg)
	}
	return fixed, n.varName
}

func splitSegs(path string) []string { return strings.Split(strings.TrimPrefix(path, "/"), "/") }
