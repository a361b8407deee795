package schema

import (
	"strings"
	"testing"
)

// grants holds privileges on "/" that propagate everywhere, like pvesim's tokens.
type grants map[string]bool

func (g grants) Has(_, priv string) bool { return g[priv] }

func TestPermit(t *testing.T) {
	admin := grants{"VM.Audit": true, "VM.PowerMgmt": true, "VM.Clone": true, "VM.Allocate": true, "Sys.Audit": true,
		"Sys.Modify": true, "Datastore.Audit": true, "Permissions.Modify": true, "User.Modify": true}
	auditor := grants{"VM.Audit": true, "Sys.Audit": true, "Datastore.Audit": true}
	tests := []struct {
		op     string
		user   string
		g      grants
		params map[string]string
		want   string // "" for allowed
	}{
		{"POST /nodes/{node}/qemu/{vmid}/status/start", "root@pam!mcp", admin, map[string]string{"vmid": "100"}, ""},
		{"POST /nodes/{node}/qemu/{vmid}/status/start", "auditor@pve!ro", auditor, map[string]string{"vmid": "100"}, "Permission check failed (/vms/100, VM.PowerMgmt)"},
		{"GET /nodes/{node}/storage/{storage}/content", "auditor@pve!ro", grants{}, map[string]string{"storage": "local"},
			"Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)"},
		{"GET /cluster/resources", "nobody@pve", grants{}, nil, ""},
		{"PUT /nodes/{node}/disks/wipedisk", "root@pam!mcp", admin, nil, "Permission check failed (user != root@pam)"},
		{"PUT /nodes/{node}/disks/wipedisk", "root@pam", grants{}, nil, ""},
		{"POST /nodes/{node}/qemu/{vmid}/clone", "root@pam!mcp", admin, map[string]string{"vmid": "100", "newid": "200"}, ""},
		{"POST /nodes/{node}/qemu/{vmid}/clone", "x@pve", grants{"VM.Clone": true}, map[string]string{"vmid": "100", "newid": "200"},
			"Permission check failed"},
		{"PUT /access/acl", "root@pam!mcp", admin, map[string]string{"path": "/vms/100"}, ""},
		{"PUT /access/acl", "x@pve", auditor, map[string]string{"path": "/vms/100"}, "Permission check failed (/vms/100, Permissions.Modify|VM.Allocate)"},
		{"GET /access/users/{userid}/token", "x@pve", grants{}, map[string]string{"userid": "x@pve"}, ""},
		{"GET /access/users/{userid}/token", "x@pve!t", grants{}, map[string]string{"userid": "x@pve"}, "Permission check failed"},
	}
	for _, tt := range tests {
		method, path, _ := cutKey(tt.op)
		o := Lookup(method, path)
		if o == nil {
			t.Fatalf("no %s", tt.op)
		}
		err := o.Permit(tt.user, tt.g, tt.params)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s as %s: %q, want %q", tt.op, tt.user, got, tt.want)
		}
	}
}

func cutKey(k string) (string, string, bool) {
	for i := 0; i < len(k); i++ {
		if k[i] == ' ' {
			return k[:i], k[i+1:], true
		}
	}
	return "", "", false
}

func TestPermissionString(t *testing.T) {
	tests := map[string]string{
		"GET /nodes/{node}/qemu/{vmid}/config": "VM.Audit on /vms/{vmid}",
		"GET /cluster/ceph/status":             "any of Sys.Audit, Datastore.Audit on /",
		"PUT /nodes/{node}/disks/wipedisk":     "root@pam only (API tokens never)",
		"POST /nodes/{node}/qemu/{vmid}/clone": "VM.Clone on /vms/{vmid} and (VM.Allocate on /vms/{newid} or VM.Allocate on /pool/{pool} (when pool is given))",
		"PUT /access/acl":                      "Permissions.Modify on {path}",
	}
	for key, want := range tests {
		m, p, _ := cutKey(key)
		if got := Lookup(m, p).Permission.String(); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	if got := Lookup("GET", "/cluster/resources").Permission.String(); got != "any authenticated user" {
		t.Errorf("GET /cluster/resources: %q", got)
	}
}
