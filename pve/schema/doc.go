// Package schema is the Proxmox VE API as its official schema states it (apidata.json of pve-docs, PVE
// 9.1.3): all 649 operations with their parameters, permissions and return shapes, a class for each (read,
// write, destructive, operator-only), a matcher from concrete paths to operations, one parameter validator for
// everything that sends or serves a request, and a word search over the operations.
//
// It knows nothing of MCP or of HTTP clients. The typed tools, the generic API tools and the simulated
// cluster (pve/pvesim) all validate through Operation.Validate or Operation.CheckRaw, so there is one set of
// rules, driven by the schema.
//
// Cost: the table is compiled at build time (go generate, internal/gen) into operations.bin, about 290 KB,
// embedded as a string. Nothing is decoded at start-up: the first call that needs the table decodes it once
// (sync.OnceValue), in about a millisecond, into about 1 MB of heap. Until then the embedded bytes are
// read-only data that the kernel does not even page in, and the garbage collector never scans them.
package schema
