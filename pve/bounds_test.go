package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// streamServer answers every request with 200, head, then body repeated n times (forever when n < 0), then
// tail; the client is pinned to it.
func streamServer(t *testing.T, head, body string, n int, tail string) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if _, err := w.Write([]byte(head)); err != nil {
			return
		}
		chunk := []byte(body)
		for i := 0; n < 0 || i < n; i++ {
			if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
				return
			}
		}
		_, _ = w.Write([]byte(tail))
	}))
	t.Cleanup(srv.Close)
	return pinnedClient(t, srv, WithRetries(0, 0))
}

// logLines is n log entries numbered from first, comma separated.
func logLines(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"n":%d,"t":"INFO: line %d of a long task"}`, first+i, first+i)
	}
	return b.String()
}

// TestTaskLogKeepsWhatWasAsked: a server that sends more lines than a page asks for gets at most that many
// kept, from a head read or a tail read; one that sends far more than a page can hold (20,000 lines for a
// tail of 5, about 1 MB) is refused as too large instead of being read whole.
func TestTaskLogKeepsWhatWasAsked(t *testing.T) {
	ctx := context.Background()
	u := mustUPID(t, testUPID)
	t.Run("page", func(t *testing.T) {
		c := streamServer(t, `{"total":40,"data":[`+logLines(1, 40)+`]}`, "", 0, "")
		lines, total, err := c.TaskLog(ctx, u, 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 5 || total != 40 || lines[0].N != 1 || lines[4].N != 5 {
			t.Fatalf("got %d lines %v of %d, want lines 1-5 of 40", len(lines), lines, total)
		}
	})
	t.Run("tail", func(t *testing.T) {
		c := streamServer(t, `{"data":[`+logLines(1, 40)+`],"total":40}`, "", 0, "")
		lines, total, err := c.TaskLogTail(ctx, u, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 5 || total != 40 {
			t.Fatalf("got %d lines of %d, want 5 of 40", len(lines), total)
		}
	})
	t.Run("twenty thousand lines for a tail of five", func(t *testing.T) {
		c := streamServer(t, `{"total":20000,"data":[`+logLines(1, 20000)+`]}`, "", 0, "")
		lines, _, err := c.TaskLogTail(ctx, u, 5)
		if !errors.Is(err, ErrTooLarge) || len(lines) != 0 {
			t.Fatalf("got %d lines, error %v; want ErrTooLarge and no lines", len(lines), err)
		}
	})
	t.Run("endless", func(t *testing.T) {
		c := streamServer(t, `{"data":[`+logLines(1, 1)+`,`, logLines(2, 100)+`,`, -1, "")
		_, _, err := c.TaskLogTail(ctx, u, 5)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error %v, want ErrTooLarge", err)
		}
	})
}

// TestAnswersAreBoundedByKind: a read of one object (a version, a task status, a guest's status or
// config) or a write's answer is refused when it is larger than such an answer can be (here 2 MiB of valid
// JSON) or never ends, while a cluster-wide list of the same size is read: each kind of request has its own
// bound, and only lists of the whole cluster get the client's maximum.
func TestAnswersAreBoundedByKind(t *testing.T) {
	ctx := context.Background()
	u := mustUPID(t, testUPID)
	vm := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	pad := strings.Repeat("x", 1<<10)
	object := func(n int) (string, string, int, string) {
		return `{"data":{"status":"running","name":"web",`, `"pad` + pad[:4] + `":"` + pad + `",`, n, `"x":1}}`
	}
	calls := map[string]func(c *Client) error{
		"version":      func(c *Client) error { _, err := c.Version(ctx); return err },
		"task status":  func(c *Client) error { _, err := c.TaskStatus(ctx, u); return err },
		"guest status": func(c *Client) error { _, err := c.GuestStatus(ctx, vm); return err },
		"guest config": func(c *Client) error { _, err := c.GuestConfig(ctx, vm); return err },
		"submit": func(c *Client) error {
			req, err := PowerRequest(vm, ActionStart, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Submit(ctx, req)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+" of 2 MiB", func(t *testing.T) {
			head, body, _, tail := object(0)
			// A string answer for Submit, an object for the others: both 2 MiB.
			if name == "submit" {
				head, body, tail = `{"data":"`, pad, `"}`
			}
			c := streamServer(t, head, body, 2<<10, tail)
			if err := call(c); !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v, want ErrTooLarge", err)
			}
		})
		t.Run(name+" endless", func(t *testing.T) {
			head, body, _, _ := object(0)
			c := streamServer(t, head, body, -1, "")
			if err := call(c); !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v, want ErrTooLarge", err)
			}
		})
	}
	t.Run("cluster resources of 3 MiB", func(t *testing.T) {
		entry := `{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"` + pad[:200] + `","status":"running"},`
		n := 3 << 20 / len(entry)
		c := streamServer(t, `{"data":[`, entry, n, `{"id":"qemu/101","type":"qemu","vmid":101,"node":"pve1"}]}`)
		all, err := c.ClusterResources(ctx, ResourceVM)
		if err != nil || len(all) != n+1 {
			t.Fatalf("got %d resources, %v; want %d", len(all), err, n+1)
		}
	})
}
