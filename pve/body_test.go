package pve

import (
	"context"
	"crypto/sha256"
	"errors"
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

// TestEveryKindOfAnswerIsCopied: each way an answer is decoded (the generic read's raw JSON, a configuration's
// mixed values, a task log, a list that takes the slow decoder, a refusal's parameter errors) returns values
// of its own. A released buffer is zeroed, so a value still pointing into it would read zeros here.
func TestEveryKindOfAnswerIsCopied(t *testing.T) {
	c, _, _ := newTestServer(t, func(r *http.Request) answer {
		switch r.URL.Path {
		case "/api2/json/cluster/firewall/rules":
			return ok(`[{"pos":0,"comment":"web traffic"}]`)
		case "/api2/json/nodes/pve1/qemu/100/config":
			return ok(`{"cores":4,"name":"web","onboot":true,"agent":"1","memory":"2048"}`)
		case "/api2/json/nodes/pve1/tasks/" + testUPID + "/log":
			return ok(`[{"n":1,"t":"starting VM 100"},{"n":2,"t":"TASK OK"}]`)
		case "/api2/json/cluster/resources":
			return ok(`[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"caf\u00e9","status":"running"}]`)
		}
		return answer{status: 400, reason: "Parameter verification failed.", body: `{"data":null,"errors":{"vmid":"invalid format - value does not look like a valid VM ID\n"}}`}
	}, WithRetries(0, 0))
	ctx := context.Background()
	read, err := NewAPIRequest(prepared(t, "GET", "/cluster/firewall/rules", nil))
	if err != nil {
		t.Fatal(err)
	}
	upid, err := ParseUPID(testUPID)
	if err != nil {
		t.Fatal(err)
	}
	type answers struct {
		Raw     string
		Config  GuestConfig
		Log     []LogLine
		Guests  []Resource
		Refusal string
	}
	fetch := func() answers {
		var a answers
		raw, err := c.Read(ctx, read)
		if err != nil {
			t.Fatal(err)
		}
		a.Raw = string(raw)
		if a.Config, err = c.GuestConfig(ctx, GuestRef{Node: "pve1", Type: Qemu, VMID: 100}); err != nil {
			t.Fatal(err)
		}
		if a.Log, _, err = c.TaskLog(ctx, upid, 0, 10); err != nil {
			t.Fatal(err)
		}
		if a.Guests, err = c.ClusterResources(ctx, ResourceVM); err != nil {
			t.Fatal(err)
		}
		_, err = c.GuestConfig(ctx, GuestRef{Node: "pve1", Type: Qemu, VMID: 999})
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("the refusal: %v", err)
		}
		a.Refusal = apiErr.Params["vmid"]
		return a
	}
	first := fetch()
	for range 3 { // later answers reuse the buffers
		fetch()
	}
	want := answers{
		Raw:     `[{"pos":0,"comment":"web traffic"}]`,
		Config:  GuestConfig{"cores": float64(4), "name": "web", "onboot": true, "agent": "1", "memory": "2048"},
		Log:     []LogLine{{N: 1, T: "starting VM 100"}, {N: 2, T: "TASK OK"}},
		Guests:  []Resource{{ID: "qemu/100", Type: "qemu", VMID: 100, Node: "pve1", Name: "café", Status: "running"}},
		Refusal: "invalid format - value does not look like a valid VM ID",
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("the first answers changed after later ones were read (-want +got):\n%s", diff)
	}
}
