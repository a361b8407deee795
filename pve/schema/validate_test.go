package schema

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckRaw runs PVE's checks with PVE's texts: one error per bad parameter (format errors end in a
// newline, as the die in the format check does). The texts are what pvesim answers, so they are pinned.
func TestCheckRaw(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"node": "pve1", "vmid": "100"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		endpoint string
		params   map[string]string
		want     map[string]string
	}{
		{"valid", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "30", "skiplock", "0"), nil},
		{"unknown parameter", "POST /nodes/{node}/lxc/{vmid}/status/stop", base("bogus", "1"),
			map[string]string{"bogus": "property is not defined in schema and the schema does not allow additional properties"}},
		{"missing required", "POST /nodes/{node}/qemu/{vmid}/snapshot", base(),
			map[string]string{"snapname": "property is missing and it is not optional"}},
		{"boolean spelled true", "POST /nodes/{node}/qemu/{vmid}/status/shutdown", base("forceStop", "true"),
			map[string]string{"forceStop": "type check ('boolean') failed - got 'true'"}},
		{"integer", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "abc"),
			map[string]string{"timeout": "type check ('integer') failed - got 'abc'"}},
		{"minimum", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "-1"),
			map[string]string{"timeout": "value must have a minimum value of 0"}},
		{"container memory minimum", "POST /nodes/{node}/lxc", base("ostemplate", "local:vztmpl/x.tar.zst", "memory", "8"),
			map[string]string{"memory": "value must have a minimum value of 16"}},
		{"enumeration", "GET /nodes/{node}/qemu/{vmid}/rrddata", base("timeframe", "fortnight"),
			map[string]string{"timeframe": "value 'fortnight' does not have a value in the enumeration 'hour, day, week, month, year'"}},
		{"vmid format before range", "GET /nodes/{node}/qemu/{vmid}/config", base("vmid", "99"),
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"vmid above range", "GET /nodes/{node}/qemu/{vmid}/config", base("vmid", "1000000000"),
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"node format", "GET /nodes/{node}/status", map[string]string{"node": "-pve"},
			map[string]string{"node": "invalid format - value does not look like a valid node name\n"}},
		{"storage id", "GET /nodes/{node}/storage/{storage}/content", map[string]string{"node": "pve1", "storage": "1bad"},
			map[string]string{"storage": "invalid format - storage ID '1bad' contains illegal characters\n"}},
		{"storage id too short", "GET /nodes/{node}/storage/{storage}/content", map[string]string{"node": "pve1", "storage": "x"},
			map[string]string{"storage": "invalid format - storage ID 'x' cannot be shorter than 2 characters\n"}},
		{"snapshot name format", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "1snap"),
			map[string]string{"snapname": "invalid format - invalid configuration ID '1snap'\n"}},
		{"snapshot name of one letter", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "a"),
			map[string]string{"snapname": "invalid format - invalid configuration ID 'a'\n"}},
		{"snapshot name too long", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "s"+strings.Repeat("x", 40)),
			map[string]string{"snapname": "value may only be 40 characters long"}},
		{"all errors at once", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("vmid", "abc", "vmstate", "yes", "x", "1"),
			map[string]string{
				"snapname": "property is missing and it is not optional",
				"vmid":     "type check ('integer') failed - got 'abc'",
				"vmstate":  "type check ('boolean') failed - got 'yes'",
				"x":        "property is not defined in schema and the schema does not allow additional properties",
			}},
		{"numbered parameter in range", "POST /nodes/{node}/qemu", base("net31", "virtio,bridge=vmbr0", "scsi30", "local-lvm:4"), nil},
		{"numbered parameter out of range", "POST /nodes/{node}/qemu", base("net32", "virtio", "scsi31", "local-lvm:4", "net01", "virtio"),
			map[string]string{
				"net01":  "property is not defined in schema and the schema does not allow additional properties",
				"net32":  "property is not defined in schema and the schema does not allow additional properties",
				"scsi31": "property is not defined in schema and the schema does not allow additional properties",
			}},
		{"property string: unknown key", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,colour=red"),
			map[string]string{"net0": "invalid format - invalid key in comma-separated list property: colour\n"}},
		{"property string: missing default key", "POST /nodes/{node}/qemu", base("net0", "bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.model: property is missing and it is not optional\n"}},
		{"property string: key alias with a bad MAC", "POST /nodes/{node}/qemu", base("net0", "virtio=zz,bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.macaddr: invalid format - value does not look like a valid unicast MAC address\n\n"}},
		{"property string: alias given twice", "POST /nodes/{node}/qemu", base("net0", "virtio=BC:24:11:00:00:01,e1000=BC:24:11:00:00:02"),
			map[string]string{"net0": "invalid format - key alias 'model' is already defined\n"}},
		{"property string: range", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,tag=5000"),
			map[string]string{"net0": "invalid format - format error\nnet0.tag: value must have a maximum value of 4094\n"}},
		{"property string: boolean words", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,firewall=yes"), nil},
		{"property string: enumeration", "POST /nodes/{node}/qemu", base("net0", "rtl9999,bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.model: value 'rtl9999' does not have a value in the enumeration 'e1000, e1000-82540em, e1000-82544gc, e1000-82545em, e1000e, i82551, i82557b, i82559er, ne2k_isa, ne2k_pci, pcnet, rtl8139, virtio, vmxnet3'\n"}},
		{"qemu memory property string minimum", "POST /nodes/{node}/qemu", base("memory", "8"),
			map[string]string{"memory": "invalid format - format error\nmemory.current: value must have a minimum value of 16\n"}},
		{"named property string from typetext", "POST /nodes/{node}/qemu", base("cpu", "host,flags=+aes,color=blue"),
			map[string]string{"cpu": "invalid format - invalid key in comma-separated list property: color\n"}},
		{"named property string good", "POST /nodes/{node}/qemu", base("cpu", "host,flags=+aes;-pcid,hidden=1"), nil},
		// pve-qm-ipconfig is only named in the schema; its keys' formats are qemu-server's $ipconfig_fmt
		{"ipconfig static", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=192.168.1.50/24,gw=192.168.1.1,ip6=auto"), nil},
		{"ipconfig dhcp and manual", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig1", "ip=dhcp,ip6=dhcp", "ipconfig2", "ip=manual"), nil},
		{"ipconfig bad address", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=10.0.0.5/33"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"}},
		{"ipconfig bad gateway", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=10.0.0.5/24,gw=banana"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.gw: invalid format - value does not look like a valid IPv4 address\n\n"}},
		{"ipconfig IPv6 address as ip", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=2001:db8::5/64"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"}},
		{"ipconfig prefix of 8", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=10.0.0.5/8,ip6=2001:db8::5/8"), nil},
		{"ipconfig prefix of 7", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=10.0.0.5/7"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"}},
		{"ipconfig auto is IPv6's only", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip=auto"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"}},
		{"ipconfig IPv4 address as ip6", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip6=10.0.0.5/24"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip6: invalid format - value does not look like a valid ipv6 network configuration\n\n"}},
		{"ipconfig IPv6 prefix of 129", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip6=2001:db8::5/129"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip6: invalid format - value does not look like a valid ipv6 network configuration\n\n"}},
		{"ipconfig IPv4 gateway as gw6", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "ip6=2001:db8::5/64,gw6=10.0.0.1"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.gw6: invalid format - value does not look like a valid IPv6 address\n\n"}},
		{"ipconfig gateway without address", "PUT /nodes/{node}/qemu/{vmid}/config", base("ipconfig0", "gw6=fe80::1"),
			map[string]string{"ipconfig0": "invalid format - format error\nipconfig0.ip6: missing property - 'ipconfig0.gw6' requires this property\n"}},
		{"tag list", "POST /nodes/{node}/qemu", base("tags", "web;prod db,x"), nil},
		{"bad tag", "POST /nodes/{node}/qemu", base("tags", "web;bad!tag"),
			map[string]string{"tags": "invalid format - invalid characters in tag\n"}},
		{"vmid list", "POST /nodes/{node}/vzdump", map[string]string{"node": "pve1", "vmid": "100,abc"},
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"pattern", "POST /nodes/{node}/qemu", base("parallel0", "/dev/tty0"),
			map[string]string{"parallel0": "value does not match the regex pattern"}},
		{"repeated scalar", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "1\x002"),
			map[string]string{"timeout": "type check ('integer') failed - got '1\x002'"}},
		{"task status filter list", "GET /nodes/{node}/tasks", map[string]string{"node": "pve1", "statusfilter": "ok,bogus"},
			map[string]string{"statusfilter": "invalid format - invalid status 'bogus'\n"}},
		{"firewall rule", "POST /nodes/{node}/qemu/{vmid}/firewall/rules", base("action", "ACCEPT", "type", "in", "dport", "22,80:90", "proto", "tcp", "source", "10.0.0.0/24"), nil},
		{"firewall rule bad port", "POST /nodes/{node}/qemu/{vmid}/firewall/rules", base("action", "ACCEPT", "type", "in", "dport", "70000"),
			map[string]string{"dport": "invalid format - invalid port '70000'\n"}},
		{"ha resource", "POST /cluster/ha/resources", map[string]string{"sid": "vm:100", "state": "started", "max_restart": "2"}, nil},
		{"ha resource bad sid", "POST /cluster/ha/resources", map[string]string{"sid": "vm 100"},
			map[string]string{"sid": "invalid format - value does not look like a valid ha resource id\n"}},
		{"array items", "PUT /cluster/sdn/fabrics/fabric/{id}", map[string]string{"id": "fab1", "protocol": "ospf", "delete": "area"}, nil},
		{"additional parameters allowed by the schema", "GET /cluster/sdn/fabrics/fabric", map[string]string{"whatever": "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path, _ := strings.Cut(tt.endpoint, " ")
			op := Lookup(method, path)
			if op == nil {
				t.Fatalf("no operation %s", tt.endpoint)
			}
			got := op.CheckRaw(tt.params)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func problemsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is a %T, want *ValidationError", err, err)
	}
	out := map[string]string{}
	for _, p := range ve.Problems {
		out[p.Param] = p.Kind
	}
	return out
}

// TestValidate is the tool-facing validator: JSON values, normalised booleans, whole integers, arrays, path
// variables not to be repeated, and every problem at once.
func TestValidate(t *testing.T) {
	create := Lookup("POST", "/nodes/{node}/qemu")
	vars := map[string]string{"node": "pve1"}
	tests := []struct {
		name     string
		args     map[string]any
		send     url.Values
		problems map[string]string // param -> kind
	}{
		{"booleans from JSON", map[string]any{"vmid": 100.0, "onboot": true, "acpi": false, "start": json.Number("1"), "template": "0"},
			url.Values{"vmid": {"100"}, "onboot": {"1"}, "acpi": {"0"}, "start": {"1"}, "template": {"0"}}, nil},
		{"booleans spelled out", map[string]any{"vmid": 100, "onboot": "true", "acpi": "FALSE"},
			url.Values{"vmid": {"100"}, "onboot": {"1"}, "acpi": {"0"}}, nil},
		{"bad booleans", map[string]any{"vmid": 100, "onboot": "yes", "acpi": 2.0, "start": 0.5},
			nil, map[string]string{"onboot": "type", "acpi": "type", "start": "type"}},
		{"integers must be whole", map[string]any{"vmid": 100.7, "cores": "2.5", "sockets": 0},
			nil, map[string]string{"vmid": "type", "cores": "type", "sockets": "range"}},
		{"numbers", map[string]any{"vmid": 100, "cpulimit": 1.5}, url.Values{"vmid": {"100"}, "cpulimit": {"1.5"}}, nil},
		{"unknown and missing together", map[string]any{"bogus": 1, "net0": "virtio,bridge=vmbr0,colour=red"},
			nil, map[string]string{"bogus": "unknown", "vmid": "missing", "net0": "format"}},
		{"path variable repeated with another value", map[string]any{"vmid": 100, "node": "pve2"},
			nil, map[string]string{"node": "conflict"}},
		{"path variable repeated with its value", map[string]any{"vmid": 100, "node": "pve1"}, url.Values{"vmid": {"100"}}, nil},
		{"null and objects", map[string]any{"vmid": 100, "name": nil, "description": map[string]any{"a": 1}},
			nil, map[string]string{"name": "type", "description": "type"}},
		{"a list for a -list format", map[string]any{"vmid": 100, "tags": []any{"web", "prod"}},
			url.Values{"vmid": {"100"}, "tags": {"web,prod"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send, err := create.Validate(vars, tt.args)
			if diff := cmp.Diff(tt.problems, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
			if diff := cmp.Diff(tt.send, send); diff != "" {
				t.Errorf("values to send (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateArrays(t *testing.T) {
	op := Lookup("PUT", "/cluster/sdn/fabrics/fabric/{id}")
	send, err := op.Validate(map[string]string{"id": "fab1"}, map[string]any{"protocol": "openfabric", "delete": []any{"hello_interval", "csnp_interval"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(url.Values{"protocol": {"openfabric"}, "delete": {"hello_interval", "csnp_interval"}}, send); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = op.Validate(map[string]string{"id": "fab1"}, map[string]any{"protocol": "openfabric", "delete": []any{"area"}})
	if problemsOf(t, err)["delete[0]"] != "enum" {
		t.Errorf("an item outside the openfabric alternative's enum passed: %v", err)
	}
}

// TestValidateHidesLongValues: an argument error must not carry a long value (a pasted secret) back out.
func TestValidateHidesLongValues(t *testing.T) {
	secret := "s3cr3t-" + strings.Repeat("x", 40)
	op := Lookup("POST", "/nodes/{node}/qemu/{vmid}/snapshot")
	_, err := op.Validate(map[string]string{"node": "pve1", "vmid": "100"}, map[string]any{"snapname": secret})
	if err == nil {
		t.Fatal("a 47-character snapshot name passed")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error repeats the value: %v", err)
	}
	_, err = op.Validate(map[string]string{"node": "pve1", "vmid": "100"}, map[string]any{"snapname": "1x"})
	if err == nil || !strings.Contains(err.Error(), "'1x'") {
		t.Errorf("a short near-miss should be echoed: %v", err)
	}
}

// TestValidationErrorText: every problem once, in words a person reads: PVE's text, then what is expected when
// PVE's text does not already say it (an enumeration's message lists the values itself).
func TestValidationErrorText(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		params   map[string]any
		want     string
	}{
		{"POST /nodes/{node}/qemu/{vmid}/status/stop", map[string]any{"timeout": -1, "overrule": 1},
			"invalid parameters for POST /nodes/{node}/qemu/{vmid}/status/stop: overrule: unknown parameter; " +
				"did you mean overrule-shutdown? valid: keepActive, migratedfrom, overrule-shutdown, skiplock, timeout; " +
				"timeout: value must have a minimum value of 0 (expected an integer of at least 0)"},
		{"GET /nodes/{node}/qemu/{vmid}/rrddata", map[string]any{"timeframe": "fortnight"},
			"invalid parameters for GET /nodes/{node}/qemu/{vmid}/rrddata: " +
				"timeframe: value 'fortnight' does not have a value in the enumeration 'hour, day, week, month, year'"},
		{"POST /nodes/{node}/qemu/{vmid}/firewall/rules", map[string]any{"type": "in", "action": "ABCDEFGHIJKLMNOPQRSTU"},
			"invalid parameters for POST /nodes/{node}/qemu/{vmid}/firewall/rules: " +
				`action: value may only be 20 characters long (expected matching [A-Za-z][A-Za-z0-9\-\_]+; 2 to 20 characters)`},
		{"PUT /nodes/{node}/qemu/{vmid}/config", map[string]any{"ipconfig0": "gw=10.0.0.1"},
			"invalid parameters for PUT /nodes/{node}/qemu/{vmid}/config: ipconfig0: invalid property string: " +
				"ipconfig0.ip: missing, and ipconfig0.gw needs it (syntax: [gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] [,ip=<IPv4Format/CIDR>] [,ip6=<IPv6Format/CIDR>])"},
		{"PUT /nodes/{node}/qemu/{vmid}/config", map[string]any{"ipconfig1": "ip=10.0.0.5"},
			"invalid parameters for PUT /nodes/{node}/qemu/{vmid}/config: ipconfig1: invalid property string: " +
				"ipconfig1.ip: invalid format - value does not look like a valid ipv4 network configuration " +
				"(expected dhcp, manual, or an IPv4 address with its prefix (8 to 32), e.g. 192.168.1.50/24) " +
				"(syntax: [gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] [,ip=<IPv4Format/CIDR>] [,ip6=<IPv6Format/CIDR>])"},
	} {
		op := Lookup(strings.Fields(tc.endpoint)[0], strings.Fields(tc.endpoint)[1])
		_, err := op.Validate(map[string]string{"node": "pve1", "vmid": "100"}, tc.params)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.endpoint, diff)
		}
	}
}

func TestPrepare(t *testing.T) {
	req, err := Prepare("POST", "/nodes/pve1/qemu/100/firewall/rules", map[string]any{"action": "ACCEPT", "type": "in", "enable": true})
	if err != nil {
		t.Fatal(err)
	}
	if req.Op.Key() != "POST /nodes/{node}/qemu/{vmid}/firewall/rules" || req.Path != "/nodes/pve1/qemu/100/firewall/rules" {
		t.Errorf("request %s %s", req.Op.Key(), req.Path)
	}
	if diff := cmp.Diff(url.Values{"action": {"ACCEPT"}, "type": {"in"}, "enable": {"1"}}, req.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if _, err := Prepare("GET", "/nodes/pve1/qemu/100/firewall/rules", map[string]any{"bogus": 1}); err == nil {
		t.Error("an unknown query parameter passed")
	}
	var pe *PathError
	if _, err := Prepare("GET", "/nodes/pve1/qemu/abc/config", nil); !errors.As(err, &pe) {
		t.Errorf("a bad vmid in the path: %v, want a *PathError", err)
	}
}

// TestEverySchemaPatternCompiles: no pattern of the schema is left unchecked because RE2 cannot read it.
func TestEverySchemaPatternCompiles(t *testing.T) {
	n := 0
	var visit func(op string, p *Param)
	visit = func(op string, p *Param) {
		if p.Pattern != "" {
			n++
			if compilePattern(p.Pattern) == nil {
				t.Errorf("%s %s: pattern %q (as %q) does not compile", op, p.Name, p.Pattern, perlToRE2(p.Pattern))
			}
		}
		for i := range p.Keys {
			visit(op, &p.Keys[i])
		}
		if p.Items != nil {
			visit(op, p.Items)
		}
		for i := range p.OneOf {
			visit(op, &p.OneOf[i])
		}
	}
	for _, o := range Operations() {
		for _, p := range o.Params {
			visit(o.Key(), p)
		}
	}
	if n < 200 {
		t.Errorf("only %d patterns seen", n)
	}
}

func TestPerlToRE2(t *testing.T) {
	tests := map[string]string{
		`(?^:[a-z]+)`:  `(?:[a-z]+)`,
		`(?^i:[a-z]+)`: `(?i:[a-z]+)`,
		`(?>a+)b`:      `(?:a+)b`,
		`[A-Z\_]{,16}`: `[A-Z_]{0,16}`,
		`a\0b`:         `a\x00b`,
		`[(?^:x)]`:     `[(?^:x)]`,
		`[\]a]`:        `[\]a]`,
	}
	for in, want := range tests {
		if got := perlToRE2(in); got != want {
			t.Errorf("perlToRE2(%q) = %q, want %q", in, got, want)
		}
	}
	if re := compilePattern(`[0-9a-zA-Z!=]{0,4096}`); re == nil || !re.MatchString("abc") {
		t.Error("a repetition beyond RE2's limit should compile without its bound")
	}
}
