package schema

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClassFor: a call's class follows what its parameters ask for, through Prepare (the one place a generic
// call's request is built), for the data-losing parameters the review found and their harmless neighbours.
func TestClassFor(t *testing.T) {
	const vm, ct = "/nodes/pve1/qemu/100", "/nodes/pve1/lxc/200"
	backup := "nas:backup/vzdump-qemu-100-2026_11_30-02_22_26.vma.zst"
	tests := []struct {
		name, method, path string
		args               map[string]any
		want               Class
		rules              []string
	}{
		{"config: a disk deleted with force", "PUT", vm + "/config", map[string]any{"delete": "scsi0", "force": 1}, Destructive, []string{"deletes-disk"}},
		{"config: a disk deleted (it becomes unused)", "PUT", vm + "/config", map[string]any{"delete": "virtio1"}, Destructive, []string{"deletes-disk"}},
		{"config: an unused volume deleted", "PUT", vm + "/config", map[string]any{"delete": "net0;unused0"}, Destructive, []string{"deletes-disk"}},
		{"config: EFI and TPM volumes", "PUT", vm + "/config", map[string]any{"delete": "efidisk0 tpmstate0"}, Destructive, []string{"deletes-disk"}},
		{"config: a disk among settings", "PUT", vm + "/config", map[string]any{"delete": "tags,ide2,description"}, Destructive, []string{"deletes-disk"}},
		{"config: upper case is still a disk", "PUT", vm + "/config", map[string]any{"delete": "SCSI0"}, Destructive, []string{"deletes-disk"}},
		{"config: async config too", "POST", vm + "/config", map[string]any{"delete": "sata2"}, Destructive, []string{"deletes-disk"}},
		{"config: cdrom is PVE's alias of ide2, a disk or not", "PUT", vm + "/config", map[string]any{"delete": "cdrom", "force": 1}, Destructive, []string{"deletes-disk"}},
		{"config: cdrom among settings", "POST", vm + "/config", map[string]any{"delete": "tags;cdrom"}, Destructive, []string{"deletes-disk"}},
		{"config: a hibernated VM's saved state", "PUT", vm + "/config", map[string]any{"delete": "vmstate"}, Destructive, []string{"deletes-disk"}},
		{"config: saved state, async", "POST", vm + "/config", map[string]any{"delete": "net1,VMSTATE"}, Destructive, []string{"deletes-disk"}},
		{"config: where it is saved is a setting", "PUT", vm + "/config", map[string]any{"delete": "vmstatestorage"}, Write, nil},
		{"config: settings only", "PUT", vm + "/config", map[string]any{"delete": "net0,tags,description"}, Write, nil},
		{"config: scsihw and virtiofs are no disks", "PUT", vm + "/config", map[string]any{"delete": "scsihw,virtiofs0"}, Write, nil},
		{"config: a disk set, not deleted", "PUT", vm + "/config", map[string]any{"scsi1": "local-lvm:8"}, Write, nil},
		{"config: skiplock", "PUT", vm + "/config", map[string]any{"memory": "2048", "skiplock": true}, Destructive, []string{"skips-lock"}},
		{"config: both", "PUT", vm + "/config", map[string]any{"delete": "unused1", "skiplock": 1}, Destructive, []string{"deletes-disk", "skips-lock"}},
		{"config: skiplock false", "PUT", vm + "/config", map[string]any{"memory": "2048", "skiplock": false}, Write, nil},
		{"container: a mount point deleted", "PUT", ct + "/config", map[string]any{"delete": "mp0"}, Destructive, []string{"deletes-disk"}},
		{"container: an unused volume deleted", "PUT", ct + "/config", map[string]any{"delete": "unused2"}, Destructive, []string{"deletes-disk"}},
		{"container: memory is no mount point", "PUT", ct + "/config", map[string]any{"delete": "memory,description"}, Write, nil},
		{"container: settings only", "PUT", ct + "/config", map[string]any{"delete": "description,nameserver"}, Write, nil},
		{"restore over a VM", "POST", "/nodes/pve1/qemu", map[string]any{"vmid": 102, "archive": backup, "force": 1}, Destructive, []string{"restores-over"}},
		{"restore to a new VM", "POST", "/nodes/pve1/qemu", map[string]any{"vmid": 150, "archive": backup}, Write, nil},
		{"restore over a container", "POST", "/nodes/pve1/lxc", map[string]any{"vmid": 200, "ostemplate": "nas:backup/vzdump-lxc-200.tar.zst", "restore": 1, "force": true}, Destructive, []string{"restores-over"}},
		{"shutdown with forceStop", "POST", vm + "/status/shutdown", map[string]any{"forceStop": 1, "timeout": 0}, Destructive, []string{"forces-stop"}},
		{"shutdown", "POST", vm + "/status/shutdown", map[string]any{"timeout": 60}, Write, nil},
		{"container shutdown with forceStop", "POST", ct + "/status/shutdown", map[string]any{"forceStop": true}, Destructive, []string{"forces-stop"}},
		{"HA stops a guest", "PUT", "/cluster/ha/resources/vm:100", map[string]any{"state": "stopped"}, Destructive, []string{"forces-stop"}},
		{"HA starts a guest", "PUT", "/cluster/ha/resources/vm:100", map[string]any{"state": "started"}, Write, nil},
		{"HA adds a guest disabled", "POST", "/cluster/ha/resources", map[string]any{"sid": "vm:100", "state": "disabled"}, Destructive, []string{"forces-stop"}},
		{"move a disk and delete the source", "POST", vm + "/move_disk", map[string]any{"disk": "scsi0", "storage": "nas", "delete": 1}, Destructive, []string{"deletes-source"}},
		{"move a disk", "POST", vm + "/move_disk", map[string]any{"disk": "scsi0", "storage": "nas"}, Write, nil},
		{"backup with a retention", "POST", "/nodes/pve1/vzdump", map[string]any{"vmid": "100", "prune-backups": "keep-last=1"}, Destructive, []string{"prunes-backups"}},
		{"backup", "POST", "/nodes/pve1/vzdump", map[string]any{"vmid": "100", "storage": "nas"}, Write, nil},
		{"storage retention", "PUT", "/storage/nas", map[string]any{"prune-backups": "keep-last=1"}, Destructive, []string{"prunes-backups"}},
		{"replication job removed", "PUT", "/cluster/replication/100-0", map[string]any{"remove_job": "full"}, Destructive, []string{"removes-replication"}},
		{"start with skiplock", "POST", ct + "/status/start", map[string]any{"skiplock": 1}, Destructive, []string{"skips-lock"}},
		{"start", "POST", vm + "/status/start", nil, Write, nil},
		{"a stop stays destructive", "POST", vm + "/status/stop", map[string]any{"skiplock": 1}, Destructive, nil},
		{"container: an init command", "PUT", ct + "/config", map[string]any{"entrypoint": "/bin/sh -c 'id > /root/x'"}, OperatorOnly, []string{"sets-init"}},
		{"new container: an init command", "POST", "/nodes/pve1/lxc", map[string]any{"vmid": 250, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "entrypoint": "sh"}, OperatorOnly, []string{"sets-init"}},
		{"container: the init command reset", "PUT", ct + "/config", map[string]any{"delete": "entrypoint"}, Write, nil},
		{"a read", "GET", vm + "/config", nil, Read, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Prepare(tt.method, tt.path, tt.args)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			var rules []string
			for _, e := range r.Escalated {
				rules = append(rules, e.Rule)
			}
			if diff := cmp.Diff(struct {
				Class Class
				Rules []string
			}{tt.want, tt.rules}, struct {
				Class Class
				Rules []string
			}{r.Class, rules}); diff != "" {
				t.Errorf("class of %s %s %v (-want +got):\n%s", tt.method, tt.path, tt.args, diff)
			}
		})
	}
}

// TestEscalationsAreSound: every escalation names an operation, a parameter it takes (and the keys and
// values it tests exist), raises the operation's class, and says why.
func TestEscalationsAreSound(t *testing.T) {
	for _, e := range Escalations() {
		key := e.Method + " " + e.Path
		o := Lookup(e.Method, e.Path)
		if o == nil {
			t.Errorf("escalation %s names no operation", key)
			continue
		}
		if e.Class <= o.Class {
			t.Errorf("escalation %s %s raises nothing: the operation is %s already", key, e.Rule, o.Class)
		}
		if e.Rule == "" || e.When == "" || e.Reason == "" {
			t.Errorf("escalation %s: rule %q, when %q, reason %q", key, e.Rule, e.When, e.Reason)
		}
		p := o.Param(e.If.Param)
		if p == nil {
			t.Errorf("escalation %s %s: the operation takes no %s", key, e.Rule, e.If.Param)
			continue
		}
		switch e.If.Test {
		case IsTrue:
			if p.Type != "boolean" {
				t.Errorf("escalation %s %s: %s is %s, not a boolean", key, e.Rule, p.Name, p.Type)
			}
		case Names:
			for _, k := range e.If.Values {
				if o.Param(k) == nil && o.Param(k+"0") == nil && k != savedStateKey {
					t.Errorf("escalation %s %s: %s names %s, which the operation does not take", key, e.Rule, p.Name, k)
				}
			}
		case OneOf:
			for _, v := range e.If.Values {
				if !slices.Contains(p.Enum, v) {
					t.Errorf("escalation %s %s: %s has no value %s (enum %v)", key, e.Rule, p.Name, v, p.Enum)
				}
			}
		case IsGiven:
		default:
			t.Errorf("escalation %s %s: unknown test %d", key, e.Rule, e.If.Test)
		}
	}
}

// TestEveryWriteWithTheseParametersEscalates: where the schema gives a write one of the parameters reviewed
// as data-losing, it escalates; a schema update that adds one elsewhere fails here until it is reviewed.
func TestEveryWriteWithTheseParametersEscalates(t *testing.T) {
	reviewed := map[string]string{"skiplock": "skips-lock", "forceStop": "forces-stop", "prune-backups": "prunes-backups",
		"maxfiles": "prunes-backups", "remove_job": "removes-replication", "purge": "", "destroy-unreferenced-disks": "", "entrypoint": "sets-init"}
	for _, o := range Operations() {
		if o.Class != Write {
			continue
		}
		for param, rule := range reviewed {
			if o.Param(param) == nil {
				continue
			}
			if !slices.ContainsFunc(o.Escalations(), func(e Escalation) bool { return e.Rule == rule && e.If.Param == param }) {
				t.Errorf("%s takes %s and is a write, with no %q escalation", o.Key(), param, rule)
			}
		}
	}
}

func TestEscalationText(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"PUT", "/nodes/{node}/qemu/{vmid}/config", "destructive when delete names a disk or an unused volume, or skiplock is true"},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", "destructive when forceStop is true, or skiplock is true"},
		{"POST", "/nodes/{node}/qemu", "destructive when force is true (a restore over an existing VM)"},
		{"POST", "/nodes/{node}/vzdump", "destructive when prune-backups is given, or maxfiles is given"},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/stop", ""},
		{"GET", "/cluster/resources", ""},
	}
	for _, tt := range tests {
		if got := Lookup(tt.method, tt.path).EscalationText(); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// FuzzNamesCondition: whether a delete list names a disk, against an oracle written from PVE's split_list
// (split at NUL when there is one, else at commas, semicolons and white space) with a regular expression.
func FuzzNamesCondition(f *testing.F) {
	for _, s := range []string{"scsi0", "net0,scsi1", "tags;unused0", "scsihw", "virtiofs0", "efidisk0 tpmstate0",
		"net0\x00ide2", "scsi0 x\x00net0", "SCSI0", "", ",;", "ide", "unused00", "mp0"} {
		f.Add(s)
	}
	keys := strings.Join(vmDisks, "|")
	sep := `[,;\t\n\v\f\r ]`
	plain := regexp.MustCompile(`(^|` + sep + `)(` + keys + `)[0-9]*(` + sep + `|$)`)
	nul := regexp.MustCompile(`(^|\x00)(` + keys + `)[0-9]*(\x00|$)`)
	upper := regexp.MustCompile(`[A-Z]+`)
	c := Condition{Param: "delete", Test: Names, Values: vmDisks}
	f.Fuzz(func(t *testing.T, list string) {
		lower := upper.ReplaceAllStringFunc(list, strings.ToLower) // ASCII letters only, as PVE's names are
		want := plain.MatchString(lower)
		if strings.Contains(list, "\x00") {
			want = nul.MatchString(lower)
		}
		if got := c.holds(url.Values{"delete": {list}}); got != want {
			t.Fatalf("delete=%q: names a disk = %v, oracle %v", list, got, want)
		}
	})
}
