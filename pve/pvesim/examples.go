package pvesim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// Example is a request for one operation of the schema that the simulated cluster of Default answers as PVE
// would answer the default token (or refuses as PVE refuses a token: root-only and ticket-only operations):
// a path naming the cluster's guests, snapshots, storages and tasks, and the required parameters with valid
// values, written from PVE's rules rather than from the validator. Tests and demos that walk the whole API
// build on it.
type Example struct {
	Method string
	Path   string // concrete, each variable escaped
	Vars   map[string]string
	Args   map[string]any // the parameters, as a JSON client sends them
	// Before are requests to send first: what the example removes must exist.
	Before []Example
	// Modelled: the simulator models the operation, so a write of it changes the cluster's state.
	Modelled bool
}

// exampleCase is what one operation needs beyond the defaults to succeed against the demo cluster.
type exampleCase struct {
	vars   map[string]string
	args   map[string]any
	before []Example
}

// exampleCases are the modelled operations whose defaults would not succeed: the guest must be stopped, the
// snapshot must exist, the new vmid must be free.
var exampleCases = sync.OnceValue(func() map[string]exampleCase {
	return map[string]exampleCase{
		"POST /nodes/{node}/qemu":                     {args: map[string]any{"vmid": 150}},
		"POST /nodes/{node}/lxc":                      {args: map[string]any{"vmid": 250, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "storage": "local-lvm"}},
		"POST /nodes/{node}/qemu/{vmid}/status/start": {vars: map[string]string{"node": "pve2", "vmid": "103"}},
		"POST /nodes/{node}/lxc/{vmid}/status/start":  {vars: map[string]string{"node": "pve3", "vmid": "204"}},
		"DELETE /nodes/{node}/qemu/{vmid}":            {vars: map[string]string{"node": "pve2", "vmid": "103"}},
		"DELETE /nodes/{node}/lxc/{vmid}":             {vars: map[string]string{"node": "pve3", "vmid": "204"}},
		"POST /nodes/{node}/qemu/{vmid}/clone":        {vars: map[string]string{"vmid": "9000"}, args: map[string]any{"newid": 150}},
		"POST /nodes/{node}/lxc/{vmid}/clone":         {vars: map[string]string{"node": "pve3", "vmid": "204"}, args: map[string]any{"newid": 250}},
		"POST /nodes/{node}/qemu/{vmid}/snapshot":     {args: map[string]any{"snapname": "walk"}},
		"POST /nodes/{node}/lxc/{vmid}/snapshot":      {args: map[string]any{"snapname": "walk"}},
		"POST /nodes/{node}/vzdump":                   {args: map[string]any{"vmid": "101"}},
		"POST /cluster/ha/resources":                  {args: map[string]any{"sid": "vm:101"}},
		"POST /cluster/firewall/groups":               {args: map[string]any{"group": "walkgroup"}},
		"DELETE /cluster/firewall/groups/{group}": {vars: map[string]string{"group": "empty"},
			before: []Example{{Method: "POST", Path: "/cluster/firewall/groups", Args: map[string]any{"group": "empty"}}}},
		"POST /nodes/{node}/qemu/{vmid}/firewall/rules":               {args: map[string]any{"action": "ACCEPT", "type": "in"}},
		"POST /nodes/{node}/lxc/{vmid}/firewall/rules":                {args: map[string]any{"action": "ACCEPT", "type": "in"}},
		"POST /nodes/{node}/firewall/rules":                           {args: map[string]any{"action": "ACCEPT", "type": "in"}},
		"POST /cluster/firewall/rules":                                {args: map[string]any{"action": "ACCEPT", "type": "in"}},
		"POST /cluster/firewall/groups/{group}":                       {args: map[string]any{"action": "ACCEPT", "type": "in"}},
		"DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}":        {},
		"POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback": {},
		"POST /nodes/{node}/qemu/{vmid}/agent/exec":                   {args: map[string]any{"command": []any{"hostname"}}},
		// the process an earlier exec left running in VM 101 (Default): its status reads the same every time
		"GET /nodes/{node}/qemu/{vmid}/agent/exec-status": {args: map[string]any{"pid": 4242}},
		"POST /nodes/{node}/qemu/{vmid}/migrate": {vars: map[string]string{"node": "pve2", "vmid": "102"},
			args: map[string]any{"target": "pve3", "online": true, "with-local-disks": true}},
		"POST /nodes/{node}/lxc/{vmid}/migrate": {vars: map[string]string{"node": "pve3", "vmid": "204"}, args: map[string]any{"target": "pve1"}},
		"PUT /nodes/{node}/qemu/{vmid}/resize":  {args: map[string]any{"disk": "scsi0"}},
	}
})

// samples are values of the named formats, written from PVE's rules (not from the code under test).
var samples = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"pve-node": "pve1", "pve-vmid": "101", "pve-storage-id": "local", "pve-configid": "example1",
		"pve-volume-id": "local:iso/debian-13.1.0-amd64-netinst.iso", "pve-volume-id-or-qm-path": "local:iso/debian-13.1.0-amd64-netinst.iso",
		"pve-volume-id-or-absolute-path": "/dev/sdb", "pve-userid": "walker@pve", "pve-realm": "pve", "pve-groupid": "walkers",
		"pve-roleid": "Walker", "pve-poolid": "lab", "pve-tokenid": "walker@pve!t1", "pve-priv": "VM.Audit",
		"pve-iface": "vmbr0", "pve-bridge-id": "vmbr0", "IPorCIDRorAlias": "192.0.2.0/24", "IPorCIDR": "192.0.2.10",
		"ip": "192.0.2.10", "ipv4": "192.0.2.10", "ipv6": "2001:db8::10", "CIDR": "192.0.2.0/24", "CIDRv4": "192.0.2.0/24",
		"CIDRv6": "2001:db8::/64", "address": "192.0.2.10", "dns-name": "pve.example", "mac-addr": "BC:24:11:00:00:01",
		"email": "walker@example.com", "email-or-username": "walker@example.com", "pve-sdn-zone-id": "zone1",
		"pve-sdn-vnet-id": "vnet1", "pve-sdn-subnet-id": "zone1-192.0.2.0-24", "pve-sdn-controller-id": "ctl1",
		"pve-sdn-ipam-id": "ipam1", "pve-sdn-dns-id": "dns1", "pve-sdn-fabric-id": "fab1", "pve-ha-resource-or-vm-id": "vm:100",
		"pve-ha-resource-id": "vm:100", "pve-replication-job-id": "101-0", "pve-storage-path": "/mnt/walk",
		"pve-storage-server": "192.0.2.20", "pve-storage-portal-dns": "192.0.2.20", "pve-storage-vgname": "vg0",
		"pve-storage-content": "iso", "disk-size": "1G", "pve-tag": "walk", "urlencoded": "walk", "pve-startup-order": "order=1",
		"pve-fw-addr-spec": "192.0.2.0/24", "pve-fw-dport-spec": "22", "pve-fw-sport-spec": "22", "pve-fw-protocol-spec": "tcp",
		"pve-fw-icmp-type-spec": "echo-request", "pve-acme-domain": "pve.example.com", "pve-acme-alias": "pve.example.com",
		"pve-lxc-mp-string": "/mnt/data", "pve-lxc-dev-string": "/dev/ttyUSB0", "graphite-path": "proxmox",
		"pve-day-of-week": "mon", "pve-calendar-event": "daily", "pve-command-batch": `[]`, "pve-ct-timezone": "host",
		"pem-certificate-chain": "", "pem-string": "", "pve-storage-options": "vers=4.2", "pve-storage-image-format": "raw",
		"pve-ha-node": "pve1", "pve-qm-bootdisk": "scsi0", "pve-hotplug-features": "network", "pve-cpuset": "0-1",
		"pve-vlan-id-or-range": "10", "string": "walk", "storage-pair": "local", "bridge-pair": "vmbr0",
		"pve-task-status-type": "ok", "pve-sdn-bgp-rt": "65000:1", "pve-sdn-isis-net": "49.0001.1921.6800.1001.00",
		"pve-dir-override": "iso=isos", "mac-prefix": "BC:24:11", "ldap-simple-attr": "uid", "pve-tfa-secret": "JBSWY3DPEHPK3PXP",
		"pve-storage-path-in-property-string": "/mnt/walk", "ipv4mask": "255.255.255.0",
	}
})

// patternSamples match the patterns required parameters carry without a format.
var patternSamples = sync.OnceValue(func() map[string]string {
	return map[string]string{
		`[A-Za-z][A-Za-z0-9\-\_]+`: "walk1", `(?^:^[^:/\s]+$)`: "walk1", `[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?`: "walk1",
		`\S+`: "walk1", `(?^:[A-Za-z][A-Za-z0-9\.\-_]+)`: "walk1", `[-_.\w\d]+`: "walk1", `(?^:[A-Za-z0-9\.\-_]+)`: "walk1",
		`(?^:[a-zA-Z0-9_; ]+)`: "walk1", `[1-9][0-9]{2,8}-\d{1,9}`: "101-0", `(/dev/.+|socket)`: "socket",
		`[0-9a-fA-F]{8,64}`: "0123abcd", `\d+(\.\d+)+`: "1.0", `\S{2,}`: "walk1",
		`([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}`:    strings.TrimSuffix(strings.Repeat("AB:", 32), ":"),
		`(?^:[a-z0-9][-+.a-z0-9:]+)`:             "pve-manager",
		`^/dev/[a-zA-Z0-9\/]+$`:                  "/dev/sdb",
		`\+?\d+(\.\d+)?[KMGT]?`:                  "+1G",
		`\d+[MG]?`:                               "1G",
		`https?://.*`:                            "https://example.com/walk.iso",
		`[a-zA-Z0-9\.\+\_][a-zA-Z0-9\.\+\_\-]+`:  "vg0",
		`\s*pve([1248])([cbsp])-[0-9a-f]{10}\s*`: "pve1c-0123456789",
		`(?^:^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$)`:   "10de:1b80",
		`(?:[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(?:.[a-f0-9])?;)*[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(?:.[a-f0-9])?`:                                                                                                             "0000:01:00.0",
		`(?^:^(:?(?^i:[0-9a-z\-_\.]+:[0-9a-zA-Z\-_]+))(:?[;, ](?^i:[0-9a-z\-_\.]+:[0-9a-zA-Z\-_]+))*$)`:                                                                                                                          "global:osd_pool_default_size",
		`^(?:(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d])(?:\.(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d]))*(?::\d+)?/)?[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*(?:/[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)*$`:                 "docker.io/library/alpine",
		`^(?:(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d])(?:\.(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d]))*(?::\d+)?/)?[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*(?:/[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)*:\w[\w.-]{0,127}$`: "docker.io/library/alpine:latest",
	}
})

var pemSample = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

// Example builds op's example against s's cluster (Default's). It fails when a required parameter has no
// example value (a pattern not in patternSamples).
func (s *Sim) Example(op *schema.Operation) (Example, error) {
	upids := map[string]string{}
	var running *TaskState
	for _, ts := range s.Tasks() {
		switch {
		case ts.Status == "stopped" && upids[ts.Node] == "":
			upids[ts.Node] = ts.UPID
		case ts.Status == "running" && running == nil:
			running = &ts
		}
	}
	vars := exampleVars(op, upids)
	if op.Key() == "DELETE /nodes/{node}/tasks/{upid}" && running != nil {
		vars["node"], vars["upid"] = running.Node, running.UPID // stopping a task needs a running one
	}
	c := exampleCases()[op.Key()]
	for k, v := range c.vars {
		vars[k] = v
	}
	args, err := exampleArgs(op)
	for k, v := range c.args {
		args[k] = v
	}
	_, modelled := routes()[op.Key()]
	return Example{Method: op.Method, Path: fillPath(op.Path, vars), Vars: vars, Args: args, Before: c.before, Modelled: modelled}, err
}

// exampleVars fills a template's variables from the demo cluster.
func exampleVars(op *schema.Operation, upids map[string]string) map[string]string {
	vars := map[string]string{}
	qemu, lxc := strings.Contains(op.Path, "/qemu/"), strings.Contains(op.Path, "/lxc/")
	for _, p := range op.PathParams() {
		var v string
		switch p.Name {
		case "node":
			v = "pve1"
		case "vmid":
			v = "101"
			if lxc {
				v = "200"
			}
		case "snapname":
			v = "pre-upgrade"
			if lxc {
				v = "before-migration"
			}
		case "storage":
			v = "local"
		case "volume":
			v = "local:iso/debian-13.1.0-amd64-netinst.iso"
		case "pos":
			v = "0"
		case "sid":
			v = "vm:100"
		case "group":
			v = "webserver"
		case "osdid":
			v = "0"
		default:
			v = sampleFor(p)
		}
		vars[p.Name] = v
	}
	if _, ok := vars["snapname"]; ok && qemu {
		vars["node"], vars["vmid"] = "pve2", "102"
	}
	if _, ok := vars["snapname"]; ok && lxc {
		vars["node"], vars["vmid"] = "pve3", "203"
	}
	if _, ok := vars["upid"]; ok {
		vars["upid"] = upids[vars["node"]]
	}
	return vars
}

// sampleFor is a valid text value of a parameter.
func sampleFor(p *schema.Param) string {
	if len(p.Enum) > 0 {
		return p.Enum[0]
	}
	switch p.Type {
	case "boolean":
		return "1"
	case "integer", "number":
		n := 1.0
		if p.HasMin {
			n = max(n, p.Min)
		}
		if p.HasMax {
			n = min(n, p.Max)
		}
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	if strings.HasPrefix(p.Format, "pem-") {
		return pemSample
	}
	if v, ok := samples()[strings.TrimSuffix(p.Format, "-list")]; ok {
		return v
	}
	if len(p.Keys) > 0 {
		var parts []string
		for _, k := range p.Keys {
			if k.Optional || k.Alias != "" {
				continue
			}
			kk := k
			if k.DefaultKey {
				parts = append([]string{sampleFor(&kk)}, parts...)
			} else {
				parts = append(parts, k.Name+"="+sampleFor(&kk))
			}
		}
		return strings.Join(parts, ",")
	}
	if v, ok := patternSamples()[p.Pattern]; ok {
		return v
	}
	v := "walk1"
	if p.HasMinLength && p.MinLength > len(v) {
		v = strings.Repeat("w", p.MinLength)
	}
	return v
}

// exampleArgs are the required parameters with valid values, as a JSON client would send them.
func exampleArgs(op *schema.Operation) (map[string]any, error) {
	args := map[string]any{}
	var missing []string
	for _, p := range op.Params {
		if op.PathVariable(p.Name) || p.Optional || p.Count > 0 || p.TypeProperty != "" || len(p.OneOf) > 0 || p.Type == "" {
			continue
		}
		if p.Pattern != "" && p.Format == "" && len(p.Enum) == 0 && patternSamples()[p.Pattern] == "" {
			missing = append(missing, fmt.Sprintf("%s (pattern %s)", p.Name, p.Pattern))
		}
		switch p.Type {
		case "boolean":
			args[p.Name] = true
		case "integer", "number":
			f, _ := strconv.ParseFloat(sampleFor(p), 64)
			args[p.Name] = f
		case "array":
			args[p.Name] = []any{sampleFor(p.Items)}
		default:
			args[p.Name] = sampleFor(p)
		}
	}
	if len(missing) > 0 {
		return args, fmt.Errorf("%s: no example for the required %s", op.Key(), strings.Join(missing, ", "))
	}
	return args, nil
}

func fillPath(template string, vars map[string]string) string {
	segs := strings.Split(template, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = url.PathEscape(vars[s[1:len(s)-1]])
		}
	}
	return strings.Join(segs, "/")
}

// InvalidValue is a value the parameter's schema refuses, and the kind of check that must catch it (written
// from the parameter's schema, not from the validator's code: the tests' oracle); ok is false for one that accepts any text.
func InvalidValue(p *schema.Param) (v any, kind string, ok bool) {
	if _, known := schema.CheckFormat(p.Format, "x"); p.Format != "" && !known && len(p.Keys) == 0 {
		return nil, "", false
	}
	switch {
	case p.Type == "boolean":
		return "maybe", "boolean", true
	case p.Type == "integer":
		return 1.5, "integer", true
	case p.Type == "number":
		return "one", "number", true
	case p.Type == "array":
		if p.Items == nil {
			return nil, "", false
		}
		if _, known := schema.CheckFormat(p.Items.Format, "x"); len(p.Items.Enum) > 0 || known || len(p.Items.Keys) > 0 || p.Items.Type == "integer" {
			return []any{"\x01 not valid"}, "array item", true
		}
		return nil, "", false
	case len(p.Enum) > 0:
		return "no-such-value", "enum", true
	case len(p.Keys) > 0:
		return "no-such-key=1", "property string", true
	case p.Format != "" && strings.TrimSuffix(p.Format, "-list") != "string":
		return "\x01 not valid", "format", true
	case p.Pattern != "":
		return "\x01 not valid", "pattern", true
	case p.HasMaxLength:
		return strings.Repeat("x", p.MaxLength+1), "length", true
	}
	return nil, "", false
}
