package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// synthesize builds an answer of the returns schema's shape for an operation the simulator does not model:
// every property present (so the shape is visible), one element per array, values that look like Proxmox's
// (the path's own node, vmid and names where a property is named after them, examples of each format,
// enum and default values), booleans as 0/1. The same request gives the same answer. A directory index
// lists the fixed paths below it.
func (c *call) synthesize(s *schema.Schema) []byte {
	var w jsonWriter
	if c.op.Method == "GET" && s.Type == "array" && s.Link != "" && s.Items != nil {
		fixed, _ := schema.Children(c.op.Path)
		if len(fixed) > 0 {
			w.OpenArr()
			for _, child := range fixed {
				c.synthValue(&w, "", s.Items, 1, map[string]string{s.Link: child})
			}
			w.EndArr()
			return w.b
		}
	}
	c.synthValue(&w, "", s, 0, nil)
	return w.b
}

// maxSynthDepth bounds nesting; deeper members are left out, as optional ones would be.
const maxSynthDepth = 6

// synthValue writes one value: as an element when key is "", else as the member key.
func (c *call) synthValue(w *jsonWriter, key string, s *schema.Schema, depth int, override map[string]string) {
	put := func(raw []byte) {
		if key == "" {
			w.RawElem(raw)
		} else {
			w.Raw(key, raw)
		}
	}
	if s == nil {
		put([]byte("null"))
		return
	}
	if s.Type == "" && len(s.OneOf) > 0 {
		s = s.OneOf[0]
	}
	typ := s.Type
	switch {
	case typ == "" && len(s.Properties) > 0:
		typ = "object"
	case typ == "" && key != "":
		typ = "string" // a member the schema leaves untyped
	}
	switch typ {
	case "object":
		if key == "" {
			w.Open()
		} else {
			w.Obj(key)
		}
		if depth < maxSynthDepth {
			for _, p := range s.Properties {
				if v, ok := override[p.Name]; ok {
					w.Str(p.Name, v)
					continue
				}
				c.synthValue(w, p.Name, p.Schema, depth+1, nil)
			}
		}
		for _, k := range sortedKeys(override) {
			if s.Property(k) == nil {
				w.Str(k, override[k])
			}
		}
		w.End()
	case "array":
		if key == "" {
			w.OpenArr()
		} else {
			w.Arr(key)
		}
		if s.Items != nil && depth < maxSynthDepth {
			c.synthValue(w, "", s.Items, depth+1, nil)
		}
		w.EndArr()
	case "integer", "number", "boolean":
		put([]byte(c.sampleNumber(key, s)))
	case "string":
		var b []byte
		put(appendJSONString(b, c.sampleString(key, s)))
	default:
		put([]byte("null"))
	}
}

func (c *call) sampleNumber(name string, s *schema.Schema) string {
	if v, ok := c.p[name]; ok && isDigits(v) {
		return v
	}
	switch {
	case s.Type == "boolean":
		return "0"
	case s.Format == "pve-vmid" || name == "vmid":
		return "100"
	case strings.HasSuffix(name, "time") && s.Type == "integer":
		return strconv.FormatInt(c.now.Unix(), 10)
	case s.HasMin && s.Min > 0:
		return strconv.FormatFloat(s.Min, 'f', -1, 64)
	}
	return "0"
}

// formatSamples are values of the named formats, for answers.
var formatSamples = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"pve-node": "", "pve-vmid": "100", "pve-storage-id": "local", "pve-configid": "example", "pve-volume-id": "local:iso/example.iso",
		"ip": "192.0.2.10", "ipv4": "192.0.2.10", "ipv6": "2001:db8::10", "CIDR": "192.0.2.0/24", "CIDRv4": "192.0.2.0/24",
		"CIDRv6": "2001:db8::/64", "mac-addr": "BC:24:11:00:00:01", "dns-name": "pve.example", "address": "192.0.2.10",
		"email": "admin@example.com", "pve-userid": "root@pam", "pve-iface": "vmbr0", "pve-bridge-id": "vmbr0",
		"pve-poolid": "example", "pve-realm": "pam", "pve-tokenid": "root@pam!example", "pve-roleid": "Example",
		"pve-groupid": "example", "pve-sdn-zone-id": "zone1", "pve-sdn-vnet-id": "vnet1", "pve-tag-list": "example",
		"pve-ha-resource-or-vm-id": "vm:100", "pve-ha-resource-id": "vm:100", "disk-size": "1G",
	}
})

func (c *call) sampleString(name string, s *schema.Schema) string {
	if v, ok := c.p[name]; ok {
		return v
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch name {
	case "node", "nodename":
		return c.nodeName()
	case "upid":
		return upidFor(c.nodeName(), 1, 1, c.now, "example", "", c.user())
	case "digest":
		sum := sha1.Sum([]byte(c.op.Key() + " " + strings.Join(sortedKeys(c.vars), ",")))
		return hex.EncodeToString(sum[:])
	case "storage":
		return "local"
	}
	if v, ok := formatSamples()[s.Format]; ok {
		if v == "" {
			return c.nodeName()
		}
		return v
	}
	if strings.HasSuffix(s.Format, "-list") {
		if v, ok := formatSamples()[strings.TrimSuffix(s.Format, "-list")]; ok && v != "" {
			return v
		}
	}
	if name == "" {
		return "example"
	}
	return name
}

// nodeName is the path's node, else the node that answers.
func (c *call) nodeName() string {
	if c.n != nil {
		return c.n.name
	}
	return c.s.c.firstOnline().name
}
