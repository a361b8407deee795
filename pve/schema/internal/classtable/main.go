// Command classtable writes classes.txt, the class of every API operation, from package schema; go generate
// runs it after the table is rebuilt so that any change of a class shows up in review.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func main() {
	out := flag.String("out", "classes.txt", "file to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "classtable:", err)
		os.Exit(1)
	}
}

// write writes the class table to the file at path.
func write(path string) error {
	var b bytes.Buffer
	if err := schema.WriteClassTable(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
