// Package startheap keeps the heap small while the process starts, and nothing else.
//
// Start-up allocates a few megabytes that are garbage a moment later (most of it mcp-go's JSON Schema
// dependency compiling its meta-schemas in a package init). With the collector's default target the heap grows
// to 4 MB before the first collection, and those pages stay resident for the life of a server that then needs
// about 1 MB. Collecting more often until the server is built keeps the peak, and so the resident set, lower.
//
// The Go specification initializes packages in import-path order once their imports are initialized; this
// package imports only runtime/debug and sorts before github.com/santhosh-tekuri/…, so its init runs before
// that dependency's.
package startheap

import "runtime/debug"

// startPercent is the collector's target while starting: a collection when the heap has grown by a quarter.
const startPercent = 50

func init() { debug.SetGCPercent(startPercent) }

// Done restores the collector's default target; call it once the server is built.
func Done() { debug.SetGCPercent(100) }
