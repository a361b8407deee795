package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Endpoints are the operations pvesim serves, as "METHOD /path" with the schema's {var} names.
var Endpoints = []string{
	"GET /version",
	"GET /cluster/status",
	"GET /cluster/resources",
	"GET /cluster/nextid",
	"GET /cluster/tasks",
	"GET /nodes",
	"GET /nodes/{node}/status",
	"GET /nodes/{node}/rrddata",
	"GET /nodes/{node}/qemu",
	"POST /nodes/{node}/qemu",
	"GET /nodes/{node}/lxc",
	"POST /nodes/{node}/lxc",
	"POST /nodes/{node}/vzdump",
	"GET /nodes/{node}/tasks",
	"GET /nodes/{node}/tasks/{upid}/status",
	"GET /nodes/{node}/tasks/{upid}/log",
	"DELETE /nodes/{node}/tasks/{upid}",
	"GET /nodes/{node}/storage",
	"GET /nodes/{node}/storage/{storage}/content",
	"GET /nodes/{node}/aplinfo",
	"GET /access/permissions",
	"GET /pools",
}

// guestEndpoints exist once for qemu and once for lxc.
var guestEndpoints = []string{
	"GET /nodes/{node}/%s/{vmid}/status/current",
	"POST /nodes/{node}/%s/{vmid}/status/start",
	"POST /nodes/{node}/%s/{vmid}/status/stop",
	"POST /nodes/{node}/%s/{vmid}/status/shutdown",
	"POST /nodes/{node}/%s/{vmid}/status/reboot",
	"GET /nodes/{node}/%s/{vmid}/config",
	"GET /nodes/{node}/%s/{vmid}/snapshot",
	"POST /nodes/{node}/%s/{vmid}/snapshot",
	"DELETE /nodes/{node}/%s/{vmid}/snapshot/{snapname}",
	"POST /nodes/{node}/%s/{vmid}/snapshot/{snapname}/rollback",
	"POST /nodes/{node}/%s/{vmid}/clone",
	"DELETE /nodes/{node}/%s/{vmid}",
	"GET /nodes/{node}/%s/{vmid}/rrddata",
}

// numberedCounts gives how many instances a numbered parameter ("net[n]") has where the schema's description
// does not say ("n is 0 to 30"). Values are the constants of qemu-server (PVE::QemuServer: MAX_NETS,
// MAX_HOSTPCI_DEVICES, MAX_NUMA, MAX_UNUSED_DISKS, virtiofs) and pve-container (PVE::LXC::Config:
// MAX_MOUNT_POINTS, MAX_DEVICES, MAX_LXC_NETWORKS, MAX_UNUSED_DISKS) in PVE 9.
var numberedCounts = map[string]int{
	"qemu net":      32,
	"qemu ipconfig": 32,
	"qemu hostpci":  16,
	"qemu numa":     8,
	"qemu unused":   256,
	"qemu virtiofs": 10,
	"lxc net":       32,
	"lxc mp":        256,
	"lxc dev":       256,
	"lxc unused":    256,
}

var (
	rangePattern = regexp.MustCompile(`n is 0 to (\d+)`)
	upToPattern  = regexp.MustCompile(`n can be up to (\d+)`)
)

type schemaNode struct {
	Path     string                `json:"path"`
	Info     map[string]methodInfo `json:"info"`
	Children []schemaNode          `json:"children"`
}

type methodInfo struct {
	Parameters struct {
		Properties map[string]property `json:"properties"`
	} `json:"parameters"`
	Returns property `json:"returns"`
}

type property struct {
	Type        any                 `json:"type"`
	Description string              `json:"description"`
	Optional    any                 `json:"optional"`
	Enum        []any               `json:"enum"`
	Minimum     any                 `json:"minimum"`
	Maximum     any                 `json:"maximum"`
	MinLength   any                 `json:"minLength"`
	MaxLength   any                 `json:"maxLength"`
	Format      json.RawMessage     `json:"format"`
	Pattern     string              `json:"pattern"`
	DefaultKey  any                 `json:"default_key"`
	Alias       string              `json:"alias"`
	KeyAlias    string              `json:"keyAlias"`
	Properties  map[string]property `json:"properties"`
}

// param is one parameter as the generated table states it.
type param struct {
	Name       string
	Count      int
	Type       string
	Optional   bool
	Enum       []string
	Min, Max   *float64
	MinLength  int
	MaxLength  int
	Format     string
	Pattern    string
	Sub        []param // property-string keys
	DefaultKey bool
	Alias      string
	KeyAlias   string
}

// Generate turns apidata.json into the Go source of pvesim's parameter tables.
func Generate(apidata []byte) ([]byte, error) {
	var roots []schemaNode
	if err := json.Unmarshal(apidata, &roots); err != nil {
		return nil, fmt.Errorf("parse apidata: %w", err)
	}
	index := map[string]schemaNode{}
	var walk func([]schemaNode)
	walk = func(ns []schemaNode) {
		for _, n := range ns {
			index[n.Path] = n
			walk(n.Children)
		}
	}
	walk(roots)

	endpoints := append([]string(nil), Endpoints...)
	for _, kind := range []string{"qemu", "lxc"} {
		for _, e := range guestEndpoints {
			endpoints = append(endpoints, fmt.Sprintf(e, kind))
		}
	}
	sort.Strings(endpoints)

	g := &generator{subVars: map[string]string{}}
	var body bytes.Buffer
	body.WriteString("// endpointParams lists every parameter of every served operation, keyed \"METHOD /path\".\n")
	body.WriteString("var endpointParams = map[string][]paramSpec{\n")
	for _, ep := range endpoints {
		method, path, _ := strings.Cut(ep, " ")
		n, ok := index[path]
		if !ok {
			return nil, fmt.Errorf("apidata has no path %s", path)
		}
		info, ok := n.Info[method]
		if !ok {
			return nil, fmt.Errorf("apidata has no %s", ep)
		}
		kind := guestKind(path)
		params, err := convertAll(info.Parameters.Properties, kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep, err)
		}
		fmt.Fprintf(&body, "%q: {\n", ep)
		for _, p := range params {
			body.WriteString(g.literal(p))
			body.WriteString(",\n")
		}
		body.WriteString("},\n")
	}
	body.WriteString("}\n\n")

	body.WriteString("// configFieldTypes gives the JSON type of each key of a guest's configuration (GET …/config returns);\n")
	body.WriteString("// numbered keys appear once as \"net[n]\".\n")
	body.WriteString("var configFieldTypes = map[string]map[string]string{\n")
	for _, kind := range []string{"lxc", "qemu"} {
		path := fmt.Sprintf("/nodes/{node}/%s/{vmid}/config", kind)
		props := index[path].Info["GET"].Returns.Properties
		keys := sortedKeys(props)
		fmt.Fprintf(&body, "%q: {\n", kind)
		for _, k := range keys {
			t, _ := props[k].Type.(string)
			fmt.Fprintf(&body, "%q: %q,\n", k, t)
		}
		body.WriteString("},\n")
	}
	body.WriteString("}\n")

	var out bytes.Buffer
	out.WriteString("// Code generated by internal/schemagen from apidata.json (pve-docs, PVE 9.1.3); DO NOT EDIT.\n\n")
	out.WriteString("package pvesim\n\n")
	for _, name := range g.subOrder {
		fmt.Fprintf(&out, "var %s = []paramSpec{\n%s}\n\n", name, g.subBody[name])
	}
	out.Write(body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated code: %w", err)
	}
	return src, nil
}

func guestKind(path string) string {
	switch {
	case strings.Contains(path, "/qemu"):
		return "qemu"
	case strings.Contains(path, "/lxc"):
		return "lxc"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func convertAll(props map[string]property, kind string) ([]param, error) {
	var out []param
	for _, name := range sortedKeys(props) {
		p, err := convert(name, props[name])
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		if base, ok := strings.CutSuffix(name, "[n]"); ok {
			p.Name = base
			p.Count = numberedCount(kind, base, props[name].Description)
			if p.Count == 0 {
				return nil, fmt.Errorf("parameter %s: unknown instance count", name)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func numberedCount(kind, base, description string) int {
	if m := upToPattern.FindStringSubmatch(description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if m := rangePattern.FindStringSubmatch(description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n + 1
	}
	return numberedCounts[kind+" "+base]
}

func convert(name string, p property) (param, error) {
	out := param{Name: name, MinLength: -1, MaxLength: -1}
	out.Type, _ = p.Type.(string)
	out.Optional = truthy(p.Optional)
	out.DefaultKey = truthy(p.DefaultKey)
	out.Alias = p.Alias
	out.KeyAlias = p.KeyAlias
	out.Pattern = p.Pattern
	for _, e := range p.Enum {
		out.Enum = append(out.Enum, scalar(e))
	}
	var err error
	if out.Min, err = number(p.Minimum); err != nil {
		return out, err
	}
	if out.Max, err = number(p.Maximum); err != nil {
		return out, err
	}
	if v, err := number(p.MinLength); err != nil {
		return out, err
	} else if v != nil {
		out.MinLength = int(*v)
	}
	if v, err := number(p.MaxLength); err != nil {
		return out, err
	} else if v != nil {
		out.MaxLength = int(*v)
	}
	if len(p.Format) > 0 {
		var named string
		if err := json.Unmarshal(p.Format, &named); err == nil {
			out.Format = named
		} else {
			var sub map[string]property
			if err := json.Unmarshal(p.Format, &sub); err != nil {
				return out, fmt.Errorf("format is neither a name nor an object: %w", err)
			}
			for _, k := range sortedKeys(sub) {
				sp, err := convert(k, sub[k])
				if err != nil {
					return out, fmt.Errorf("key %s: %w", k, err)
				}
				out.Sub = append(out.Sub, sp)
			}
		}
	}
	return out, nil
}

// truthy reads the schema's 0/1 (or true/false) flags.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x == "1"
	}
	return false
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// number reads a bound that the schema writes as a number or, sometimes, a numeric string.
func number(v any) (*float64, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		return &x, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return nil, fmt.Errorf("bound %q is not a number", x)
		}
		return &f, nil
	}
	return nil, fmt.Errorf("bound %v has type %T", v, v)
}

type generator struct {
	subVars  map[string]string // literal body -> variable name
	subOrder []string
	subBody  map[string]string
}

// literal renders a paramSpec composite literal with only its non-zero fields.
func (g *generator) literal(p param) string {
	var b strings.Builder
	b.WriteString("{")
	field := func(s string) {
		if b.Len() > 1 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	field("Name: " + strconv.Quote(p.Name))
	if p.Count > 0 {
		field("Count: " + strconv.Itoa(p.Count))
	}
	if p.Type != "" {
		field("Type: " + strconv.Quote(p.Type))
	}
	if p.Optional {
		field("Optional: true")
	}
	if p.DefaultKey {
		field("DefaultKey: true")
	}
	if p.Alias != "" {
		field("Alias: " + strconv.Quote(p.Alias))
	}
	if p.KeyAlias != "" {
		field("KeyAlias: " + strconv.Quote(p.KeyAlias))
	}
	if len(p.Enum) > 0 {
		quoted := make([]string, len(p.Enum))
		for i, e := range p.Enum {
			quoted[i] = strconv.Quote(e)
		}
		field("Enum: []string{" + strings.Join(quoted, ", ") + "}")
	}
	if p.Min != nil {
		field("HasMin: true, Min: " + strconv.FormatFloat(*p.Min, 'f', -1, 64))
	}
	if p.Max != nil {
		field("HasMax: true, Max: " + strconv.FormatFloat(*p.Max, 'f', -1, 64))
	}
	if p.MinLength >= 0 {
		field("MinLength: " + strconv.Itoa(p.MinLength))
	}
	if p.MaxLength >= 0 {
		field("MaxLength: " + strconv.Itoa(p.MaxLength))
	}
	if p.Format != "" {
		field("Format: " + strconv.Quote(p.Format))
	}
	if p.Pattern != "" {
		field("Pattern: " + strconv.Quote(p.Pattern))
	}
	if len(p.Sub) > 0 {
		field("Sub: " + g.subVar(p.Sub))
	}
	b.WriteString("}")
	return b.String()
}

// subVar names a property string's key list, sharing one variable between parameters with the same keys
// (scsi0…scsi30, sata, ide and virtio disks are nearly alike).
func (g *generator) subVar(keys []param) string {
	var body strings.Builder
	for _, k := range keys {
		body.WriteString(g.literal(k))
		body.WriteString(",\n")
	}
	text := body.String()
	if name, ok := g.subVars[text]; ok {
		return name
	}
	if g.subBody == nil {
		g.subBody = map[string]string{}
	}
	name := fmt.Sprintf("propertyString%d", len(g.subOrder)+1)
	g.subVars[text] = name
	g.subOrder = append(g.subOrder, name)
	g.subBody[name] = text
	return name
}
