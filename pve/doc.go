// Package pve is a client for the Proxmox VE REST API (/api2/json) that is hard to misuse.
//
// Every request path is built from validated, escaped parts (see [GuestRef] and the Valid* functions), the
// API token travels only in the Authorization header of requests to the configured host (redirects are never
// followed), TLS is verified by default and can be pinned to a certificate fingerprint, and Proxmox's error
// styles (reason phrases, 400 "errors" maps, 595/596 proxy failures) become typed errors that callers test with
// errors.Is against the Err* sentinels. Writes are described by a [Request] first, so a caller can show exactly
// what would be sent (dry run) before sending it. Only reads are ever retried.
//
// The package knows nothing of MCP; package pvesim provides an in-memory cluster to test it against.
package pve
