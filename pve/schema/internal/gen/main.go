// Command gen compiles the official Proxmox VE API schema (apidata.json from pve-docs) into the compact table
// that package schema embeds (operations.bin), so the program carries every operation without parsing 1.2 MB
// of JSON: the table is read lazily, on first use, from read-only data.
//
// Usage, from pve/schema (go generate does this):
//
//	go run ./internal/gen -in ../../../shared/pve-api/apidata.json -out operations.bin
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	in := flag.String("in", "../../../shared/pve-api/apidata.json", "apidata.json, the schema the PVE API viewer publishes")
	out := flag.String("out", "operations.bin", "table to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	table, err := Generate(data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, table, 0o644); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// Generate turns apidata.json into the table.
func Generate(apidata []byte) ([]byte, error) {
	ops, err := buildOps(apidata)
	if err != nil {
		return nil, err
	}
	return encode(ops)
}
