// Package pve is a client for the Proxmox VE REST API (/api2/json) that is hard to misuse.
//
// Every request path is built from validated, escaped parts (see [GuestRef] and the Valid* functions), the
// API token travels only in the Authorization header of requests to the configured host (redirects are never
// followed), TLS is verified by default and can be pinned to a certificate fingerprint, and Proxmox's error
// styles (reason phrases, 400 "errors" maps, 595/596 proxy failures) become typed errors that callers test with
// errors.Is against the Err* sentinels. Writes are described by a [Request] first, which only this package's
// builders can make, so a caller can show exactly what would be sent (dry run) before [Client.Submit] sends it.
// A call of any operation of the official API schema is described by [NewAPIRequest] from what package schema
// matched and validated, and sent by [Client.Read], [Client.Submit] or [Client.Write]. Only reads are ever
// retried.
//
// Everything the cluster sends is scrubbed of the token secret where it arrives, as bytes, before it is decoded:
// no caller ever holds a secret the cluster echoed back. Each typed read bounds its answer to what such an
// answer can hold, and a task log read keeps no more lines than it asked for.
//
// A vmid is resolved to its node and type by [Client.Locate] from a shared, short-lived index of the
// cluster's guests, or by asking the node the caller names; [Client.ReadGuest] reads one guest's status and
// configuration at once.
//
// The package knows nothing of MCP; package pvesim provides an in-memory cluster to test it against.
package pve
