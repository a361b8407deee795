package schema

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPinnedClasses are the classes the issue names; a rule change that moves one of them is a decision
// to review, not an accident.
func TestPinnedClasses(t *testing.T) {
	tests := []struct {
		method, path string
		want         Class
	}{
		{"PUT", "/nodes/{node}/disks/wipedisk", Destructive},
		{"PUT", "/access/acl", OperatorOnly},
		{"POST", "/nodes/{node}/execute", OperatorOnly},
		{"POST", "/nodes/{node}/status", OperatorOnly},
		{"GET", "/nodes/{node}/qemu/{vmid}/agent/file-read", OperatorOnly},
		{"DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", Destructive},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/start", Write},
		{"GET", "/cluster/resources", Read},
		// and the neighbours of the pinned ones
		{"POST", "/nodes/{node}/qemu/{vmid}/status/stop", Destructive},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/reset", Destructive},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", Write},
		{"POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", Destructive},
		{"DELETE", "/nodes/{node}/qemu/{vmid}", Destructive},
		{"POST", "/nodes/{node}/stopall", OperatorOnly},
		{"POST", "/nodes/{node}/termproxy", OperatorOnly},
		{"POST", "/nodes/{node}/vncshell", OperatorOnly},
		{"POST", "/nodes/{node}/spiceshell", OperatorOnly},
		{"GET", "/nodes/{node}/vncwebsocket", OperatorOnly},
		{"POST", "/nodes/{node}/qemu/{vmid}/agent/exec", OperatorOnly},
		{"GET", "/nodes/{node}/qemu/{vmid}/agent/exec-status", OperatorOnly},
		{"POST", "/nodes/{node}/qemu/{vmid}/agent/file-write", OperatorOnly},
		{"POST", "/cluster/config/join", OperatorOnly},
		{"POST", "/nodes/{node}/certificates/custom", OperatorOnly},
		{"PUT", "/nodes/{node}/apt/repositories", OperatorOnly},
		{"POST", "/access/users/{userid}/token/{tokenid}", OperatorOnly},
		{"GET", "/access/users", Read},
		{"GET", "/nodes/{node}/qemu/{vmid}/agent/get-osinfo", Read},
		{"POST", "/cluster/ha/resources", Write},
		{"POST", "/cluster/ha/resources/{sid}/relocate", Destructive},
		{"POST", "/nodes/{node}/qemu/{vmid}/firewall/rules", Write},
		{"GET", "/nodes/{node}/qemu/{vmid}/firewall/rules", Read},
	}
	for _, tt := range tests {
		o := Lookup(tt.method, tt.path)
		if o == nil {
			t.Errorf("%s %s is not in the schema", tt.method, tt.path)
			continue
		}
		if o.Class != tt.want {
			t.Errorf("%s %s is %s (rule %s), want %s", tt.method, tt.path, o.Class, o.ClassRule, tt.want)
		}
	}
}

func TestEveryOperationHasAClass(t *testing.T) {
	counts := ClassCounts()
	total := 0
	for _, c := range Classes {
		total += counts[c]
	}
	if total != len(Operations()) || len(counts) != len(Classes) {
		t.Errorf("class counts %v cover %d of %d operations", counts, total, len(Operations()))
	}
	for _, o := range Operations() {
		if o.Class < Read || o.Class > OperatorOnly || o.ClassRule == "" {
			t.Errorf("%s: class %v, rule %q", o.Key(), o.Class, o.ClassRule)
		}
		if o.Method == "DELETE" && o.Class < Destructive {
			t.Errorf("%s: a DELETE classed %s", o.Key(), o.Class)
		}
		if o.Method != "GET" && o.Class == Read {
			t.Errorf("%s: only GETs can be read", o.Key())
		}
	}
}

func TestExceptionsNameRealOperations(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Exceptions() {
		key := e.Method + " " + e.Path
		if seen[key] {
			t.Errorf("exception %s listed twice", key)
		}
		seen[key] = true
		o := Lookup(e.Method, e.Path)
		if o == nil {
			t.Errorf("exception %s names no operation", key)
			continue
		}
		if o.Class != e.Class || o.ClassRule != "exception" || e.Reason == "" {
			t.Errorf("exception %s: operation has %s by %s; exception says %s (%q)", key, o.Class, o.ClassRule, e.Class, e.Reason)
		}
		// an exception the rules already agree with is noise
		saved := exceptions
		exceptions = nil
		classifyOne(o)
		byRule := o.Class
		exceptions = saved
		classifyOne(o)
		if byRule == e.Class {
			t.Errorf("exception %s is redundant: the rules give %s too", key, byRule)
		}
	}
}

func TestNeverGeneric(t *testing.T) {
	var got []string
	for _, o := range Operations() {
		if o.NeverGeneric {
			got = append(got, o.Key())
		}
	}
	want := []string{"POST /nodes/{node}/qemu/{vmid}/agent/exec", "GET /nodes/{node}/qemu/{vmid}/agent/exec-status"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("never-generic operations (-want +got):\n%s", diff)
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range Classes {
		if got, ok := ParseClass(c.String()); !ok || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c, got, ok)
		}
	}
	if _, ok := ParseClass("admin"); ok {
		t.Error(`ParseClass("admin") succeeded`)
	}
}

// TestClassTableSnapshot: classes.txt is what WriteClassTable writes today. A class that changes shows up
// in the diff of classes.txt; regenerate it with go generate ./pve/schema.
func TestClassTableSnapshot(t *testing.T) {
	var b bytes.Buffer
	if err := WriteClassTable(&b); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("classes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(b.String(), "\n"))
		t.Errorf("classes.txt is stale; run go generate ./pve/schema (-committed +now):\n%s", diff)
	}
	lines := strings.Count(b.String(), "\n")
	if want := len(Operations()) + 3 + 1 + len(Escalations()); lines != want {
		t.Errorf("classes.txt has %d lines, want %d: 3 header lines, one per operation, a header and one per escalation", lines, want)
	}
}
