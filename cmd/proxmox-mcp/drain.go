package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"
)

// A graceful stop of the HTTP server (SIGTERM, Ctrl-C): no new connections, and idle ones close at once;
// calls in flight get callGrace to finish; then their contexts are cancelled and they get cancelGrace to
// answer with what they know (a write waiting for its task says the task started and its outcome is
// unknown; the task goes on in Proxmox); then answers get flushGrace to leave. All of it stays under 2 s.
const (
	callGrace   = time.Second
	cancelGrace = 500 * time.Millisecond
	flushGrace  = 250 * time.Millisecond
)

// errStopping is the cause of the cancellation of the calls a stop cuts short.
var errStopping = errors.New("proxmox-mcp is stopping")

// stoppedNote is added to the result of a call the stop cut short, after what the call itself reports.
const stoppedNote = "proxmox-mcp was stopped (SIGTERM) during this call and stopped waiting: what it had sent to Proxmox still goes on there."

// drain counts the requests in flight and cancels the tool calls among them when the server stops.
type drain struct {
	stopping context.Context
	stop     context.CancelCauseFunc

	mu    sync.Mutex
	calls int
	idle  chan struct{} // closed when calls drops to 0; nil while nobody waits
}

func newDrain() *drain {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &drain{stopping: ctx, stop: cancel}
}

func (d *drain) enter() {
	d.mu.Lock()
	d.calls++
	d.mu.Unlock()
}

func (d *drain) leave() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls--; d.calls == 0 && d.idle != nil {
		close(d.idle)
		d.idle = nil
	}
}

func (d *drain) inFlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

// wait reports whether the requests in flight all ended within timeout.
func (d *drain) wait(timeout time.Duration) bool {
	d.mu.Lock()
	if d.calls == 0 {
		d.mu.Unlock()
		return true
	}
	if d.idle == nil {
		d.idle = make(chan struct{})
	}
	idle := d.idle
	d.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}

// cancelOnStop is a tool middleware: the handler's context also ends when the stop cancels calls. It must be
// the innermost one (added last), so that the gate's audit and the guard's redaction still see the result;
// and it must not cancel the request's own context, which would make mcp-go drop the answer.
func (d *drain) cancelOnStop(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		defer context.AfterFunc(d.stopping, func() { cancel(errStopping) })()
		res, err := next(ctx, req)
		if res != nil && errors.Is(context.Cause(ctx), errStopping) {
			res.Content = append(res.Content, mcp.NewTextContent(stoppedNote))
		}
		return res, err
	}
}

// stopHTTP stops hs, which serves ln (served is where its Serve returns), as the comment at the top says.
// It fails only when calls went on after they were cancelled.
func (d *drain) stopHTTP(hs *http.Server, ln net.Listener, served <-chan error, log zerolog.Logger) error {
	start := time.Now()
	_ = ln.Close()
	<-served // so that Shutdown below finds no listener left to close
	hs.SetKeepAlivesEnabled(false)
	if !d.wait(callGrace) {
		log.Info().Int("calls", d.inFlight()).Msg("stopping: cancelling the calls still running")
		d.stop(errStopping)
		if !d.wait(cancelGrace) {
			n := d.inFlight()
			_ = hs.Close()
			return fmt.Errorf("stop: %d calls went on after they were cancelled; their connections were closed", n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushGrace)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		// Every call has answered; a client is not reading its answer, or connected and sent nothing.
		log.Warn().Msg("stopping: closed connections still open after every call had answered")
		_ = hs.Close()
	}
	log.Info().Dur("took", time.Since(start)).Msg("stopped")
	return nil
}
