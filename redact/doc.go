// Package redact is the one place that knows the secrets: it scrubs them from every string that leaves
// the process (tool results, errors, logs), together with any Proxmox API token header value, registered
// or not.
//
// Matching is linear in the input: two Aho-Corasick automata (the secrets' text forms, folded; their base64
// cores, exact) scan the text as it is and, when it holds '%' or '\', percent- and backslash-decoded views
// of it. Text with no match is returned as is, without allocating.
package redact
