package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// stdioLines runs the binary in demo mode over stdio, writes lines to it, closes its stdin and returns every
// line it wrote to stdout.
func stdioLines(t *testing.T, lines ...string) []string {
	t.Helper()
	cmd := exec.Command(binary, "--demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, l := range lines {
			_, _ = io.WriteString(stdin, l+"\n")
		}
		// The last line is a request whose answer tells that everything before it was read; closing stdin
		// earlier could cut calls still running.
	}()
	var out []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
		if strings.Contains(sc.Text(), `"id":"last"`) {
			break
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	return out
}

func TestStdioBatchIsRefusedTruthfully(t *testing.T) {
	out := stdioLines(t,
		testInit,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"tools/list"}]`,
		`  [{"jsonrpc":"2.0","id":4,"method":"ping"}]`,
		`[]`,
		`[{"jsonrpc":`,
		`{"jsonrpc":"2.0","id":"last","method":"ping"}`,
	)
	type answer struct {
		ID   any
		Code int
		Says bool
	}
	var got []answer
	for _, l := range out {
		var e rpcError
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("stdout line is not JSON: %v: %s", err, l)
		}
		if e.Error.Code != 0 {
			got = append(got, answer{e.ID, e.Error.Code, strings.Contains(e.Error.Message, batchMessage)})
		}
	}
	want := []answer{{nil, -32600, true}, {nil, -32600, true}, {nil, -32600, true}, {nil, -32700, false}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("error answers (-want +got):\n%s\nstdout:\n%s", d, strings.Join(out, "\n"))
	}
	if last := out[len(out)-1]; !strings.Contains(last, `"id":"last"`) || !strings.Contains(last, `"result"`) {
		t.Errorf("the request after the batches was not answered: %s", last)
	}
}

// stdioPipe is a stdio session served in this process: stdin is what the client writes, answers every line
// written to stdout, done where serveStdio returns.
type stdioPipe struct {
	stdin   *io.PipeWriter
	answers chan string
	done    chan error
}

// serveStdioInProcess serves srv over stdio in this process, through serveStdio as the binary does. Cleanup
// closes stdin and waits for serveStdio to return.
func serveStdioInProcess(t *testing.T, srv *server.MCPServer, r *redact.Redactor) *stdioPipe {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &stdioPipe{stdin: inW, answers: make(chan string, 1024), done: make(chan error, 1)}
	a := &app{srv: srv, redactor: r, log: zerolog.Nop()}
	go func() {
		p.done <- serveStdio(context.Background(), a, inR, outW, io.Discard)
		outW.Close()
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			p.answers <- sc.Text()
		}
		close(p.answers)
	}()
	t.Cleanup(func() {
		inW.Close()
		<-p.done
	})
	return p
}

func (p *stdioPipe) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// next returns the next line on stdout.
func (p *stdioPipe) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.answers:
		if !ok {
			t.Fatal("stdout ended")
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("no answer")
		return ""
	}
}

func TestStdioAnswersAreScrubbed(t *testing.T) {
	release, seen := make(chan struct{}), make(chan struct{})
	releaseWithin(release, seen)
	p := serveStdioInProcess(t, leakyServer(leakedSecret, release), redact.New(leakedSecret))
	p.send(t, testInit)
	p.next(t) // a notification reaches only an initialized session
	p.send(t, leakyCall)
	var out []string
	for len(out) < 2 { // the progress notification, the result
		out = append(out, p.next(t))
		if strings.Contains(out[len(out)-1], "notifications/progress") {
			close(seen)
		}
	}
	all := strings.Join(out, "\n")
	type answer struct{ Progress, Result, Secret bool }
	got := answer{strings.Contains(all, "task says "+redact.Mask), strings.Contains(all, "the secret is "+redact.Mask), strings.Contains(all, leakedSecret)}
	if d := cmp.Diff(answer{true, true, false}, got); d != "" {
		t.Errorf("(-want +got):\n%s\n%s", d, all)
	}
}

// TestStdioAnswersStayWhole: large answers written by mcp-go's workers and batch refusals written by the
// filter, all at once, never share a line.
func TestStdioAnswersStayWhole(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	big := strings.Repeat("y", 100<<10) // over redact.Writer's 64 KiB line buffer
	srv.AddTool(mcp.NewTool("big"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(big), nil
	})
	p := serveStdioInProcess(t, srv, redact.New(leakedSecret))
	p.send(t, testInit)
	const calls, batches = 100, 100
	go func() {
		for i := range max(calls, batches) {
			if i < calls {
				_, _ = fmt.Fprintf(p.stdin, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"big"}}`+"\n", 100+i)
			}
			if i < batches {
				_, _ = io.WriteString(p.stdin, `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`+"\n")
			}
		}
	}()
	type count struct{ Results, Refusals, Other int }
	var got count
	for range 1 + calls + batches {
		l := p.next(t)
		var m struct {
			ID     any             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		switch err := json.Unmarshal([]byte(l), &m); {
		case err != nil:
			t.Fatalf("a line that is not one JSON message: %v: %.200s", err, l)
		case m.Error != nil && strings.Contains(m.Error.Message, batchMessage):
			got.Refusals++
		case strings.Contains(string(m.Result), big):
			got.Results++
		case m.ID == float64(1): // initialize
		default:
			got.Other++
		}
	}
	if d := cmp.Diff(count{calls, batches, 0}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestStdioLongLineIsRefused(t *testing.T) {
	p := serveStdioInProcess(t, server.NewMCPServer("t", "1"), redact.New())
	p.send(t, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"`+strings.Repeat("z", 2<<20)+`"}}`)
	p.send(t, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	var first, second rpcError
	if err := json.Unmarshal([]byte(p.next(t)), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(p.next(t)), &second); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		FirstCode int
		FirstSays bool
		SecondID  any
	}
	got := answer{first.Error.Code, strings.Contains(first.Error.Message, "longer than"), second.ID}
	if d := cmp.Diff(answer{-32600, true, float64(2)}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
