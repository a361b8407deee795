package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func TestAPIFind(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		args  string
		first string // the best hit, METHOD /path
		all   func(apiOpLine) bool
		n     int // how many hits at most
	}{
		{`{"query":"firewall rules"}`, "GET /cluster/firewall/rules", nil, schema.DefaultFindLimit},
		{`{"query":"ha resources","method":"POST"}`, "POST /cluster/ha/resources", func(o apiOpLine) bool { return o.Method == "POST" }, schema.DefaultFindLimit},
		{`{"query":"storage status","limit":3}`, "GET /nodes/{node}/storage/{storage}/status", nil, 3},
		{`{"query":"vm snapshot rollback"}`, "POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", nil, schema.DefaultFindLimit},
		{`{"query":"agent exec","method":"POST"}`, "POST /nodes/{node}/qemu/{vmid}/agent/exec", nil, schema.DefaultFindLimit},
		{`{"query":"zzzz nothing"}`, "", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			res := h.call(t, "proxmox_api_find", tc.args)
			if res.IsError {
				t.Fatal(text(res))
			}
			var r apiFindResult
			structured(t, res, &r)
			if len(r.Operations) > tc.n || tc.n > 0 && len(r.Operations) == 0 {
				t.Fatalf("%d hits, want 1…%d: %+v", len(r.Operations), tc.n, r.Operations)
			}
			if tc.first == "" {
				if !strings.Contains(text(res), "No operation matches") {
					t.Errorf("no hint: %s", text(res))
				}
				return
			}
			if got := r.Operations[0].Method + " " + r.Operations[0].Path; got != tc.first {
				t.Errorf("best hit %s, want %s", got, tc.first)
			}
			for _, o := range r.Operations {
				op := schema.Lookup(o.Method, o.Path)
				if op == nil || o.Class != op.Class.String() || o.Escalation != op.EscalationText() || o.Never != op.NeverGeneric || o.Summary == "" {
					t.Errorf("hit %+v is not the schema's", o)
				}
				if tc.all != nil && !tc.all(o) {
					t.Errorf("hit %+v", o)
				}
				class := o.Class
				if o.Escalation != "" {
					class += "; " + o.Escalation
				}
				if op != nil && op.NeverGeneric {
					class += "; never sent by the generic tools: proxmox_guest_exec runs commands"
				}
				if !strings.Contains(text(res), o.Method+" "+o.Path+" ("+class+") ") {
					t.Errorf("text does not list %s %s", o.Method, o.Path)
				}
			}
		})
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("find sent %d requests", n)
	}
}

// TestAPIFindDefaultAnswerStaysSmall: a default answer of proxmox_api_find (ten operations) is small; CI
// counts its tokens with the o200k tokenizer (at most 1,000), from the files written here.
func TestAPIFindDefaultAnswerStaysSmall(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	largest, largestText := "", ""
	for _, q := range []string{"firewall rules", "ha resources", "storage status", "vm config", "node network", "backup", "access users", "sdn zones"} {
		res := h.call(t, "proxmox_api_find", mustJSONArgs(t, map[string]any{"query": q}))
		whole, _ := json.Marshal(res)
		// o200k averages about 4 bytes a token on these answers (the largest, 3,194 bytes, is 789 tokens); at a
		// cautious 3.5, 3,400 bytes stays under 1,000 tokens.
		if len(whole) > 3400 {
			t.Errorf("%q: the whole result is %d bytes", q, len(whole))
		}
		if len(whole) > len(largest) {
			largest, largestText = string(whole), text(res)
		}
	}
	t.Logf("largest default answer: %d bytes in all, %d of text", len(largest), len(largestText))
	if out := os.Getenv("RESULT_OUT"); out != "" {
		_ = os.WriteFile(filepath.Join(out, "proxmox_api_find.txt"), []byte(largestText), 0o644)
		_ = os.WriteFile(filepath.Join(out, "proxmox_api_find.json"), []byte(largest), 0o644)
	}
}

func BenchmarkAPIFind(b *testing.B) {
	schema.Find("warm", "", 0) // the search index is built once, on first use
	b.Run("schema", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			schema.Find("firewall rules", "", 0)
		}
	})
	b.Run("tool", func(b *testing.B) {
		h := newHarness(b, harnessOpts{})
		req := mcp.CallToolRequest{}
		req.Params.Name = "proxmox_api_find"
		req.Params.Arguments = json.RawMessage(`{"query":"firewall rules"}`)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if res, err := h.mc.CallTool(context.Background(), req); err != nil || res.IsError {
				b.Fatal(err)
			}
		}
	})
}

func TestAPIDescribe(t *testing.T) {
	h := newHarness(t, harnessOpts{apiAllow: []string{"GET /nodes/{node}/qemu/{vmid}/cloudinit/dump"}})
	tests := []struct {
		args    string
		isError bool
		want    []string
	}{
		{`{"method":"POST","path":"/nodes/pve1/qemu/100/status/start"}`, false, []string{
			"POST /nodes/{node}/qemu/{vmid}/status/start (write; destructive when skiplock is true)", "Gate: proxmox_api_call with confirm: true", "Privilege: VM.PowerMgmt on /vms/{vmid}",
			"Returns: a task id (UPID)", "  vmid* (path): a VM ID, 100 to 999999999", "  timeout (body): an integer of at least 0"}},
		{`{"method":"PUT","path":"/nodes/pve1/qemu/100/config"}`, false, []string{
			"PUT /nodes/{node}/qemu/{vmid}/config (write; destructive when delete names a disk or an unused volume, or skiplock is true)",
			"Gate: proxmox_api_call with confirm: true; when delete names a disk or an unused volume, or skiplock is true, the call is destructive: confirm: true, destructive: true and the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off here"}},
		{`{"method":"POST","path":"/nodes/{node}/lxc"}`, false, []string{
			"(write; destructive when force is true (a restore over an existing container); operator-only when entrypoint is given)",
			`; when entrypoint is given, the call is operator-only: refused until the operator adds "POST /nodes/{node}/lxc" to PROXMOX_API_ALLOW, then destructive; dry_run`}},
		{`{"method":"DELETE","path":"/nodes/{node}/storage/{storage}/content/{volume}"}`, false, []string{
			"(destructive)", "destructive: true and the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off here: only the operator sets it)"}},
		{`{"method":"PUT","path":"/access/acl"}`, false, []string{"(operator-only)", `adding "PUT /access/acl" to PROXMOX_API_ALLOW`, "  roles* (body)"}},
		{`{"method":"GET","path":"/nodes/{node}/qemu/{vmid}/cloudinit/dump"}`, false, []string{"(operator-only)", "the operator allowed it in PROXMOX_API_ALLOW"}},
		{`{"method":"POST","path":"/nodes/{node}/qemu/{vmid}/agent/exec"}`, false, []string{"never sent by the generic tools", "its own, proxmox_guest_exec (guest toolset)"}},
		{`{"method":"POST","path":"/nodes/{node}/qemu","param":"net3"}`, false, []string{
			"  net[n] (net0…net31) (body): a property string: [model=]<enum> [,bridge=<bridge>]", "    bridge (key): a bridge name, e.g. vmbr0", "    model* (key, or a bare value): one of e1000"}},
		{`{"method":"GET","path":"/cluster/resources"}`, false, []string{"Gate: nothing: proxmox_api_get reads it", "  type (query): one of vm, storage, node, sdn"}},
		{`{"method":"GET","path":"/nodes/{node}/qemu/{vmid}/status/start"}`, true, []string{"has no GET; it has POST"}},
		{`{"method":"GET","path":"/nodes/{node}/nothing/{here}"}`, true, []string{"no operation has this path", "closest templates"}},
		{`{"method":"GET","path":"/nodes/pve1/qemu/100/firewall/rulez"}`, true, []string{"closest templates: GET,POST /nodes/{node}/qemu/{vmid}/firewall/rules"}},
		{`{"method":"POST","path":"/nodes/{node}/qemu","param":"nope"}`, true, []string{`takes no parameter "nope"`, "its parameters: node, vmid"}},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			res := h.call(t, "proxmox_api_describe", tc.args)
			got := text(res)
			if res.IsError != tc.isError {
				t.Fatalf("isError %v: %s", res.IsError, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("does not say %q:\n%s", w, got)
				}
			}
		})
	}
	ro := newHarness(t, harnessOpts{readOnly: true})
	if got := text(ro.call(t, "proxmox_api_describe", `{"method":"POST","path":"/cluster/firewall/rules"}`)); !strings.Contains(got, "this server does not offer proxmox_api_call") {
		t.Errorf("a read-only server's describe: %s", got)
	}
}

func TestAPIGetPages(t *testing.T) {
	h := newHarness(t, harnessOpts{cluster: pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1})})
	var first apiGetResult
	res := h.call(t, "proxmox_api_get", `{"path":"/cluster/resources","params":{"type":"vm"}}`)
	structured(t, res, &first)
	rows, _ := first.Data.([]any)
	if first.Total < 5000 || len(rows) != defaultAPIRows || first.NextCursor != defaultAPIRows || first.Operation != "GET /cluster/resources" {
		t.Fatalf("total %d, %d rows, cursor %d, %s", first.Total, len(rows), first.NextCursor, first.Operation)
	}
	whole, _ := json.Marshal(res)
	if len(whole) > 3*maxAnswerBytes {
		t.Errorf("a default page is %d bytes", len(whole))
	}
	if !strings.Contains(text(res), "rows 1–20 of") || !strings.Contains(text(res), "More rows: next_cursor 20.") {
		t.Errorf("text: %.300s", text(res))
	}
	var next apiGetResult
	structured(t, h.call(t, "proxmox_api_get", `{"path":"/cluster/resources","params":{"type":"vm"},"cursor":"20","limit":5}`), &next)
	rows2, _ := next.Data.([]any)
	if len(rows2) != 5 || next.NextCursor != 25 || cmp.Equal(rows2[0], rows[0]) {
		t.Errorf("second page: %d rows, cursor %d", len(rows2), next.NextCursor)
	}
	var big apiGetResult
	res = h.call(t, "proxmox_api_get", `{"path":"/cluster/resources","limit":200}`)
	structured(t, res, &big)
	rows3, _ := big.Data.([]any)
	if len(rows3) == 0 || len(rows3) >= 200 || big.NextCursor != len(rows3) || !strings.Contains(big.Note, "fit in one answer") {
		t.Errorf("200 rows asked for: %d shown, cursor %d, note %q", len(rows3), big.NextCursor, big.Note)
	}
	if whole, _ := json.Marshal(res); len(whole) > 3*maxAnswerBytes {
		t.Errorf("a page of 200 asked for is %d bytes", len(whole))
	}
	if n := len(h.sim.Requests()); n != 3 || len(h.sim.Writes()) != 0 {
		t.Errorf("%d requests for 3 reads", n)
	}
}

// TestAPIGetCleansAndRedacts: a secret the cluster sends back never reaches a result, and escapes, bidi and
// invisible characters are gone from its text and structured content.
func TestAPIGetCleansAndRedacts(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	if err := h.sim.SetGuestConfig(100, "description", "token "+pvesim.DefaultTokenSecret+" \x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202eevil\u202c"); err != nil {
		t.Fatal(err)
	}
	res := h.call(t, "proxmox_api_get", `{"path":"/nodes/pve1/qemu/100/config"}`)
	sc, _ := json.Marshal(res.StructuredContent)
	for where, s := range map[string]string{"text": text(res), "structured": string(sc)} {
		if strings.Contains(s, pvesim.DefaultTokenSecret) || strings.ContainsAny(s, "\x1b\u202e\u202c\a") || strings.Contains(s, `\u001b`) {
			t.Errorf("%s: %q", where, s)
		}
	}
	if !strings.Contains(text(res), "| description: ") {
		t.Errorf("the description is not fenced: %s", text(res))
	}
}

// TestAPIGetRefusesBeforeAnyRequest: paths that name no read, climb out of their template or carry a query,
// operator-only reads the operator did not allow, and guest-agent exec status are refused with zero requests;
// what the caller sent is not echoed unless short and plain.
func TestAPIGetRefusesBeforeAnyRequest(t *testing.T) {
	h := newHarness(t, harnessOpts{apiAllow: []string{"GET /nodes/{node}/qemu/{vmid}/agent/exec-status"}})
	secretish := "/nodes/pve1/qemu/100/" + strings.Repeat("Zk9", 20)
	tests := []struct {
		args string
		want []string
	}{
		{`{"path":"/nodes/pve1/qemu/100/status/start"}`, []string{"has only POST (proxmox_api_call sends those)"}},
		{`{"path":"/nodes/pve1/../../access/acl"}`, []string{`"." or ".."`}},
		{`{"path":"/nodes/pve1%2F..%2F..%2Faccess/status"}`, []string{"path (GET)"}},
		{`{"path":"/cluster/resources?type=vm"}`, []string{"query or fragment"}},
		{`{"path":"cluster/resources"}`, []string{"must start with /"}},
		{`{"path":"/nodes/-pve/status"}`, []string{"node:"}},
		{`{"path":"/cluster/resources","params":{"type":"vms"}}`, []string{"type:", "the enumeration 'vm, storage, node, sdn'"}},
		{`{"path":"/nodes/pve1/qemu/100/agent/file-read","params":{"file":"/etc/shadow"}}`, []string{"operator-only", `add "GET /nodes/{node}/qemu/{vmid}/agent/file-read" to PROXMOX_API_ALLOW`}},
		{`{"path":"/nodes/pve1/qemu/100/agent/exec-status","params":{"pid":1}}`, []string{"never sent by proxmox_api_get", "its own, proxmox_guest_exec (guest toolset)"}},
		{mustJSONArgs(t, map[string]any{"path": secretish}), []string{"no operation has this path"}},
		{`{"path":"/cluster/resources","params":{"type":"Zk9ſ=1"}}`, []string{"type: value '<6 characters>'"}},
		{`{"path":"/nodes/Zk9ſ/status"}`, []string{"node: invalid format"}},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			h.sim.ResetLog()
			res := h.call(t, "proxmox_api_get", tc.args)
			got := text(res)
			if !res.IsError || !strings.Contains(got, "nothing was sent to Proxmox") {
				t.Fatalf("not refused: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("does not say %q: %s", w, got)
				}
			}
			if strings.Contains(got, "Zk9") {
				t.Errorf("echoes the path: %s", got)
			}
			if n := len(h.sim.Requests()); n != 0 {
				t.Errorf("%d requests", n)
			}
		})
	}
}

// callView decodes proxmox_api_call's structured content (a writeResult with the operation and its class).
type callView struct {
	writeResult
	Operation string `json:"operation"`
	Class     string `json:"class"`
}

func TestAPICall(t *testing.T) {
	h := newHarness(t, harnessOpts{destructive: true, apiAllow: []string{"POST /nodes/{node}/execute"}})
	auditLines := func() []gate.Record {
		var out []gate.Record
		for _, l := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
			var r gate.Record
			if json.Unmarshal([]byte(l), &r) == nil {
				out = append(out, r)
			}
		}
		h.audit.Reset()
		return out
	}

	// A dry run shows the exact request, arrays as repeated keys, and the class; it sends nothing.
	res := h.call(t, "proxmox_api_call", `{"method":"POST","path":"/cluster/bulk-action/guest/start","params":{"vms":[100,101]},"dry_run":true}`)
	var dry callView
	structured(t, res, &dry)
	if dry.Status != "dry_run" || dry.Class != "write" || dry.Request == nil ||
		!cmp.Equal(dry.Request.Params["vms"], []any{"100", "101"}) || !strings.Contains(text(res), "with vms=100 vms=101.") ||
		!strings.Contains(text(res), "POST /cluster/bulk-action/guest/start is a write operation and needs confirm: true (missing)") {
		t.Errorf("dry run: %+v\n%s", dry, text(res))
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}

	// A write that answers null is done when Proxmox answers; the audit names the operation and the request.
	h.audit.Reset()
	res = h.call(t, "proxmox_api_call", `{"method":"POST","path":"/cluster/firewall/rules","params":{"action":"ACCEPT","type":"in","proto":"tcp","dport":"2222","enable":1},"confirm":true}`)
	if res.IsError || !strings.Contains(text(res), "Done: POST /cluster/firewall/rules (write)") || !strings.Contains(text(res), "Proxmox answered null") {
		t.Fatalf("plain write: %s", text(res))
	}
	if w := h.writes(); len(w) != 1 || w[0] != "POST /cluster/firewall/rules" {
		t.Errorf("writes %v", w)
	}
	if recs := auditLines(); len(recs) != 1 || recs[0].Decision != gate.Sent || recs[0].Operation != "POST /cluster/firewall/rules" || recs[0].Tier != "write" ||
		recs[0].Request != "POST /api2/json/cluster/firewall/rules" {
		t.Errorf("audit %+v", recs)
	}
	var rules apiGetResult
	structured(t, h.call(t, "proxmox_api_get", `{"path":"/cluster/firewall/rules"}`), &rules)
	if !strings.Contains(compactJSON(rules.Data), `"dport":"2222"`) {
		t.Errorf("the new rule is not listed: %s", compactJSON(rules.Data))
	}

	// A write that starts a task waits for it, like every write.
	h.sim.ResetLog()
	res = h.call(t, "proxmox_api_call", `{"method":"POST","path":"/nodes/pve2/qemu/103/status/start","confirm":true}`)
	var started callView
	structured(t, res, &started)
	if res.IsError || started.Status != "ok" || !strings.HasPrefix(started.UPID, "UPID:pve2:") || started.Class != "write" {
		t.Errorf("task write: %+v %s", started, text(res))
	}
	if g, _ := h.sim.Guest(103); g.Status != "running" {
		t.Errorf("103 is %s", g.Status)
	}

	// Only the JSON literal true is a confirmation; a dry_run that is not a boolean does not become a real call.
	h.sim.ResetLog()
	for _, args := range []string{
		`{"method":"POST","path":"/nodes/pve2/qemu/103/status/stop","confirm":"true","destructive":true}`,
		`{"method":"POST","path":"/nodes/pve2/qemu/103/status/stop","confirm":true,"destructive":true,"dry_run":"yes"}`,
		`{"method":"POST","path":"/nodes/pve2/qemu/103/status/stop","confirm":true,"destructive":true,"bogus":1}`,
		`{"method":"GET","path":"/cluster/resources","confirm":true}`,
	} {
		if res := h.call(t, "proxmox_api_call", args); !res.IsError || !strings.Contains(text(res), "nothing was sent") {
			t.Errorf("%s: %s", args, text(res))
		}
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("refused calls sent %d requests", n)
	}

	// An operator-only operation the operator named is called as a destructive one.
	h.audit.Reset()
	res = h.call(t, "proxmox_api_call", `{"method":"POST","path":"/nodes/pve1/execute","params":{"commands":"[]"},"confirm":true}`)
	if !res.IsError || !strings.Contains(text(res), "destructive: true (missing)") || strings.Contains(text(res), "PROXMOX_API_ALLOW (not named)") {
		t.Errorf("allowed operator-only without destructive: %s", text(res))
	}
	res = h.call(t, "proxmox_api_call", `{"method":"POST","path":"/nodes/pve1/execute","params":{"commands":"[]"},"confirm":true,"destructive":true}`)
	if w := h.writes(); len(w) != 1 || w[0] != "POST /nodes/pve1/execute" {
		t.Errorf("allowed operator-only: writes %v, %s", w, text(res))
	}
	if recs := auditLines(); len(recs) != 2 || recs[0].Decision != gate.Refused || recs[1].Tier != "destructive" || recs[1].Operation != "POST /nodes/{node}/execute" {
		t.Errorf("audit %+v", recs)
	}
}

// TestReadOnlyServerHasNoGenericWrites: under PROXMOX_READ_ONLY=1 the server offers find, describe and get,
// and no proxmox_api_call.
func TestReadOnlyServerHasNoGenericWrites(t *testing.T) {
	var names []string
	for _, raw := range listTools(t, true, nil) {
		var tool mcp.Tool
		_ = json.Unmarshal(raw, &tool)
		if strings.HasPrefix(tool.Name, "proxmox_api_") {
			names = append(names, tool.Name)
		}
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"proxmox_api_describe", "proxmox_api_find", "proxmox_api_get"}, names); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestCheckAPIAllow(t *testing.T) {
	keys, err := CheckAPIAllow([]string{"POST /nodes/{node}/execute", " put  /access/acl ", "GET /nodes/{node}/qemu/{vmid}/agent/file-read"})
	if err != nil || !cmp.Equal(keys, []string{"POST /nodes/{node}/execute", "PUT /access/acl", "GET /nodes/{node}/qemu/{vmid}/agent/file-read"}) {
		t.Errorf("good entries: %v, %v", keys, err)
	}
	_, err = CheckAPIAllow([]string{"POST /nodes/pve1/execute", "GET /cluster/resources", "POST /nodes/{node}/qemu/{vmid}/agent/exec", "POST /nowhere", "nonsense"})
	for _, want := range []string{`write its template: "POST /nodes/{node}/execute"`, `"GET /cluster/resources", a read operation`,
		"never send", `names "POST /nowhere", which is no operation`, `names "nonsense"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// TestAPIDescribeEndsSentencesOnce: no sentence of any operation's description ends in a doubled stop (".."
// or "…."), whatever the schema's own text ends with or where it was cut.
func TestAPIDescribeEndsSentencesOnce(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	doubled := regexp.MustCompile(`(…|\.)\.(\n|$| )`)
	for _, op := range schema.Operations() {
		txt := text(h.call(t, "proxmox_api_describe", mustJSONArgs(t, map[string]any{"method": op.Method, "path": op.Path})))
		if m := doubled.FindStringIndex(txt); m != nil {
			t.Errorf("%s: %q", op.Key(), txt[max(0, m[0]-60):m[1]])
		}
	}
}
