package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// walkCase is what one operation needs beyond the defaults to succeed against the demo cluster.
type walkCase struct {
	vars  map[string]string
	args  map[string]any
	setup func(e *env)
	// argsFrom adds arguments only the cluster can give, once setup has run (a process id).
	argsFrom func(e *env) map[string]any
}

// walkCases are the modelled operations whose defaults would not succeed: the guest must be stopped, the
// snapshot must exist, the new vmid must be free.
var walkCases = map[string]walkCase{
	"POST /nodes/{node}/qemu":                              {args: map[string]any{"vmid": 150}},
	"POST /nodes/{node}/lxc":                               {args: map[string]any{"vmid": 250, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "storage": "local-lvm"}},
	"POST /nodes/{node}/qemu/{vmid}/status/start":          {vars: map[string]string{"node": "pve2", "vmid": "103"}},
	"POST /nodes/{node}/lxc/{vmid}/status/start":           {vars: map[string]string{"node": "pve3", "vmid": "204"}},
	"DELETE /nodes/{node}/qemu/{vmid}":                     {vars: map[string]string{"node": "pve2", "vmid": "103"}},
	"DELETE /nodes/{node}/lxc/{vmid}":                      {vars: map[string]string{"node": "pve3", "vmid": "204"}},
	"POST /nodes/{node}/qemu/{vmid}/clone":                 {vars: map[string]string{"vmid": "9000"}, args: map[string]any{"newid": 150}},
	"POST /nodes/{node}/lxc/{vmid}/clone":                  {vars: map[string]string{"node": "pve3", "vmid": "204"}, args: map[string]any{"newid": 250}},
	"POST /nodes/{node}/qemu/{vmid}/snapshot":              {args: map[string]any{"snapname": "walk"}},
	"POST /nodes/{node}/lxc/{vmid}/snapshot":               {args: map[string]any{"snapname": "walk"}},
	"POST /nodes/{node}/vzdump":                            {args: map[string]any{"vmid": "101"}},
	"POST /cluster/ha/resources":                           {args: map[string]any{"sid": "vm:101"}},
	"POST /cluster/firewall/groups":                        {args: map[string]any{"group": "walkgroup"}},
	"DELETE /cluster/firewall/groups/{group}":              {vars: map[string]string{"group": "empty"}, setup: func(e *env) { e.post("/cluster/firewall/groups", params("group", "empty")) }},
	"POST /nodes/{node}/qemu/{vmid}/firewall/rules":        {args: map[string]any{"action": "ACCEPT", "type": "in"}},
	"POST /nodes/{node}/lxc/{vmid}/firewall/rules":         {args: map[string]any{"action": "ACCEPT", "type": "in"}},
	"POST /nodes/{node}/firewall/rules":                    {args: map[string]any{"action": "ACCEPT", "type": "in"}},
	"POST /cluster/firewall/rules":                         {args: map[string]any{"action": "ACCEPT", "type": "in"}},
	"POST /cluster/firewall/groups/{group}":                {args: map[string]any{"action": "ACCEPT", "type": "in"}},
	"DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}": {},
	"POST /nodes/{node}/qemu/{vmid}/agent/exec":            {args: map[string]any{"command": []any{"hostname"}}},
	"GET /nodes/{node}/qemu/{vmid}/agent/exec-status": {argsFrom: func(e *env) map[string]any {
		var started struct{ PID int }
		e.request("POST", "/nodes/pve1/qemu/101/agent/exec", adminAuth, params("command", "uname", "command", "-a")).data(e.t, &started)
		return map[string]any{"pid": started.PID}
	}},
	"POST /nodes/{node}/qemu/{vmid}/migrate":                      {vars: map[string]string{"node": "pve2", "vmid": "102"}, args: map[string]any{"target": "pve3", "online": true, "with-local-disks": true}},
	"POST /nodes/{node}/lxc/{vmid}/migrate":                       {vars: map[string]string{"node": "pve3", "vmid": "204"}, args: map[string]any{"target": "pve1"}},
	"PUT /nodes/{node}/qemu/{vmid}/resize":                        {args: map[string]any{"disk": "scsi0"}},
	"POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback": {},
}

// samples are values of the named formats, written from PVE's rules (not from the code under test).
var samples = map[string]string{
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

// patternSamples match the patterns required parameters carry without a format.
var patternSamples = map[string]string{
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

var pemSample = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

// walkVars fills a template's variables from the demo cluster.
func walkVars(op *schema.Operation, upids map[string]string) map[string]string {
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
	if c, ok := walkCases[op.Key()]; ok {
		for k, v := range c.vars {
			vars[k] = v
		}
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
	if v, ok := samples[strings.TrimSuffix(p.Format, "-list")]; ok {
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
	if v, ok := patternSamples[p.Pattern]; ok {
		return v
	}
	v := "walk1"
	if p.HasMinLength && p.MinLength > len(v) {
		v = strings.Repeat("w", p.MinLength)
	}
	return v
}

// walkArgs are the required parameters with valid values, as a JSON client would send them.
func walkArgs(t *testing.T, op *schema.Operation) map[string]any {
	args := map[string]any{}
	for _, p := range op.Params {
		if op.PathVariable(p.Name) || p.Optional || p.Count > 0 || p.TypeProperty != "" || len(p.OneOf) > 0 || p.Type == "" {
			continue
		}
		if p.Pattern != "" && p.Format == "" && len(p.Enum) == 0 && patternSamples[p.Pattern] == "" {
			t.Errorf("%s: no example for required %s (pattern %s)", op.Key(), p.Name, p.Pattern)
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
	if c, ok := walkCases[op.Key()]; ok {
		for k, v := range c.args {
			args[k] = v
		}
	}
	return args
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

// shapeOK checks an answer's data against the returns schema's top-level type. Numbers may come as strings
// and booleans as 0/1, as Proxmox sends them.
func shapeOK(data json.RawMessage, s *schema.Schema) bool {
	d := strings.TrimSpace(string(data))
	if d == "" {
		return false
	}
	switch s.Type {
	case "array":
		return d[0] == '['
	case "object":
		return d[0] == '{'
	case "string":
		return d[0] == '"'
	case "integer", "number", "boolean":
		return d[0] == '"' || d[0] == '-' || d[0] >= '0' && d[0] <= '9' || d == "true" || d == "false"
	case "null":
		return d == "null"
	}
	return json.Valid(data)
}

// TestEveryOperation walks all operations of the schema: each has a class; a valid example built from its
// parameters passes the validator and, sent over a real loopback listener with the default admin token, is
// answered as PVE would answer a token (200 with the returns shape; a UPID whose task ends OK; 403 where
// only root@pam or a ticket may call) and logged exactly once.
func TestEveryOperation(t *testing.T) {
	shared := newEnv(t, nil)
	upids := map[string]string{}
	for _, ts := range shared.srv.Tasks() {
		if ts.Status == "stopped" && upids[ts.Node] == "" {
			upids[ts.Node] = ts.UPID
		}
	}
	for _, ts := range shared.srv.Tasks() {
		if ts.Status == "running" {
			walkCases["DELETE /nodes/{node}/tasks/{upid}"] = walkCase{vars: map[string]string{"node": ts.Node, "upid": ts.UPID}}
		}
	}
	counts := map[string]int{}
	for _, op := range schema.Operations() {
		t.Run(op.Key(), func(t *testing.T) {
			if op.Class < schema.Read || op.Class > schema.OperatorOnly {
				t.Fatalf("no class: %v", op.Class)
			}
			vars := walkVars(op, upids)
			args := walkArgs(t, op)
			target, err := schema.Match(op.Method, fillPath(op.Path, vars))
			if err != nil {
				t.Fatalf("match: %v", err)
			}
			if target.Op != op {
				t.Fatalf("matched %s", target.Op.Key())
			}
			send, err := op.Validate(target.Vars, args)
			if err != nil {
				t.Fatalf("a valid example was refused: %v", err)
			}
			e := shared
			if routes()[op.Key()] != nil && op.Method != "GET" {
				e = newEnv(t, nil) // a modelled write changes the cluster
			}
			if c := walkCases[op.Key()]; c.setup != nil {
				c.setup(e)
			}
			if c := walkCases[op.Key()]; c.argsFrom != nil {
				for k, v := range c.argsFrom(e) {
					args[k] = v
				}
				if send, err = op.Validate(target.Vars, args); err != nil {
					t.Fatalf("a valid example was refused: %v", err)
				}
			}
			before := len(e.srv.Requests())
			r := e.request(op.Method, target.Path, adminAuth, send)
			logged := e.srv.Requests()[before:]
			if len(logged) != 1 || logged[0].Method != op.Method || logged[0].Status != r.status {
				t.Errorf("request log after the call: %+v", logged)
			}
			switch {
			case !op.AllowToken:
				counts["403 ticket needed"]++
				if r.status != 403 || !strings.Contains(r.reason, "not available with API token") {
					t.Errorf("a ticket-only operation answered %d %s", r.status, r.reason)
				}
				return
			case !op.Permission.Defined:
				counts["403 root@pam only"]++
				if r.status != 403 || r.reason != "Permission check failed (user != root@pam)" {
					t.Errorf("a root-only operation answered %d %s", r.status, r.reason)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("%d %s %s", r.status, r.reason, r.body)
			}
			var env struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(r.body, &env); err != nil {
				t.Fatalf("not the JSON envelope: %s", r.body)
			}
			switch {
			case op.Method == "GET":
				counts["200 read"]++
				if !shapeOK(env.Data, op.Returns) {
					t.Errorf("data %.200s does not have the returns shape %q", env.Data, op.Returns.Type)
				}
			case op.ReturnsTask():
				counts["200 task"]++
				var upid string
				if err := json.Unmarshal(env.Data, &upid); err != nil || !upidRE.MatchString(upid) {
					t.Fatalf("answered %s, not a UPID", env.Data)
				}
				if exit := e.finish(upid); exit != "OK" {
					t.Errorf("task ended %q", exit)
				}
			case op.Returns.Type == "null":
				counts["200 null"]++
				if string(env.Data) != "null" {
					t.Errorf("answered %s, the schema says null", env.Data)
				}
			default:
				counts["200 data"]++
				if !shapeOK(env.Data, op.Returns) {
					t.Errorf("data %.200s does not have the returns shape %q", env.Data, op.Returns.Type)
				}
			}
		})
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != len(schema.Operations()) {
		t.Errorf("answers %v cover %d of %d operations", counts, total, len(schema.Operations()))
	}
	t.Logf("answers: %v", counts)
}

// invalidFor is a value the parameter's schema refuses, and the kind of check that must catch it; ok is
// false for a parameter that accepts any text.
func invalidFor(p *schema.Param) (v any, kind string, ok bool) {
	if _, known := schema.CheckFormat(p.Format, "x"); p.Format != "" && !known && len(p.Keys) == 0 {
		return nil, "", false // an unchecked format: nothing is invalid
	}
	switch {
	case p.Type == "boolean":
		return "maybe", "boolean", true
	case p.Type == "integer":
		return 1.5, "integer", true
	case p.Type == "number":
		return "one", "number", true
	case p.Type == "array":
		if _, known := schema.CheckFormat(p.Items.Format, "x"); p.Items != nil && (len(p.Items.Enum) > 0 || known || len(p.Items.Keys) > 0) {
			return []any{"\x01 not valid"}, "array item", true
		}
		return nil, "", false
	case len(p.Enum) > 0:
		return "no-such-value", "enum", true
	case len(p.Keys) > 0:
		return "no-such-key=1", "property string", true
	case p.Format != "" && strings.TrimSuffix(p.Format, "-list") != "string": // "string" takes any text
		return "\x01 not valid", "format", true
	case p.Pattern != "":
		return "\x01 not valid", "pattern", true
	case p.HasMaxLength:
		return strings.Repeat("x", p.MaxLength+1), "length", true
	}
	return nil, "", false
}

// TestEveryOperationRefusesInvalidArguments: for each operation, one invalid value of each kind of parameter
// it takes (and an unknown parameter) is refused by the validator, naming the parameter, before anything
// could be sent.
func TestEveryOperationRefusesInvalidArguments(t *testing.T) {
	upids := map[string]string{"pve1": "UPID:pve1:00000001:00000001:6740F00D:qmstart:101:root@pam:", "pve2": "UPID:pve2:00000001:00000001:6740F00D:qmstart:102:root@pam:", "pve3": "UPID:pve3:00000001:00000001:6740F00D:qmstart:203:root@pam:"}
	checked := map[string]int{}
	for _, op := range schema.Operations() {
		vars := walkVars(op, upids)
		target, err := schema.Match(op.Method, fillPath(op.Path, vars))
		if err != nil {
			t.Errorf("%s: %v", op.Key(), err)
			continue
		}
		valid := walkArgs(t, op)
		try := func(name string, v any, kind string) {
			args := map[string]any{}
			for k, a := range valid {
				args[k] = a
			}
			args[name] = v
			_, err := op.Validate(target.Vars, args)
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %s=%q (%s) was accepted", op.Key(), name, fmt.Sprint(v), kind)
				return
			}
			for _, pr := range ve.Problems {
				if pr.Param == name || strings.HasPrefix(pr.Param, name+"[") {
					checked[kind]++
					return
				}
			}
			t.Errorf("%s: %s=%q refused, but the problems %v do not name it", op.Key(), name, fmt.Sprint(v), ve.Problems)
		}
		try("no-such-parameter", "1", "unknown")
		seen := map[string]bool{}
		for _, p := range op.Params {
			if op.PathVariable(p.Name) || p.TypeProperty != "" || len(p.OneOf) > 0 || p.Type == "" {
				continue
			}
			v, kind, ok := invalidFor(p)
			if !ok || seen[kind] {
				continue
			}
			seen[kind] = true
			name := p.Name
			if p.Count > 0 {
				name += "0"
			}
			try(name, v, kind)
		}
	}
	kinds := make([]string, 0, len(checked))
	for k := range checked {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range []string{"unknown", "boolean", "integer", "number", "enum", "property string", "format", "pattern", "length", "array item"} {
		if checked[k] == 0 {
			t.Errorf("no parameter of kind %s was tried", k)
		}
	}
	t.Logf("invalid values refused, by kind: %v", checked)
}
