package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteIsTheCommittedTable: what go generate writes is byte for byte the classes.txt in the repository,
// so running the generator on a clean tree changes nothing.
func TestWriteIsTheCommittedTable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "classes.txt")
	if err := write(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../classes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("the generator's table differs from classes.txt (-committed +written):\n%s", diff)
	}
	if !strings.Contains(string(got), "DELETE /nodes/{node}/qemu/{vmid}") {
		t.Error("the table does not name the VM destroy operation")
	}
}

// TestWriteReportsAFailedWrite: a file that cannot be written is an error, not a silent success.
func TestWriteReportsAFailedWrite(t *testing.T) {
	if err := write(filepath.Join(t.TempDir(), "missing-dir", "classes.txt")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}
