package tools

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequestValue: a dry run shows a value as it is when nothing in it would be dropped or folded, and
// otherwise quoted with those characters spelled out, so that what it shows is what would be sent.
func TestRequestValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"scsi0", "scsi0"},
		{"web server", "web server"},
		{"été 界", "été 界"},
		{"net0\x00scsi1", `"net0\x00scsi1"`},
		{"two\nlines", `"two\nlines"`},
		{"a\tb", `"a\tb"`},
		{"a  b", `"a  b"`},
		{" lead", `" lead"`},
		{"x\u202ey", `"x\u202ey"`},
		{"\x1b[2J", `"\x1b[2J"`},
		{"say \"hi\"\n", `"say \"hi\"\n"`},
		{`"net0\x00scsi1"`, `"\"net0\\x00scsi1\""`},
		{`C:\tools`, `"C:\\tools"`},
		{`say "hi"`, `say "hi"`},
		{strings.Repeat("a", 300), strings.Repeat("a", maxValue) + "…"},
		{"\n" + strings.Repeat("a", 300), `"\n` + strings.Repeat("a", maxValue-2) + `…"`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, requestValue(tt.in)); diff != "" {
			t.Errorf("requestValue(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestDryRunShowsWhatIsSent: a generic call's dry run spells out a NUL that separates the names of delete
// (PVE splits the list on it) rather than joining them into one name.
func TestDryRunShowsWhatIsSent(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_api_call", `{"method":"PUT","path":"/nodes/pve3/qemu/104/config","params":{"delete":"net0\u0000scsi1"},"dry_run":true}`)
	var v callView
	structured(t, res, &v)
	if got, want := text(res), `with delete="net0\x00scsi1".`; !strings.Contains(got, want) {
		t.Errorf("dry run does not say %q:\n%s", want, got)
	}
	if diff := cmp.Diff(map[string]any{"delete": `"net0\x00scsi1"`}, v.Request.Params); diff != "" {
		t.Errorf("structured request (-want +got):\n%s", diff)
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("a dry run wrote %v", w)
	}
}
