package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"maps"
	"net/netip"
	"strings"
)

// fwRule is one firewall rule as pve-firewall stores it: its properties by name (action, type, enable, …).
type fwRule map[string]string

// ruleProperties are pve-firewall's $rule_properties: what copy_rule_data takes from a request.
var ruleProperties = []string{"action", "comment", "dest", "dport", "enable", "icmp-type", "iface", "log", "macro", "proto", "source", "sport", "type"}

// ruleset is the rules of one scope: "cluster", "node/NAME", "guest/VMID" or "group/NAME" (SDN vnets'
// rules are not modelled).
type ruleset struct {
	rules   []fwRule // in order: position 0 first
	comment string   // security groups only
}

func (c *Cluster) ruleset(scope string, create bool) *ruleset {
	if rs := c.firewall[scope]; rs != nil || !create {
		return rs
	}
	if c.firewall == nil {
		c.firewall = map[string]*ruleset{}
	}
	rs := &ruleset{}
	c.firewall[scope] = rs
	return rs
}

// securityGroups lists the cluster's security groups, sorted.
func (c *Cluster) securityGroups() []string {
	var out []string
	for _, scope := range sortedKeys(c.firewall) {
		if name, ok := strings.CutPrefix(scope, "group/"); ok {
			out = append(out, name)
		}
	}
	return out
}

// rulesDigest is copy_list_with_digest's SHA-1 over every rule's sorted properties.
func rulesDigest(rules []fwRule) string {
	h := sha1.New()
	for _, r := range rules {
		for _, k := range sortedKeys(r) {
			h.Write([]byte(k + ":" + r[k] + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// copyRuleData is pve-firewall's copy_rule_data: known properties only; an empty value or "-" removes one.
func copyRuleData(r fwRule, p map[string]string) fwRule {
	out := maps.Clone(r)
	if out == nil {
		out = fwRule{}
	}
	for _, k := range ruleProperties {
		v, ok := p[k]
		if !ok {
			continue
		}
		if v == "" || v == "-" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// ruleEnvDirections is pve-firewall's $rule_env_direction_lookup: the rule types each scope accepts.
func ruleEnvDirections(env string) []string {
	switch env {
	case "guest":
		return []string{"in", "out", "group"}
	case "group":
		return []string{"in", "out", "forward"}
	}
	return []string{"in", "out", "forward", "group"} // cluster, node
}

// verifyRule is the part of pve-firewall's verify_rule that needs no other configuration: types per scope,
// actions, security group names, interface names; errors go to a 400 errors map, one per parameter.
func (c *Cluster) verifyRule(r fwRule, env string) map[string]string {
	errs := map[string]string{}
	add := func(param, msg string) {
		if _, dup := errs[param]; !dup {
			errs[param] = msg
		}
	}
	typ, action := r["type"], r["action"]
	if typ == "" {
		add("type", "missing property")
	}
	if action == "" {
		add("action", "missing property")
	}
	if typ != "" {
		valid := false
		for _, t := range ruleEnvDirections(env) {
			valid = valid || t == typ
		}
		envName := map[string]string{"guest": "vm", "node": "host"}[env]
		if envName == "" {
			envName = env
		}
		if !valid {
			add("type", "invalid rule type '"+typ+"' for rule_env '"+envName+"'")
		}
		switch typ {
		case "in", "out", "forward":
			if typ == "forward" && action == "REJECT" {
				add("action", "cannot define REJECT rules on forward chain")
			}
			if action != "" && action != "ACCEPT" && action != "DROP" && action != "REJECT" {
				add("action", "unknown action '"+action+"'")
			}
		case "group":
			if action != "" && c.ruleset("group/"+action, false) == nil {
				add("action", "no such security group '"+action+"'")
			}
		}
	}
	if iface := r["iface"]; iface != "" && env == "guest" && !(strings.HasPrefix(iface, "net") && isDigits(iface[3:])) {
		add("iface", "value does not match the regex pattern 'net\\d+'")
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// ipVersion is what verify_rule derives from literal addresses: 4, 6, or 0 for none or names.
func ipVersion(r fwRule) int {
	v := 0
	for _, k := range []string{"source", "dest"} {
		for _, item := range strings.Split(r[k], ",") {
			addr, _, _ := strings.Cut(strings.SplitN(item, "-", 2)[0], "/")
			if a, err := netip.ParseAddr(addr); err == nil {
				if a.Is4() {
					v = 4
				} else {
					v = 6
				}
			}
		}
	}
	return v
}
