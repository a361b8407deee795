package pve

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// TestAnswersOutliveTheirBuffer: answers are read into buffers that the next answers reuse, so whatever a
// listing returned must be its own copy. Listings with different names, read one after another and at once
// (with and without a Content-Length), must each still hold their own names when all are done.
func TestAnswersOutliveTheirBuffer(t *testing.T) {
	var mu sync.Mutex
	round := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		round++
		n := round
		mu.Unlock()
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i := 0; i < 300; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":"qemu/%d","type":"qemu","vmid":%d,"node":"pve%d","name":"round%d-guest%d","status":"running","tags":"t%d"}`, 100+i, 100+i, n, n, i, n)
		}
		b.WriteString(`]}`)
		if n%2 == 0 {
			w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write([]byte(b.String()))
	}))
	defer srv.Close()
	sum := sha256.Sum256(srv.Certificate().Raw)
	u, err := ParseBaseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{BaseURL: u, TokenID: pvesim.DefaultTokenID, Secret: redact.NewSecret(pvesim.DefaultTokenSecret), Fingerprint: sum[:], Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const lists = 12
	got := make([][]Resource, lists)
	var wg sync.WaitGroup
	for i := range lists {
		if i < lists/2 {
			got[i], err = c.ClusterResources(context.Background(), ResourceVM)
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.ClusterResources(context.Background(), ResourceVM)
			if err != nil {
				t.Error(err)
			}
			got[i] = l
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, l := range got {
		if len(l) != 300 {
			t.Fatalf("listing %d has %d guests", i, len(l))
		}
		round := strings.TrimPrefix(strings.Split(l[0].Name, "-")[0], "round")
		seen[round] = true
		for j, r := range l {
			want := Resource{ID: fmt.Sprintf("qemu/%d", 100+j), Type: "qemu", VMID: Int(100 + j), Node: "pve" + round, Name: fmt.Sprintf("round%s-guest%d", round, j), Status: "running", Tags: "t" + round}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Fatalf("listing %d, guest %d changed after later answers were read (-want +got):\n%s", i, j, diff)
			}
		}
	}
	if len(seen) != lists {
		t.Errorf("%d distinct listings, want %d", len(seen), lists)
	}
}
