package pvesim

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// resourcesBody serves GET /cluster/resources?type=vm from a fresh Sim over c.
func resourcesBody(t testing.TB, c *Cluster) []byte {
	s := New(c, WithClock(func() time.Time { return testStart }))
	req := httptest.NewRequest("GET", "/api2/json/cluster/resources?type=vm", nil)
	req.Header.Set("Authorization", adminAuth)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("resources: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := resourcesBody(t, Generate(GenSpec{Nodes: 4, Guests: 300, Seed: 7}))
	b := resourcesBody(t, Generate(GenSpec{Nodes: 4, Guests: 300, Seed: 7}))
	c := resourcesBody(t, Generate(GenSpec{Nodes: 4, Guests: 300, Seed: 8}))
	if !bytes.Equal(a, b) {
		t.Error("the same spec generated different clusters")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds generated the same cluster")
	}
}

func TestGenerateShape(t *testing.T) {
	c := Generate(GenSpec{Nodes: 16, Guests: 5000, Seed: 1})
	if got := c.NodeNames(); len(got) != 16 || got[0] != "node01" || got[15] != "node16" {
		t.Errorf("nodes %v", got)
	}
	ids := c.VMIDs()
	if len(ids) != 5000 || ids[0] != 100 || ids[4999] != 5099 {
		t.Fatalf("%d vmids from %d to %d", len(ids), ids[0], ids[len(ids)-1])
	}
	s := New(c, WithClock(func() time.Time { return testStart }))
	var qemu, running, templates, tagged, pooled int
	perNode := map[string]int{}
	for _, id := range ids {
		g, _ := s.Guest(id)
		perNode[g.Node]++
		if g.Type == "qemu" {
			qemu++
		}
		if g.Status == "running" {
			running++
		}
		if g.Template {
			templates++
		}
		if g.Tags != "" {
			tagged++
		}
		if g.Pool != "" {
			pooled++
		}
	}
	pct := func(n int) int { return n * 100 / len(ids) }
	checks := []struct {
		what     string
		got      int
		min, max int
	}{
		{"% qemu", pct(qemu), 65, 75},
		{"% running", pct(running), 52, 64},
		{"% templates", pct(templates), 1, 4},
		{"% tagged", pct(tagged), 40, 90},
		{"% in a pool", pct(pooled), 20, 40},
		{"nodes with guests", len(perNode), 16, 16},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %d, want %d…%d", c.what, c.got, c.min, c.max)
		}
	}
	for _, ts := range s.Tasks() {
		if ts.Status != "stopped" || ts.ExitStatus != "OK" {
			t.Errorf("generated history task %s: %s %s", ts.UPID, ts.Status, ts.ExitStatus)
		}
	}
}

func TestGenerateSmallSpecs(t *testing.T) {
	for _, spec := range []GenSpec{{}, {Nodes: 1}, {Nodes: 0, Guests: 3}} {
		c := Generate(spec)
		if len(c.NodeNames()) < 1 || len(c.VMIDs()) != spec.Guests {
			t.Errorf("%+v: %d nodes, %d guests", spec, len(c.NodeNames()), len(c.VMIDs()))
		}
		_ = resourcesBody(t, c)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(GenSpec{Nodes: 16, Guests: 5000, Seed: 1})
	}
}

// BenchmarkNew is what a test pays to get a Sim for the large cluster (a deep copy and the history replay).
func BenchmarkNew(b *testing.B) {
	c := Generate(GenSpec{Nodes: 16, Guests: 5000, Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		New(c)
	}
}

func BenchmarkClusterResourcesVM(b *testing.B) {
	s := New(Generate(GenSpec{Nodes: 16, Guests: 5000, Seed: 1}), WithClock(func() time.Time { return testStart }))
	req := httptest.NewRequest("GET", "/api2/json/cluster/resources?type=vm", nil)
	req.Header.Set("Authorization", adminAuth)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/answer")
}

// BenchmarkClusterResourcesTLS is the same request through the TLS server, as a client sees it.
func BenchmarkClusterResourcesTLS(b *testing.B) {
	srv := Serve(New(Generate(GenSpec{Nodes: 16, Guests: 5000, Seed: 1})))
	defer srv.Close()
	client := srv.ts.Client()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", srv.URL+"/api2/json/cluster/resources?type=vm", nil)
		req.Header.Set("Authorization", adminAuth)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

func ExampleServe() {
	srv := Serve(New(Default()))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api2/json/cluster/nextid", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+DefaultTokenID+"="+DefaultTokenSecret)
	resp, err := srv.ts.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	fmt.Println(resp.Status, buf.String())
	// Output: 200 OK {"data":"107"}
}
