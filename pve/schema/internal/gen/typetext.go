package main

import (
	"regexp"
	"strings"
)

// keysFromTypeText recovers the keys of a property string whose format the schema only names
// ("pve-vm-cpu-conf", "prune-backups", …) from its typetext, the syntax line pve-common prints for it:
//
//	[[cputype=]<string>] [,flags=<+FLAG[;-FLAG...]>] [,hidden=<1|0>] [,reported-model=<enum>]
//
// A key in brackets is optional, "[key=]" marks the default key, <1|0> is a boolean, <integer> and <N> are
// integers, <a|b|c> an enumeration; anything else is a string. ok is false when the text is not such a list,
// and then the format stays unchecked rather than guessed.
func keysFromTypeText(format, typeText string) (keys []*param, ok bool) {
	if !strings.Contains(typeText, "=") {
		return nil, false
	}
	seen := map[string]bool{}
	for _, tok := range typeTextTokens(typeText) {
		k, good := typeTextKey(tok)
		if !good || seen[k.Name] {
			return nil, false
		}
		seen[k.Name] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, false
	}
	for _, k := range keys {
		if spec, ok := namedFormatKeys[format][k.Name]; ok {
			k.Format, k.Requires = spec.format, spec.requires
		}
	}
	sortParams(keys)
	return keys, true
}

// namedFormatKeys are the formats of keys that a typetext cannot tell and that decide what reaches a guest,
// copied from where the format is registered (reviewed by hand; nothing else here knows them):
// qemu-server's $ipconfig_fmt, registered as pve-qm-ipconfig.
var namedFormatKeys = map[string]map[string]struct{ format, requires string }{
	"pve-qm-ipconfig": {
		"ip":  {format: "pve-ipv4-config"},
		"gw":  {format: "ipv4", requires: "ip"},
		"ip6": {format: "pve-ipv6-config"},
		"gw6": {format: "ipv6", requires: "ip6"},
	},
}

func sortParams(ps []*param) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Name < ps[j-1].Name; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// typeTextTokens splits on spaces outside <…> (values like <Base64 encoded string> hold spaces).
func typeTextTokens(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ' ':
			if depth == 0 {
				if t := strings.TrimSpace(s[start:i]); t != "" {
					out = append(out, t)
				}
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

var (
	keyNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*$`)
	enumAltRE = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	rangeRE   = regexp.MustCompile(`^\d+-\d+$`)
	// defaultKeyRE is "[key=]" at the start of a token
	defaultKeyRE = regexp.MustCompile(`^\[([a-zA-Z][a-zA-Z0-9_-]*)=\]`)
)

func typeTextKey(tok string) (*param, bool) {
	p := &param{Type: "string"}
	switch {
	case strings.HasPrefix(tok, "[[") && strings.HasSuffix(tok, "]"):
		p.Optional, tok = true, tok[1:len(tok)-1] // [[key=]<v>]
	case defaultKeyRE.MatchString(tok):
		// [key=]<v>: a required default key
	case strings.HasPrefix(tok, "[") && strings.HasSuffix(tok, "]"):
		p.Optional, tok = true, tok[1:len(tok)-1] // [,key=<v>]
	}
	tok = strings.TrimPrefix(tok, ",")
	var name, value string
	if m := defaultKeyRE.FindStringSubmatch(tok); m != nil {
		name, value = m[1], tok[len(m[0]):]
		p.DefaultKey = true
	} else {
		var found bool
		if name, value, found = strings.Cut(tok, "="); !found {
			return nil, false
		}
	}
	if !keyNameRE.MatchString(name) || value == "" {
		return nil, false
	}
	p.Name = name
	inner, bracketed := strings.CutPrefix(value, "<")
	if bracketed {
		inner, bracketed = strings.CutSuffix(inner, ">")
	}
	switch {
	case bracketed && inner == "1|0":
		p.Type = "boolean"
	case bracketed && (inner == "integer" || inner == "N"), !bracketed && value == `\d+`:
		p.Type = "integer"
	case bracketed && strings.Contains(inner, "|"):
		alts := strings.Split(inner, "|")
		for _, a := range alts {
			if !enumAltRE.MatchString(a) || rangeRE.MatchString(a) {
				return p, true // a range or a pattern: a string
			}
		}
		p.Enum = alts
	}
	return p, true
}
