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
// embedded as a string: read-only data that the garbage collector never scans and the kernel pages in only
// when read. Nothing runs at start-up (no regular expression is compiled, no map is built). The first call
// that needs the table indexes it (about 0.5 ms, 250 KB: the string offsets, each record's offset, the path
// tree); an operation's parameters, permissions and returns are decoded when one asks for that operation,
// and all of them (about 1 ms, 1.6 MB) only for Operations, Find or the class table.
package schema
