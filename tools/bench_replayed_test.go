package tools

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// BenchmarkListAllClustersReplayed is BenchmarkListAllClusters with each cluster's answer rendered once, before
// the timer, and replayed by a plain TLS server after the same delay: what a real fleet does on its own CPUs (build
// 1.5 MB of JSON for 5,000 guests) no longer competes with this process for the same two cores, so the ratio is
// the cost of our client merging eight answers at once against that of one.
func BenchmarkListAllClustersReplayed(b *testing.B) {
	for _, latency := range []time.Duration{0, 200 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency-%s", latency), func(b *testing.B) {
			r := redact.New()
			names := []string{"home", "lab", "prod", "edge", "dr", "test", "branch", "lab2"}
			var targets []Target
			counts := make([]*atomic.Int64, len(names))
			for i, name := range names {
				body := renderResources(b, pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: int64(i + 1)}))
				n := new(atomic.Int64)
				counts[i] = n
				rec := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					if req.URL.Path != "/api2/json/cluster/resources" {
						http.Error(w, `{"data":null}`, http.StatusNotImplemented)
						return
					}
					n.Add(1)
					time.Sleep(latency)
					w.Header().Set("Content-Type", "application/json;charset=UTF-8")
					w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as pveproxy and pvesim send it
					_, _ = w.Write(body)
				}))
				b.Cleanup(rec.Close)
				u, err := pve.ParseBaseURL(rec.URL)
				if err != nil {
					b.Fatal(err)
				}
				sum := sha256.Sum256(rec.Certificate().Raw)
				c, err := pve.New(pve.Config{BaseURL: u, TokenID: "mcp@pve!" + name, Secret: redact.NewSecret(fmt.Sprintf("%08d-0000-4b8e-9a51-6c1f0b2d9e47", i+1)),
					Fingerprint: sum[:], Timeout: time.Minute}, pve.WithRedactor(r), pve.WithRetries(0, 0))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(c.Close)
				targets = append(targets, Target{Name: name, Client: c})
			}
			srv, err := NewServer(Options{Targets: targets, DefaultTarget: "home", Redactor: r, Log: zerolog.Nop(),
				Policy: gate.NewPolicy(false, gate.NewAuditor(zerolog.Nop(), nil, r.String))})
			if err != nil {
				b.Fatal(err)
			}
			mc := connect(b, srv, nil, "", "bench")
			timeAllAgainstEach(b, names, func() {
				for _, n := range counts {
					n.Store(0)
				}
			}, func(cluster string) (*mcp.CallToolResult, error) {
				return mc.CallTool(context.Background(), mcpCallRequest("proxmox_list_vms", `{"cluster":"`+cluster+`"}`))
			})
			for i, n := range counts {
				if got := n.Load(); got != int64(b.N) {
					b.Errorf("cluster %s got %d requests for %d calls", names[i], got, b.N)
				}
			}
		})
	}
}

// renderResources is a simulated cluster's answer to GET /cluster/resources?type=vm, as the bytes it sends.
func renderResources(b *testing.B, cluster *pvesim.Cluster) []byte {
	b.Helper()
	sim := pvesim.Serve(pvesim.New(cluster))
	defer sim.Close()
	req, err := http.NewRequest("GET", sim.URL+"/api2/json/cluster/resources?type=vm", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultTokenID+"="+pvesim.DefaultTokenSecret)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(sim.CertPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(body) < 1<<20 {
		b.Fatalf("recording: %v, status %d, %d bytes", err, resp.StatusCode, len(body))
	}
	return body
}
