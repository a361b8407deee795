package pve

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// BenchmarkClusterResources5000 lists every guest of a 16-node / 5,000-guest simulated cluster through the
// client: one GET /cluster/resources?type=vm over pinned TLS on loopback, decoded into []Resource.
// "simulated" includes the simulator's own work of answering (about 1.5 MB of JSON, in this process);
// "recorded" replays that answer from memory, so its allocations are the client's alone.
func BenchmarkClusterResources5000(b *testing.B) {
	srv := pvesim.Serve(pvesim.New(pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1})))
	defer srv.Close()
	fp, err := ParseFingerprint(srv.Fingerprint)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("simulated", func(b *testing.B) {
		srv.ResetLog()
		listAll(b, clientFor(b, srv.URL, fp))
		if n := len(srv.Requests()); n != b.N {
			b.Fatalf("%d requests for %d listings, want one each", n, b.N)
		}
	})

	body := recordResources(b, srv)
	var requests int
	rec := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++ // one connection, one request at a time
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as pveproxy and pvesim send it
		_, _ = w.Write(body)
	}))
	defer rec.Close()
	sum := sha256.Sum256(rec.Certificate().Raw)
	// What scrubbing the body where it arrives costs alone: one pass of the client's redactor over it.
	b.Run("scrub", func(b *testing.B) {
		c := clientFor(b, rec.URL, sum[:])
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if out := c.redactor.Bytes(body); len(out) != len(body) {
				b.Fatal("the simulated answer holds a secret")
			}
		}
	})
	// The guest index reads the same answer into the few fields resolution needs.
	b.Run("recorded-index", func(b *testing.B) {
		requests = 0
		b.SetBytes(int64(len(body)))
		c := clientFor(b, rec.URL, sum[:], WithGuestIndexTTL(0))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Locate(ctx, 4000, ""); err != nil {
				b.Fatal(err)
			}
		}
		if requests != b.N {
			b.Fatalf("%d requests for %d lookups, want one each", requests, b.N)
		}
	})
	b.Run("recorded", func(b *testing.B) {
		requests = 0
		b.SetBytes(int64(len(body)))
		listAll(b, clientFor(b, rec.URL, sum[:]))
		if requests != b.N {
			b.Fatalf("%d requests for %d listings, want one each", requests, b.N)
		}
	})
}

func clientFor(b *testing.B, base string, fp []byte, opts ...Option) *Client {
	u, err := ParseBaseURL(base)
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Config{BaseURL: u, TokenID: pvesim.DefaultTokenID, Secret: redact.NewSecret(pvesim.DefaultTokenSecret),
		Fingerprint: fp, Timeout: 30 * time.Second}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func listAll(b *testing.B, c *Client) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		guests, err := c.ClusterResources(ctx, "vm")
		if err != nil {
			b.Fatal(err)
		}
		if len(guests) != 5000 {
			b.Fatalf("%d guests, want 5000", len(guests))
		}
	}
}

// recordResources fetches the simulator's raw answer once.
func recordResources(b *testing.B, srv *pvesim.Server) []byte {
	req := httptest.NewRequest("GET", "/api2/json/cluster/resources?type=vm", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultTokenID+"="+pvesim.DefaultTokenSecret)
	w := httptest.NewRecorder()
	srv.Sim.ServeHTTP(w, req)
	body, err := io.ReadAll(w.Result().Body)
	if err != nil || w.Code != 200 {
		b.Fatalf("record: %d %v", w.Code, err)
	}
	return body
}
