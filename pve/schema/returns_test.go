package schema

import "testing"

func TestSchemaString(t *testing.T) {
	tests := map[string]string{
		"GET /version":        "{console?: string (applet|vv|html5|xtermjs), release: string, repoid: string, version: string}",
		"GET /cluster/nextid": "integer",
		"POST /nodes/{node}/qemu/{vmid}/status/start": "string",
		"PUT /cluster/options":                        "null",
		"GET /cluster/ha/resources":                   "array of {sid: string}",
	}
	for key, want := range tests {
		m, p, _ := cutKey(key)
		if got := Lookup(m, p).Returns.String(); got != want {
			t.Errorf("%s returns %q, want %q", key, got, want)
		}
	}
	if got := Lookup("GET", "/cluster/resources").Returns.String(); len(got) > 900 || got[:len("array of {")] != "array of {" {
		t.Errorf("GET /cluster/resources returns %q", got)
	}
}

func TestParamAllowed(t *testing.T) {
	op := Lookup("POST", "/nodes/{node}/qemu/{vmid}/firewall/rules")
	tests := map[string]string{
		"type":   "one of in, out, forward, group",
		"vmid":   "a VM ID, 100 to 999999999",
		"dport":  "ports: numbers, ranges a:b or service names",
		"enable": "an integer of at least 0",
	}
	for name, want := range tests {
		if got := op.Param(name).Allowed(); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	net := Lookup("POST", "/nodes/{node}/qemu").Param("net0")
	if s := net.Syntax(); s == "" || s[:len("[model=]<enum>")] != "[model=]<enum>" {
		t.Errorf("net0 syntax %q", s)
	}
	if s := op.Param("type").Syntax(); s != "" {
		t.Errorf("a plain parameter has syntax %q", s)
	}
}
