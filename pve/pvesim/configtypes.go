package pvesim

import "github.com/proxmox-mcp/proxmox-mcp/pve/schema"

// configFieldType is the JSON type Proxmox gives a guest configuration key in GET …/config, from that
// operation's returns schema; numbered keys (net0) take their family's type (net[n]).
func configFieldType(kind, key string) string {
	ret := schema.Lookup("GET", "/nodes/{node}/"+kind+"/{vmid}/config").Returns
	if s := ret.Property(key); s != nil {
		return s.Type
	}
	i := len(key)
	for i > 0 && key[i-1] >= '0' && key[i-1] <= '9' {
		i--
	}
	if i < len(key) {
		if s := ret.Property(key[:i] + "[n]"); s != nil {
			return s.Type
		}
	}
	return "string"
}
