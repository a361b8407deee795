package schema

import (
	"strings"
)

// formatHints say in words what the common named formats accept.
var formatHints = []struct{ format, hint string }{
	{"pve-vmid", "a VM ID, 100 to 999999999"},
	{"pve-node", "a node name: letters, digits and inner hyphens"},
	{"pve-storage-id", "a storage ID: a letter, then letters, digits, '-', '_' or '.'"},
	{"pve-configid", "an ID: a letter, then letters, digits, '-' or '_'"},
	{"pve-volume-id", "a volume ID STORAGE:NAME, e.g. local:iso/debian.iso"},
	{"pve-poolid", "a pool name (up to 3 levels, a/b/c)"},
	{"pve-userid", "a user ID user@realm"},
	{"pve-tokenid", "a token ID user@realm!name"},
	{"pve-realm", "a realm name"},
	{"pve-groupid", "a group name"},
	{"pve-roleid", "a role name"},
	{"pve-priv", "a privilege name, e.g. VM.Audit"},
	{"mac-addr", "a unicast MAC address XX:XX:XX:XX:XX:XX"},
	{"ip", "an IP address"},
	{"ipv4", "an IPv4 address"},
	{"ipv6", "an IPv6 address"},
	{"pve-ipv4-config", "dhcp, manual, or an IPv4 address with its prefix (8 to 32), e.g. 192.168.1.50/24"},
	{"pve-ipv6-config", "auto, dhcp, manual, or an IPv6 address with its prefix (8 to 128), e.g. 2001:db8::50/64"},
	{"CIDR", "a network in CIDR notation, e.g. 10.0.0.0/24"},
	{"CIDRv4", "an IPv4 network in CIDR notation"},
	{"CIDRv6", "an IPv6 network in CIDR notation"},
	{"IPorCIDR", "an IP address or CIDR network"},
	{"IPorCIDRorAlias", "an IP address, a CIDR network or an alias name"},
	{"dns-name", "a DNS name"},
	{"address", "an IP address or DNS name"},
	{"email", "an email address"},
	{"pve-tag", "a tag: letters, digits, '_', '-', '+', '.'"},
	{"pve-iface", "a network interface name, e.g. vmbr0"},
	{"pve-bridge-id", "a bridge name, e.g. vmbr0"},
	{"disk-size", "a size such as 32G (K, M, G, T)"},
	{"pve-startup-order", "[order=]N [,up=N] [,down=N]"},
	{"pve-fw-addr-spec", "addresses: IPs, CIDRs, ranges a-b, an alias or +ipset"},
	{"pve-fw-dport-spec", "ports: numbers, ranges a:b or service names"},
	{"pve-fw-sport-spec", "ports: numbers, ranges a:b or service names"},
	{"urlencoded", "URL-encoded text"},
	{"pve-ha-resource-or-vm-id", "an HA resource ID type:name (vm:100, ct:101) or a VM ID"},
	{"pve-storage-content", "a content type: images, rootdir, vztmpl, iso, backup, snippets, import"},
}

func formatHint(format string) string {
	for _, h := range formatHints {
		if h.format == format {
			return h.hint
		}
	}
	return ""
}

// hint says what a parameter accepts, briefly.
func (p *Param) hint() string {
	if p.isPropertyString() {
		return "a property string: " + p.syntax()
	}
	var parts []string
	base, list := strings.CutSuffix(p.Format, "-list")
	named := formatHint(base) != ""
	switch p.Type {
	case "boolean":
		parts = append(parts, "0 or 1 (true or false)")
	case "integer", "number":
		if named && !list {
			break // the format says it better ("a VM ID, 100 to 999999999")
		}
		what := "an integer"
		if p.Type == "number" {
			what = "a number"
		}
		switch {
		case p.HasMin && p.HasMax:
			what += " from " + formatNumber(p.Min) + " to " + formatNumber(p.Max)
		case p.HasMin:
			what += " of at least " + formatNumber(p.Min)
		case p.HasMax:
			what += " of at most " + formatNumber(p.Max)
		}
		parts = append(parts, what)
	}
	if len(p.Enum) > 0 {
		const max = 30
		if len(p.Enum) > max {
			parts = append(parts, "one of "+strings.Join(p.Enum[:max], ", ")+", …")
		} else {
			parts = append(parts, "one of "+strings.Join(p.Enum, ", "))
		}
	}
	if p.Format != "" && p.Type != "boolean" {
		h := formatHint(base)
		if h == "" {
			h = "format " + base
		}
		if list {
			h = "a list of: " + h
		}
		parts = append(parts, h)
	}
	if p.Pattern != "" {
		pat := p.Pattern
		if len(pat) > 80 {
			pat = pat[:80] + "…"
		}
		parts = append(parts, "matching "+pat)
	}
	switch atLeast := p.HasMinLength && p.MinLength > 1; {
	case p.HasMaxLength && atLeast:
		parts = append(parts, formatNumber(float64(p.MinLength))+" to "+formatNumber(float64(p.MaxLength))+" characters")
	case p.HasMaxLength:
		parts = append(parts, "at most "+formatNumber(float64(p.MaxLength))+" characters")
	case atLeast:
		parts = append(parts, "at least "+formatNumber(float64(p.MinLength))+" characters")
	}
	return strings.Join(parts, "; ")
}

// syntax is a property string's syntax line: the typetext, else one built from the keys.
func (p *Param) syntax() string {
	s := p.TypeText
	if s == "" {
		var parts []string
		for _, k := range p.Keys {
			if k.Alias != "" {
				continue
			}
			part := k.Name + "=<" + k.Type + ">"
			if k.DefaultKey {
				part = "[" + k.Name + "=]<" + k.Type + ">"
			}
			if k.Optional {
				part = "[" + part + "]"
			}
			parts = append(parts, part)
		}
		s = strings.Join(parts, ",")
	}
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Allowed says in a few words what a parameter accepts ("an integer from 1 to 4094", "one of in, out",
// "a VM ID, 100 to 999999999", "a property string: [model=]<enum> [,bridge=<bridge>] …"): the text the
// validator's problems carry, for a describe tool.
func (p *Param) Allowed() string { return p.hint() }

// Syntax is a property string's syntax line (its typetext, or one built from its keys); "" for other
// parameters.
func (p *Param) Syntax() string {
	if len(p.Keys) == 0 {
		return ""
	}
	return p.syntax()
}
