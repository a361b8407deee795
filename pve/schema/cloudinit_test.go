package schema

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCloudInitLineBreaks: a VM's cloud-init text that holds a line break PyYAML sees is refused before it is
// sent (it would end the setting in the guest's user-data and start another, e.g. runcmd), whatever the
// operation that sets it; the \n between ssh keys, one-line values and other parameters pass.
func TestCloudInitLineBreaks(t *testing.T) {
	const vm = "/nodes/pve1/qemu/100"
	key := "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD%2B5x7U9K%2BMINP32BTBaoI2h%2BwENaXF%20ops"
	tests := []struct {
		name, method, path string
		args               map[string]any
		refused            []string // the parameters refused
	}{
		{"ciuser with \\r", "PUT", vm + "/config", map[string]any{"ciuser": "ops\rruncmd: [[sh, -c, id]]"}, []string{"ciuser"}},
		{"ciuser with U+2028", "POST", vm + "/config", map[string]any{"ciuser": "ops\u2028runcmd: [id]"}, []string{"ciuser"}},
		{"ciuser with \\n", "PUT", vm + "/config", map[string]any{"ciuser": "ops\nruncmd: [id]"}, []string{"ciuser"}},
		{"cipassword with U+0085", "PUT", vm + "/config", map[string]any{"cipassword": "$6$salt$hash\u0085runcmd: [id]"}, []string{"cipassword"}},
		{"searchdomain with U+2029", "PUT", vm + "/config", map[string]any{"searchdomain": "example.com\u2029x: y"}, []string{"searchdomain"}},
		{"sshkeys with an encoded \\r", "PUT", vm + "/config", map[string]any{"sshkeys": key + "%0Druncmd%3A%20%5Bid%5D"}, []string{"sshkeys"}},
		{"sshkeys with an encoded U+2028", "PUT", vm + "/config", map[string]any{"sshkeys": key + "%E2%80%A8runcmd%3A%20%5Bid%5D"}, []string{"sshkeys"}},
		{"a new VM's ciuser", "POST", "/nodes/pve1/qemu", map[string]any{"vmid": 150, "ciuser": "ops\rx: y"}, []string{"ciuser"}},
		{"two of them", "PUT", vm + "/config", map[string]any{"ciuser": "a\rb", "cipassword": "c\u2028d"}, []string{"cipassword", "ciuser"}},
		{"two ssh keys", "PUT", vm + "/config", map[string]any{"sshkeys": key + "%0A" + key + "%0A"}, nil},
		{"one-line values", "PUT", vm + "/config", map[string]any{"ciuser": "ops", "cipassword": "s3cret pass", "searchdomain": "example.com lab.example.com"}, nil},
		{"a description is no cloud-init text", "PUT", vm + "/config", map[string]any{"description": "line one\r\nline two"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(tt.method, tt.path, tt.args)
			var refused []string
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					refused = append(refused, p.Param)
				}
			} else if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if diff := cmp.Diff(tt.refused, refused); diff != "" {
				t.Errorf("refused parameters (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}
