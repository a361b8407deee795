package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schemaPath is apidata.json as CI lays it out: /work/shared beside the repository, seen from this directory
// (pve/pvesim/internal/schemagen) four levels up.
var schemaPath = filepath.Join("..", "..", "..", "..", "..", "shared", "pve-api", "apidata.json")

// TestCheckedInTablesAreCurrent fails when schema_gen.go differs from what the generator makes today: regenerate
// with `go generate ./pve/pvesim` after changing the generator or the schema.
func TestCheckedInTablesAreCurrent(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("schema %s is not here (CI keeps /work/shared beside the repo); cannot check schema_gen.go", schemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "schema_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
		t.Errorf("schema_gen.go is stale; run go generate ./pve/pvesim (-generated +checked in):\n%s", diff)
	}
}

func TestNumberedCount(t *testing.T) {
	tests := []struct {
		kind, base, description string
		want                    int
	}{
		{"qemu", "scsi", "Use volume as SCSI hard disk or CD-ROM (n is 0 to 30).", 31},
		{"qemu", "usb", "Configure an USB device (n is 0 to 4, for machine version >= 7.1 and ostype l26 or windows > 7, n can be up to 14).", 14},
		{"qemu", "net", "Specify network devices.", 32},
		{"lxc", "mp", "Use volume as container mount point.", 256},
		{"lxc", "bogus", "No count here.", 0},
	}
	for _, tt := range tests {
		if got := numberedCount(tt.kind, tt.base, tt.description); got != tt.want {
			t.Errorf("numberedCount(%s, %s) = %d, want %d", tt.kind, tt.base, got, tt.want)
		}
	}
}

func TestGenerateRejectsUnknownEndpoint(t *testing.T) {
	saved, savedGuest := Endpoints, guestEndpoints
	defer func() { Endpoints, guestEndpoints = saved, savedGuest }()
	Endpoints, guestEndpoints = []string{"GET /no/such/path"}, nil
	_, err := Generate([]byte(`[{"path":"/version","info":{"GET":{}}}]`))
	if err == nil || !strings.Contains(err.Error(), "/no/such/path") {
		t.Errorf("Generate with an unknown path: err = %v, want one naming the path", err)
	}
}
