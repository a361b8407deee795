package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"
)

var (
	opWrite       = &Operation{Key: "PUT /cluster/firewall/options", Class: "write", Tier: Write}
	opDestructive = &Operation{Key: "DELETE /cluster/firewall/rules/{pos}", Class: "destructive", Tier: Destructive}
	opOperator    = &Operation{Key: "POST /nodes/{node}/execute", Class: "operator-only", Tier: Destructive, OperatorOnly: true}
	opAllowed     = &Operation{Key: "PUT /access/acl", Class: "operator-only", Tier: Destructive, OperatorOnly: true}
	opNever       = &Operation{Key: "POST /nodes/{node}/qemu/{vmid}/agent/exec", Class: "operator-only", Tier: Destructive, OperatorOnly: true, Never: "it gets a typed tool"}
	opRead        = &Operation{Key: "GET /cluster/resources", Class: "read", Tier: Read}
	opSecretRead  = &Operation{Key: "GET /nodes/{node}/qemu/{vmid}/agent/file-read", Class: "operator-only", Tier: Read, OperatorOnly: true}
	opAllowedRead = &Operation{Key: "GET /nodes/{node}/qemu/{vmid}/agent/get-fsinfo", Class: "operator-only", Tier: Read, OperatorOnly: true}
)

// TestGenericCallsAreJudgedByTheirOperation: a generic tool registered at its worst case (destructive, as its
// annotations say) asks each call for what the call's operation needs: confirm for a write, everything for a
// destructive one, and the operator's allow-list too for an operator-only one; guest-agent exec never passes.
// Every refusal comes before the handler runs, names every missing condition, and is audited with the
// operation.
func TestGenericCallsAreJudgedByTheirOperation(t *testing.T) {
	tests := []struct {
		name        string
		op          *Operation
		args        string
		destructive bool
		wantTier    Tier   // the permit's tier; 0 when refused
		wantDry     bool   // a dry run
		missing     string // the audit record's missing conditions, joined with "|"
		text        []string
	}{
		{"write unconfirmed", opWrite, `{}`, true, 0, false, "confirm: true (missing)",
			[]string{"PUT /cluster/firewall/options is a write operation", "sends it only with confirm: true (missing).", "dry_run: true"}},
		{"write confirmed: no destructive needed", opWrite, `{"confirm":true}`, false, Write, false, "", nil},
		{"write dry run", opWrite, `{"dry_run":true}`, false, Write, true, "confirm: true (missing)", nil},
		{"destructive confirmed only", opDestructive, `{"confirm":true}`, false, 0, false,
			"destructive: true (missing)|the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)",
			[]string{"is a destructive operation", "operator's decisions", "set PROXMOX_ENABLE_DESTRUCTIVE=1 for this server"}},
		{"destructive with everything", opDestructive, `{"confirm":true,"destructive":true}`, true, Destructive, false, "", nil},
		{"operator-only not allowed, everything else given", opOperator, `{"confirm":true,"destructive":true}`, true, 0, false,
			`the operator naming "POST /nodes/{node}/execute" in PROXMOX_API_ALLOW (not named)`,
			[]string{"is an operator-only operation (destructive once allowed)", `add "POST /nodes/{node}/execute" to PROXMOX_API_ALLOW for this server`}},
		{"operator-only not allowed, nothing given", opOperator, `{}`, false, 0, false,
			`confirm: true (missing)|destructive: true (missing)|the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)|the operator naming "POST /nodes/{node}/execute" in PROXMOX_API_ALLOW (not named)`,
			[]string{`set PROXMOX_ENABLE_DESTRUCTIVE=1 and add "POST /nodes/{node}/execute" to PROXMOX_API_ALLOW`}},
		{"operator-only dry run says what the real call lacks", opOperator, `{"dry_run":true}`, true, Destructive, true,
			`confirm: true (missing)|destructive: true (missing)|the operator naming "POST /nodes/{node}/execute" in PROXMOX_API_ALLOW (not named)`, nil},
		{"operator-only allowed is destructive", opAllowed, `{"confirm":true}`, true, 0, false, "destructive: true (missing)", nil},
		{"operator-only allowed with everything", opAllowed, `{"confirm":true,"destructive":true}`, true, Destructive, false, "", nil},
		{"guest-agent exec, never", opNever, `{"confirm":true,"destructive":true}`, true, 0, false,
			"POST /nodes/{node}/qemu/{vmid}/agent/exec is never sent by api, whatever PROXMOX_API_ALLOW says: it gets a typed tool",
			[]string{"Refused, nothing was sent to Proxmox", "never sent"}},
		{"guest-agent exec, not even a dry run", opNever, `{"dry_run":true}`, true, 0, false,
			"POST /nodes/{node}/qemu/{vmid}/agent/exec is never sent by api, whatever PROXMOX_API_ALLOW says: it gets a typed tool", nil},
		{"a read operation on a writing tool is still confirmed", opRead, `{}`, true, 0, false, "confirm: true (missing)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var file bytes.Buffer
			p := NewPolicy(tc.destructive, NewAuditor(zerolog.Nop(), &file, nil), WithAPIAllow([]string{opAllowed.Key, opNever.Key}))
			if _, err := p.Register(schemaTool("api", "confirm", "dry_run", "destructive"), Destructive); err != nil {
				t.Fatal(err)
			}
			var got Permit
			called := false
			res := p.Check(context.Background(), Call{Tool: "api", Args: parse(t, tc.args), Op: tc.op}, func(ctx context.Context, pm Permit) (*mcp.CallToolResult, Outcome) {
				called, got = true, pm
				return mcp.NewToolResultText("done"), Outcome{Decision: Sent}
			})
			text := res.Content[0].(mcp.TextContent).Text
			if called != (tc.wantTier != 0) || res.IsError != (tc.wantTier == 0) {
				t.Fatalf("handler called %v, result %v %q", called, res.IsError, text)
			}
			if called && (got.Tier != tc.wantTier || got.DryRun != tc.wantDry || got.Op != tc.op) {
				t.Errorf("permit %+v, want tier %s, dry run %v", got, tc.wantTier, tc.wantDry)
			}
			for _, w := range tc.text {
				if !strings.Contains(text, w) {
					t.Errorf("%q does not say %q", text, w)
				}
			}
			var r Record
			if err := json.Unmarshal(file.Bytes(), &r); err != nil {
				t.Fatalf("audit %q: %v", file.String(), err)
			}
			if r.Operation != tc.op.Key || strings.Join(r.Missing, "|") != tc.missing {
				t.Errorf("audit record: operation %q, missing %q; want %q", r.Operation, strings.Join(r.Missing, "|"), tc.missing)
			}
			if called && r.Tier != tc.wantTier.String() {
				t.Errorf("audit tier %s, want %s", r.Tier, tc.wantTier)
			}
		})
	}
}

// TestGenericReads: a read tool reaches a read operation at once, an operator-only GET only when the operator
// allowed it, never an operation beyond reading; reads leave no audit record, refused or not.
func TestGenericReads(t *testing.T) {
	var file bytes.Buffer
	p := NewPolicy(true, NewAuditor(zerolog.Nop(), &file, nil), WithAPIAllow([]string{opAllowedRead.Key}))
	if _, err := p.Register(schemaTool("get"), Read); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op     *Operation
		called bool
		text   string
	}{
		{opRead, true, "done"},
		{opAllowedRead, true, "done"},
		{opSecretRead, false, `GET /nodes/{node}/qemu/{vmid}/agent/file-read is an operator-only operation; get sends it only with the operator naming "GET /nodes/{node}/qemu/{vmid}/agent/file-read" in PROXMOX_API_ALLOW (not named).`},
		{opWrite, false, "beyond what get is registered for (read)"},
		{opNever, false, "never sent by get"},
	} {
		called := false
		res := p.Check(context.Background(), Call{Tool: "get", Args: parse(t, `{"confirm":true,"destructive":true}`), Op: tc.op}, func(ctx context.Context, pm Permit) (*mcp.CallToolResult, Outcome) {
			called = true
			if pm.Tier != Read || pm.Op != tc.op {
				t.Errorf("%s: permit %+v", tc.op.Key, pm)
			}
			return mcp.NewToolResultText("done"), Outcome{}
		})
		text := res.Content[0].(mcp.TextContent).Text
		if called != tc.called || res.IsError == tc.called || !strings.Contains(text, tc.text) {
			t.Errorf("%s: called %v, %v %q; want called %v, %q", tc.op.Key, called, res.IsError, text, tc.called, tc.text)
		}
		if strings.Contains(text, "dry_run") {
			t.Errorf("%s: a read's refusal offers a dry run: %q", tc.op.Key, text)
		}
	}
	if file.Len() != 0 {
		t.Errorf("reads were audited: %s", file.String())
	}
}

func TestOperationDryRunNote(t *testing.T) {
	tests := []struct {
		op     *Operation
		permit Permit
		want   []string
	}{
		{opWrite, Permit{Tier: Write, DryRun: true}, []string{"would be allowed", "a write operation needs"}},
		{opOperator, Permit{Tier: Destructive, DryRun: true, NeedsOperator: true,
			Unmet: []string{"confirm: true (missing)", `the operator naming "POST /nodes/{node}/execute" in PROXMOX_API_ALLOW (not named)`}},
			[]string{"would be refused as it stands: POST /nodes/{node}/execute is an operator-only operation", "confirm: true (missing) and the operator naming", `add "POST /nodes/{node}/execute" to PROXMOX_API_ALLOW for this server`}},
	}
	for _, tc := range tests {
		tc.permit.Op = tc.op
		got := DryRunNote("api", tc.permit.Tier, tc.permit)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: note %q does not say %q", tc.op.Key, got, w)
			}
		}
	}
}

func TestWithAPIAllow(t *testing.T) {
	p := NewPolicy(false, nil, WithAPIAllow([]string{"PUT /access/acl", "POST /nodes/{node}/execute"}))
	got := map[string]bool{}
	for _, k := range []string{"PUT /access/acl", "POST /nodes/{node}/execute", "put /access/acl", "GET /access/acl"} {
		got[k] = p.Allowed(k)
	}
	want := map[string]bool{"PUT /access/acl": true, "POST /nodes/{node}/execute": true, "put /access/acl": false, "GET /access/acl": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if NewPolicy(false, nil).Allowed("PUT /access/acl") {
		t.Error("an empty allow-list allows")
	}
}
