package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// leaks reports where in v (a decoded answer or an error chain) the token secret, or a prefix of it long enough
// to survive a cap, shows.
func leaks(v any) []string {
	probes := []string{testSecret, testSecret[:8], strings.ToUpper(testSecret[:8])}
	var texts []string
	if err, ok := v.(error); ok {
		for e := err; e != nil; e = errors.Unwrap(e) {
			texts = append(texts, fmt.Sprintf("%T %s", e, e.Error()))
			if te, ok := e.(*TransportError); ok {
				texts = append(texts, "Detail "+te.Detail)
			}
		}
	} else {
		texts = append(texts, fmt.Sprintf("%+v", v))
	}
	var out []string
	for _, t := range texts {
		for _, p := range probes {
			if strings.Contains(t, p) {
				out = append(out, fmt.Sprintf("%q holds %q", t, p))
			}
		}
	}
	return out
}

// jsonEscaped writes every character of s as a \u escape, as a JSON encoder may.
func jsonEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// TestClusterTextIsScrubbedAtTheSource: a server that echoes the token secret in every place Proxmox puts text
// (reason phrase, message, errors map, a guest's name and notes, a task log line, a redirect's target, a
// malformed status line, a write's answer) never gets it past the client: neither decoded data nor any error
// in the chain holds the secret or a prefix of it that a later cap could keep. Each case fails when the
// client stops scrubbing that part where it arrives.
func TestClusterTextIsScrubbedAtTheSource(t *testing.T) {
	ctx := context.Background()
	vm := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	upid, err := ParseUPID(testUPID)
	if err != nil {
		t.Fatal(err)
	}
	// The secret starts early in the text, so a cap of 64 runes after the fact would keep a prefix of it.
	s := testSecret
	tests := []struct {
		name   string
		answer answer
		call   func(c *Client) (any, error)
	}{
		{"reason phrase", answer{status: 500, reason: "VM " + s + " not running"},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"message", answer{status: 500, reason: "x", body: `{"data":null,"message":"unable to parse ` + s + `\n"}`},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"errors map", answer{status: 400, reason: "Parameter verification failed.", body: `{"data":null,"errors":{"` + s + `":"value ` + s + ` is invalid\n"}}`},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"errors map not an object", answer{status: 400, reason: "Parameter verification failed.", body: `{"data":null,"errors":["` + s + `"]}`},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"redirect target", answer{status: 302, reason: "Found", header: map[string]string{"Location": "https://evil.example/?t=" + s}},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"malformed status line", answer{statusLine: "HTTP/1.1 " + s + " OK"},
			func(c *Client) (any, error) { return c.Version(ctx) }},
		{"guest name", answer{status: 200, body: `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"` + s + `-web","status":"running"}]}`},
			func(c *Client) (any, error) { return c.ClusterResources(ctx, ResourceVM) }},
		{"guest name, JSON-escaped", answer{status: 200, body: `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"` + jsonEscaped(s) + `","status":"running"}]}`},
			func(c *Client) (any, error) { return c.ClusterResources(ctx, ResourceVM) }},
		{"guest notes", answer{status: 200, body: `{"data":{"name":"web","description":"root password ` + s + `\n"}}`},
			func(c *Client) (any, error) { return c.GuestConfig(ctx, vm) }},
		{"task log line", answer{status: 200, body: `{"data":[{"n":1,"t":"` + s + ` leaked by a hook script"}],"total":1}`},
			func(c *Client) (any, error) {
				lines, _, err := c.TaskLog(ctx, upid, 0, 10)
				return lines, err
			}},
		{"task exit status", answer{status: 200, body: `{"data":{"status":"stopped","exitstatus":"` + s + `","upid":"` + testUPID + `"}}`},
			func(c *Client) (any, error) { return c.TaskStatus(ctx, upid) }},
		{"write answered with text", answer{status: 200, body: `{"data":"` + s + `"}`},
			func(c *Client) (any, error) {
				req, err := PowerRequest(vm, ActionStart, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				return c.Submit(ctx, req)
			}},
		{"wrong shape", answer{status: 200, body: `{"data":{"template":"` + s + `"}}`},
			func(c *Client) (any, error) { return c.GuestStatus(ctx, vm) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rec, _ := newTestServer(t, func(*http.Request) answer { return tc.answer }, WithRetries(0, 0))
			got, err := tc.call(c)
			if len(rec.all()) == 0 {
				t.Fatal("nothing reached the server")
			}
			for _, l := range append(leaks(got), leaks(err)...) {
				t.Error(l)
			}
		})
	}
}
