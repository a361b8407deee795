package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// op is one operation as the table stores it.
type op struct {
	Method, Path, Summary, Description, ProxyTo string
	Protected, AllowToken, ExposeCredentials    bool
	DownloadAllowed, AdditionalParams           bool
	Params                                      []*param
	HasPermissions                              bool
	PermUser, PermDescription                   string
	Check                                       *check
	Returns                                     *schemaNode
}

// param is a parameter, a property-string key or an array's items.
type param struct {
	Name, Type, Format, Pattern, TypeText, Description string
	Default, Alias, KeyAlias, Requires, TypeProperty   string
	FormatDescription                                  string
	Optional, DefaultKey, HasDefault                   bool
	KeysFromTypeText                                   bool
	Min, Max                                           string
	HasMin, HasMax                                     bool
	MinLength, MaxLength                               int
	HasMinLength, HasMaxLength                         bool
	Count                                              int
	Enum                                               []string
	Keys                                               []*param
	Items                                              *param
	OneOf                                              []*param
	InstanceTypes                                      []string
}

// schemaNode is a returns schema, reduced to what describes and synthesises an answer.
type schemaNode struct {
	Type, Description, Format, Pattern, Link string
	Optional, AdditionalProperties           bool
	Min, Max                                 string
	HasMin, HasMax                           bool
	Enum                                     []string
	Props                                    []namedSchema
	Items                                    *schemaNode
	OneOf                                    []*schemaNode
}

type namedSchema struct {
	Name   string
	Schema *schemaNode
}

// check is a permission check expression of pve-access-control's exec_api2_perm_check.
type check struct {
	Kind         string // perm, and, or, userid-group, userid-param, perm-modify
	Path         string
	Privs        []string
	Any          bool
	RequireParam string
	GroupsParam  string
	Sub          string // userid-param: self or Realm.AllocateUser
	Checks       []*check
}

// numberedCounts gives how many instances a numbered parameter ("net[n]") has where its description does not
// say ("n is 0 to 30"). The values are PVE 9's constants: qemu-server (PVE::QemuServer MAX_NETS,
// MAX_HOSTPCI_DEVICES, MAX_NUMA, MAX_UNUSED_DISKS, virtiofs), pve-container (PVE::LXC::Config
// MAX_MOUNT_POINTS, MAX_DEVICES, MAX_LXC_NETWORKS, MAX_UNUSED_DISKS), pve-cluster (PVE::Corosync
// MAX_LINK_INDEX 7: link0 … link7) and pve-manager (PVE::NodeConfig MAXDOMAINS 5: acmedomain0 … acmedomain5).
var numberedCounts = map[string]int{
	"qemu net":        32,
	"qemu ipconfig":   32,
	"qemu hostpci":    16,
	"qemu numa":       8,
	"qemu unused":     256,
	"qemu virtiofs":   10,
	"lxc net":         32,
	"lxc mp":          256,
	"lxc dev":         256,
	"lxc unused":      256,
	"cluster link":    8,
	"node acmedomain": 6,
}

var (
	rangePattern = regexp.MustCompile(`n is 0 to (\d+)`)
	upToPattern  = regexp.MustCompile(`n can be up to (\d+)`)
)

// countContext names the family a numbered parameter belongs to, for numberedCounts.
func countContext(path string) string {
	switch {
	case strings.Contains(path, "/qemu"):
		return "qemu"
	case strings.Contains(path, "/lxc"):
		return "lxc"
	case strings.HasPrefix(path, "/cluster/config"):
		return "cluster"
	case strings.HasPrefix(path, "/nodes/{node}/config"):
		return "node"
	}
	return ""
}

// numberedCount reads the instance count from the description, else from numberedCounts; 0 if unknown.
func numberedCount(context, base, description string) int {
	if m := upToPattern.FindStringSubmatch(description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if m := rangePattern.FindStringSubmatch(description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n + 1
	}
	return numberedCounts[context+" "+base]
}

// buildOps reads every operation of the tree, sorted by path and then method.
func buildOps(apidata []byte) ([]*op, error) {
	var roots []treeNode
	dec := json.NewDecoder(bytes.NewReader(apidata))
	dec.UseNumber()
	if err := dec.Decode(&roots); err != nil {
		return nil, fmt.Errorf("parse apidata: %w", err)
	}
	var ops []*op
	var walk func([]treeNode) error
	walk = func(ns []treeNode) error {
		for _, n := range ns {
			if err := checkChildren(n); err != nil {
				return err
			}
			for method, raw := range n.Info {
				o, err := buildOp(method, n.Path, raw)
				if err != nil {
					return fmt.Errorf("%s %s: %w", method, n.Path, err)
				}
				ops = append(ops, o)
			}
			if err := walk(n.Children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(roots); err != nil {
		return nil, err
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return methodRank(ops[i].Method) < methodRank(ops[j].Method)
	})
	return ops, nil
}

// checkChildren enforces what pve-common's RESTHandler enforces when methods register ("path match error -
// regex and fixed items"): below a path, either one variable segment or only fixed ones. The matcher relies on
// it: a concrete path has at most one template.
func checkChildren(n treeNode) error {
	vars, fixed := 0, 0
	for _, c := range n.Children {
		seg := c.Path[strings.LastIndexByte(c.Path, '/')+1:]
		if strings.HasPrefix(seg, "{") {
			vars++
		} else {
			fixed++
		}
	}
	if vars > 1 || (vars == 1 && fixed > 0) {
		return fmt.Errorf("%s mixes variable and fixed children", n.Path)
	}
	return nil
}

func methodRank(m string) int {
	return strings.Index("GET POST PUT DELETE", m)
}

func buildOp(method, path string, raw json.RawMessage) (*op, error) {
	var info methodInfo
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&info); err != nil {
		return nil, err
	}
	o := &op{
		Method:            method,
		Path:              path,
		Description:       strings.TrimSpace(info.Description),
		Protected:         truthy(info.Protected),
		AllowToken:        truthy(info.AllowToken),
		ExposeCredentials: truthy(info.ExposeCredentials),
		DownloadAllowed:   truthy(info.DownloadAllowed),
		// PVE's check_object allows unknown parameters unless additionalProperties is 0
		AdditionalParams: info.Parameters.AdditionalProperties == nil || truthy(info.Parameters.AdditionalProperties),
	}
	if s, ok := info.ProxyTo.(string); ok {
		o.ProxyTo = s
	}
	o.Summary = summarize(o.Description)
	ctx := countContext(path)
	for _, name := range sortedKeys(info.Parameters.Properties) {
		p, err := buildParam(name, info.Parameters.Properties[name])
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		if base, ok := strings.CutSuffix(name, "[n]"); ok {
			p.Name = base
			p.Count = numberedCount(ctx, base, p.Description)
			if p.Count == 0 {
				return nil, fmt.Errorf("parameter %s: unknown instance count", name)
			}
		}
		o.Params = append(o.Params, p)
	}
	for _, v := range pathVars(path) {
		if !hasParam(o.Params, v) {
			return nil, fmt.Errorf("path variable {%s} has no parameter", v)
		}
	}
	if info.Permissions != nil {
		o.HasPermissions = true
		o.PermUser = info.Permissions.User
		o.PermDescription = strings.TrimSpace(info.Permissions.Description)
		if len(info.Permissions.Check) > 0 {
			c, err := buildCheck(info.Permissions.Check)
			if err != nil {
				return nil, fmt.Errorf("permissions: %w", err)
			}
			o.Check = c
		}
	}
	if info.Returns != nil {
		r, err := buildSchema(*info.Returns)
		if err != nil {
			return nil, fmt.Errorf("returns: %w", err)
		}
		o.Returns = r
	} else {
		o.Returns = &schemaNode{}
	}
	return o, nil
}

func hasParam(ps []*param, name string) bool {
	for _, p := range ps {
		if p.Name == name && p.Count == 0 {
			return true
		}
	}
	return false
}

func pathVars(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// summarize is the description's first sentence on its first line, at most about 100 characters; the few
// operations without a description are directory indexes.
func summarize(desc string) string {
	line, _, _ := strings.Cut(desc, "\n")
	line = strings.Join(strings.Fields(line), " ")
	if line == "" {
		return "Directory index"
	}
	if i := strings.Index(line, ". "); i > 0 {
		line = line[:i]
	}
	line = strings.TrimSuffix(line, ".")
	const max = 100
	if len(line) > max {
		cut := strings.LastIndexByte(line[:max], ' ')
		if cut < max/2 {
			cut = max
		}
		line = strings.TrimRight(line[:cut], " ,;:") + "…"
	}
	return line
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func buildParam(name string, rp rawProperty) (*param, error) {
	p := &param{
		Name:              name,
		Pattern:           rp.Pattern,
		TypeText:          rp.TypeText,
		Description:       strings.TrimSpace(rp.Description),
		Alias:             rp.Alias,
		KeyAlias:          rp.KeyAlias,
		TypeProperty:      rp.TypeProperty,
		FormatDescription: rp.FormatDescription,
		Optional:          truthy(rp.Optional),
		DefaultKey:        truthy(rp.DefaultKey),
		InstanceTypes:     rp.InstanceTypes,
	}
	var err error
	if p.Type, err = typeName(rp.Type); err != nil {
		return nil, err
	}
	if s, ok := rp.Requires.(string); ok {
		p.Requires = s
	}
	p.Default, p.HasDefault = scalarText(rp.Default)
	for _, e := range rp.Enum {
		s, _ := scalarText(e)
		p.Enum = append(p.Enum, s)
	}
	if p.Min, p.HasMin, err = numberText(rp.Minimum); err != nil {
		return nil, err
	}
	if p.Max, p.HasMax, err = numberText(rp.Maximum); err != nil {
		return nil, err
	}
	if p.MinLength, p.HasMinLength, err = lengthBound(rp.MinLength); err != nil {
		return nil, err
	}
	if p.MaxLength, p.HasMaxLength, err = lengthBound(rp.MaxLength); err != nil {
		return nil, err
	}
	if len(rp.Format) > 0 {
		var named string
		if err := json.Unmarshal(rp.Format, &named); err == nil {
			p.Format = named
			if keys, ok := keysFromTypeText(named, rp.TypeText); ok {
				p.Keys, p.KeysFromTypeText = keys, true
			}
		} else {
			var sub map[string]rawProperty
			dec := json.NewDecoder(bytes.NewReader(rp.Format))
			dec.UseNumber()
			if err := dec.Decode(&sub); err != nil {
				return nil, fmt.Errorf("format is neither a name nor an object: %w", err)
			}
			for _, k := range sortedKeys(sub) {
				kp, err := buildParam(k, sub[k])
				if err != nil {
					return nil, fmt.Errorf("key %s: %w", k, err)
				}
				p.Keys = append(p.Keys, kp)
			}
		}
	}
	if rp.Items != nil {
		it, err := buildParam("", *rp.Items)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		p.Items = it
	}
	for i, alt := range rp.OneOf {
		ap, err := buildParam(name, alt)
		if err != nil {
			return nil, fmt.Errorf("oneOf[%d]: %w", i, err)
		}
		p.OneOf = append(p.OneOf, ap)
	}
	return p, nil
}

func lengthBound(v any) (int, bool, error) {
	s, ok, err := numberText(v)
	if err != nil || !ok {
		return 0, false, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("length bound %q is not a count", s)
	}
	return n, true, nil
}

func buildSchema(rp rawProperty) (*schemaNode, error) {
	s := &schemaNode{
		Description: strings.TrimSpace(rp.Description),
		Pattern:     rp.Pattern,
		Optional:    truthy(rp.Optional),
		// PVE writes additionalProperties as 0/1 on objects whose keys are not all listed
		AdditionalProperties: truthy(rp.AdditionalProperties),
	}
	var err error
	if s.Type, err = typeName(rp.Type); err != nil {
		return nil, err
	}
	var named string
	if len(rp.Format) > 0 && json.Unmarshal(rp.Format, &named) == nil {
		s.Format = named
	}
	for _, e := range rp.Enum {
		t, _ := scalarText(e)
		s.Enum = append(s.Enum, t)
	}
	if s.Min, s.HasMin, err = numberText(rp.Minimum); err != nil {
		return nil, err
	}
	if s.Max, s.HasMax, err = numberText(rp.Maximum); err != nil {
		return nil, err
	}
	for _, l := range rp.Links {
		if l.Rel == "child" && strings.HasPrefix(l.Href, "{") && strings.HasSuffix(l.Href, "}") {
			s.Link = l.Href[1 : len(l.Href)-1]
		}
	}
	for _, k := range sortedKeys(rp.Properties) {
		c, err := buildSchema(rp.Properties[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		s.Props = append(s.Props, namedSchema{Name: k, Schema: c})
	}
	if rp.Items != nil {
		it, err := buildSchema(*rp.Items)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		s.Items = it
	}
	for i, alt := range rp.OneOf {
		a, err := buildSchema(alt)
		if err != nil {
			return nil, fmt.Errorf("oneOf[%d]: %w", i, err)
		}
		s.OneOf = append(s.OneOf, a)
	}
	return s, nil
}

// buildCheck parses a check expression: ["perm", path, [privs], "any", 1, "require_param", name],
// ["and"|"or", check…], ["userid-group", [privs], "groups_param", x], ["userid-param", sub],
// ["perm-modify", path].
func buildCheck(raw json.RawMessage) (*check, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) == 0 {
		return nil, fmt.Errorf("check %s is not a list", raw)
	}
	var kind string
	if err := json.Unmarshal(parts[0], &kind); err != nil {
		return nil, fmt.Errorf("check %s has no kind", raw)
	}
	c := &check{Kind: kind}
	str := func(i int) (string, error) {
		var s string
		if i >= len(parts) || json.Unmarshal(parts[i], &s) != nil {
			return "", fmt.Errorf("check %s: element %d is not a string", raw, i)
		}
		return s, nil
	}
	options := func(from int) error {
		for i := from; i+1 < len(parts); i += 2 {
			name, err := str(i)
			if err != nil {
				return err
			}
			switch name {
			case "any":
				c.Any = truthy(jsonValue(parts[i+1]))
			case "require_param":
				if c.RequireParam, err = str(i + 1); err != nil {
					return err
				}
			case "groups_param":
				if c.GroupsParam, err = str(i + 1); err != nil {
					return err
				}
			default:
				return fmt.Errorf("check %s: unknown option %s", raw, name)
			}
		}
		if (len(parts)-from)%2 != 0 {
			return fmt.Errorf("check %s: options are not pairs", raw)
		}
		return nil
	}
	var err error
	switch kind {
	case "perm":
		if c.Path, err = str(1); err != nil {
			return nil, err
		}
		if len(parts) < 3 || json.Unmarshal(parts[2], &c.Privs) != nil {
			return nil, fmt.Errorf("check %s: no privilege list", raw)
		}
		if err := options(3); err != nil {
			return nil, err
		}
	case "and", "or":
		for _, sub := range parts[1:] {
			sc, err := buildCheck(sub)
			if err != nil {
				return nil, err
			}
			c.Checks = append(c.Checks, sc)
		}
	case "userid-group":
		if len(parts) < 2 || json.Unmarshal(parts[1], &c.Privs) != nil {
			return nil, fmt.Errorf("check %s: no privilege list", raw)
		}
		if err := options(2); err != nil {
			return nil, err
		}
	case "userid-param":
		if c.Sub, err = str(1); err != nil {
			return nil, err
		}
	case "perm-modify":
		if c.Path, err = str(1); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("check %s: unknown kind %q", raw, kind)
	}
	return c, nil
}

func jsonValue(raw json.RawMessage) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&v)
	return v
}
