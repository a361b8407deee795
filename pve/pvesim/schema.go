package pvesim

import "strings"

//go:generate go run ./internal/schemagen -in ../../../shared/pve-api/apidata.json -out schema_gen.go

// paramSpec is one API parameter as the official schema (apidata.json) states it; schema_gen.go holds one list
// per served operation. Property-string keys (net0's model, bridge, …) use the same type.
type paramSpec struct {
	Name     string // the parameter, or for a numbered one ("net[n]") its base name "net"
	Count    int    // numbered parameter: Name0 … Name{Count-1} exist; 0 otherwise
	Type     string // string, integer, number, boolean, array (empty for an alias key)
	Optional bool
	Enum     []string
	HasMin   bool
	Min      float64
	HasMax   bool
	Max      float64
	// MinLength and MaxLength are string length bounds; 0 means none (the schema never sets a bound of 0).
	MinLength int
	MaxLength int
	Format    string      // a named format (pve-vmid, pve-node, …); checked where formats.go knows it
	Pattern   string      // a Perl regex the whole value must match
	Sub       []paramSpec // the keys of a property string (format given as an object)
	// DefaultKey marks the property-string key a bare value ("virtio" in "virtio,bridge=vmbr0") belongs to.
	DefaultKey bool
	// Alias and KeyAlias: a key that stands for another ("virtio=MAC" sets macaddr=MAC and model=virtio).
	Alias    string
	KeyAlias string
}

// lookupParam finds the spec for a parameter name in an operation's list, numbered names included.
func lookupParam(specs []paramSpec, name string) (*paramSpec, bool) {
	for i := range specs {
		p := &specs[i]
		if p.Count == 0 {
			if p.Name == name {
				return p, true
			}
			continue
		}
		rest, ok := strings.CutPrefix(name, p.Name)
		if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
			continue
		}
		n := 0
		digits := true
		for _, r := range rest {
			if r < '0' || r > '9' {
				digits = false
				break
			}
			n = n*10 + int(r-'0')
			if n >= p.Count {
				digits = false
				break
			}
		}
		if digits {
			return p, true
		}
	}
	return nil, false
}

// configFieldType is the JSON type Proxmox gives a guest configuration key in GET …/config.
func configFieldType(kind, key string) string {
	types := configFieldTypes[kind]
	if t, ok := types[key]; ok {
		return t
	}
	i := len(key)
	for i > 0 && key[i-1] >= '0' && key[i-1] <= '9' {
		i--
	}
	if i < len(key) {
		if t, ok := types[key[:i]+"[n]"]; ok {
			return t
		}
	}
	return "string"
}
