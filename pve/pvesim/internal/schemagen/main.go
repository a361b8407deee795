// Command schemagen writes pvesim's parameter tables (schema_gen.go) from the official Proxmox VE API schema,
// so the simulator validates parameters exactly as the schema states them instead of as someone remembered.
//
// Usage, from the package directory (go generate does this):
//
//	go run ./internal/schemagen -in ../../../shared/pve-api/apidata.json -out schema_gen.go
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	in := flag.String("in", "../../../shared/pve-api/apidata.json", "apidata.json, the schema the PVE API viewer publishes")
	out := flag.String("out", "schema_gen.go", "Go file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	src, err := Generate(data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	return nil
}
