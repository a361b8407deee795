package pvesim

import (
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func addFirewallRoutes(add func(method, path, kind string, h func(*call) (reply, *apiError))) {
	scopes := map[string]string{
		"/cluster/firewall/rules":                        "",
		"/cluster/firewall/groups/{group}":               "",
		"/nodes/{node}/firewall/rules":                   "",
		"/nodes/{node}/qemu/{vmid}/firewall/rules":       "qemu",
		"/nodes/{node}/lxc/{vmid}/firewall/rules":        "lxc",
		"/cluster/firewall/groups/{group}/{pos}":         "",
		"/cluster/firewall/rules/{pos}":                  "",
		"/nodes/{node}/firewall/rules/{pos}":             "",
		"/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}": "qemu",
		"/nodes/{node}/lxc/{vmid}/firewall/rules/{pos}":  "lxc",
	}
	for path, kind := range scopes {
		if strings.HasSuffix(path, "{pos}") {
			add("GET", path, kind, (*call).fwRuleRead)
			add("PUT", path, kind, (*call).fwRuleUpdate)
			add("DELETE", path, kind, (*call).fwRuleDelete)
			continue
		}
		add("GET", path, kind, (*call).fwRuleList)
		add("POST", path, kind, (*call).fwRuleCreate)
	}
	add("GET", "/cluster/firewall/groups", "", (*call).fwGroupList)
	add("POST", "/cluster/firewall/groups", "", (*call).fwGroupCreate)
	add("DELETE", "/cluster/firewall/groups/{group}", "", (*call).fwGroupDelete)
}

// fwScope names the rule set a request's path addresses, and checks that its owner exists: a security
// group, or the guest on the path's node.
func (c *call) fwScope() (scope, env string, err *apiError) {
	switch {
	case strings.HasPrefix(c.op.Path, "/cluster/firewall/groups/"):
		name := c.p["group"]
		if c.s.c.ruleset("group/"+name, false) == nil {
			return "", "", fail("no such security group '%s'", name)
		}
		return "group/" + name, "group", nil
	case strings.HasPrefix(c.op.Path, "/cluster/firewall/"):
		return "cluster", "cluster", nil
	case c.kind != "":
		if _, err := c.guest(); err != nil {
			return "", "", err
		}
		return "guest/" + c.p["vmid"], "guest", nil
	}
	return "node/" + c.p["node"], "node", nil
}

func writeRule(w *jsonWriter, r fwRule, pos int, digest string) {
	w.Open()
	w.Int("pos", int64(pos))
	for _, k := range sortedKeys(r) {
		if k == "enable" {
			w.Int(k, int64(atoiOr(r[k], 0)))
			continue
		}
		w.Str(k, r[k])
	}
	if v := ipVersion(r); v != 0 {
		w.Int("ipversion", int64(v))
	}
	w.Str("digest", digest)
	w.End()
}

func (c *call) fwRules() ([]fwRule, string, *apiError) {
	scope, _, err := c.fwScope()
	if err != nil {
		return nil, "", err
	}
	var rules []fwRule
	if rs := c.s.c.ruleset(scope, false); rs != nil {
		rules = rs.rules
	}
	return rules, scope, nil
}

func (c *call) fwRuleList() (reply, *apiError) {
	rules, _, err := c.fwRules()
	if err != nil {
		return reply{}, err
	}
	digest := rulesDigest(rules)
	var w jsonWriter
	w.OpenArr()
	for i, r := range rules {
		writeRule(&w, r, i, digest)
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// rulePos reads the path's position and finds the rule there.
func (c *call) rulePos(rules []fwRule) (int, *apiError) {
	pos := c.intParam("pos", -1)
	if pos < 0 || pos >= len(rules) {
		return 0, fail("no rule at position %s", c.p["pos"])
	}
	return pos, nil
}

func (c *call) fwRuleRead() (reply, *apiError) {
	rules, _, err := c.fwRules()
	if err != nil {
		return reply{}, err
	}
	pos, err := c.rulePos(rules)
	if err != nil {
		return reply{}, err
	}
	var w jsonWriter
	writeRule(&w, rules[pos], pos, rulesDigest(rules))
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) checkDigest(rules []fwRule) *apiError {
	if d, ok := c.p["digest"]; ok && d != rulesDigest(rules) {
		return fail("detected modified configuration - file changed by other user? Try again.")
	}
	return nil
}

// fwRuleCreate puts the new rule on top, as pve-firewall's create_rule does; enable defaults to 0.
func (c *call) fwRuleCreate() (reply, *apiError) {
	scope, env, err := c.fwScope()
	if err != nil {
		return reply{}, err
	}
	rs := c.s.c.ruleset(scope, true)
	if err := c.checkDigest(rs.rules); err != nil {
		return reply{}, err
	}
	r := copyRuleData(nil, c.p)
	if errs := c.s.c.verifyRule(r, env); errs != nil {
		return reply{}, badParams(errs)
	}
	if _, ok := c.p["enable"]; !ok {
		r["enable"] = "0"
	}
	rs.rules = slices.Insert(rs.rules, 0, r)
	return reply{}, nil
}

// fwRuleUpdate changes a rule or, with moveto, only moves it: the rule goes before the one now at moveto
// (to the end when moveto is past it), as pve-firewall's update_rule does.
func (c *call) fwRuleUpdate() (reply, *apiError) {
	scope, env, err := c.fwScope()
	if err != nil {
		return reply{}, err
	}
	rs := c.s.c.ruleset(scope, true)
	if err := c.checkDigest(rs.rules); err != nil {
		return reply{}, err
	}
	pos, err := c.rulePos(rs.rules)
	if err != nil {
		return reply{}, err
	}
	rule := rs.rules[pos]
	if to, ok := c.p["moveto"]; ok && atoiOr(to, pos) != pos {
		moveto := atoiOr(to, pos)
		var out []fwRule
		for i, r := range rs.rules {
			if i == pos {
				continue
			}
			if i == moveto {
				out = append(out, rule)
			}
			out = append(out, r)
		}
		if moveto >= len(rs.rules) {
			out = append(out, rule)
		}
		rs.rules = out
		return reply{}, nil
	}
	r := copyRuleData(rule, c.p)
	for _, k := range schema.SplitList(c.p["delete"]) {
		delete(r, k)
	}
	if errs := c.s.c.verifyRule(r, env); errs != nil {
		return reply{}, badParams(errs)
	}
	rs.rules[pos] = r
	return reply{}, nil
}

func (c *call) fwRuleDelete() (reply, *apiError) {
	scope, _, err := c.fwScope()
	if err != nil {
		return reply{}, err
	}
	rs := c.s.c.ruleset(scope, true)
	if err := c.checkDigest(rs.rules); err != nil {
		return reply{}, err
	}
	pos, err := c.rulePos(rs.rules)
	if err != nil {
		return reply{}, err
	}
	rs.rules = slices.Delete(rs.rules, pos, pos+1)
	return reply{}, nil
}

func (c *call) fwGroupList() (reply, *apiError) {
	groups := c.s.c.securityGroups()
	h := strings.Join(groups, "\n")
	digest := rulesDigest([]fwRule{{"groups": h}})
	var w jsonWriter
	w.OpenArr()
	for _, g := range groups {
		w.Open()
		w.Str("group", g)
		if cm := c.s.c.firewall["group/"+g].comment; cm != "" {
			w.Str("comment", cm)
		}
		w.Str("digest", digest)
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// fwGroupCreate makes a security group, or with rename gives one a new name (its references elsewhere are
// not followed, unlike PVE's).
func (c *call) fwGroupCreate() (reply, *apiError) {
	cl := c.s.c
	name := c.p["group"]
	if old, ok := c.p["rename"]; ok {
		rs := cl.ruleset("group/"+old, false)
		if rs == nil {
			return reply{}, badParam("group", "Security group '"+old+"' does not exist")
		}
		if old != name && cl.ruleset("group/"+name, false) != nil {
			return reply{}, badParam("group", "Security group '"+name+"' does already exist")
		}
		if cm, ok := c.p["comment"]; ok {
			rs.comment = cm
		}
		delete(cl.firewall, "group/"+old)
		cl.firewall["group/"+name] = rs
		return reply{}, nil
	}
	if cl.ruleset("group/"+name, false) != nil {
		return reply{}, badParam("group", "Security group '"+name+"' already exists")
	}
	rs := cl.ruleset("group/"+name, true)
	rs.comment = c.p["comment"]
	return reply{}, nil
}

func (c *call) fwGroupDelete() (reply, *apiError) {
	cl := c.s.c
	name := c.p["group"]
	rs := cl.ruleset("group/"+name, false)
	if rs == nil {
		return reply{}, fail("no such security group '%s'", name)
	}
	if len(rs.rules) > 0 {
		return reply{}, fail("Security group '%s' is not empty", name)
	}
	delete(cl.firewall, "group/"+name)
	return reply{}, nil
}
