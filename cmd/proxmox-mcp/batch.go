package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// JSON-RPC batches (a JSON array of messages) were removed from MCP in protocol version 2025-06-18, and mcp-go
// answers one with a parse error, as if it were not JSON. Both transports answer a batch here instead, with
// what is true.

// batchError answers a batch: Invalid Request, with a null id, since a batch has none of its own.
var batchError = rpcErrorLine(-32600, "JSON-RPC batches are not supported: MCP removed them in protocol version 2025-06-18; send one request per message")

// isBatch reports whether msg is a JSON array. What is not valid JSON is left to mcp-go's parse error.
func isBatch(msg []byte) bool {
	msg = bytes.TrimLeft(msg, " \t\r\n")
	return len(msg) > 0 && msg[0] == '[' && json.Valid(msg)
}

// rpcErrorLine is a JSON-RPC error response with a null id, as one line.
func rpcErrorLine(code int, message string) []byte {
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	b, err := json.Marshal(struct {
		JSONRPC string   `json:"jsonrpc"`
		ID      *int     `json:"id"`
		Error   rpcError `json:"error"`
	}{"2.0", nil, rpcError{code, message}})
	if err != nil {
		panic(err) // a struct of strings and ints always encodes
	}
	return append(b, '\n')
}

// stdinFilter stands between stdin and mcp-go's stdio server. It passes every line on, except a batch and a
// line longer than maxRequestBody (dropped unread), which it answers itself on out.
type stdinFilter struct {
	in      *bufio.Reader
	out     io.Writer // shared with mcp-go: a lineWriter, so that answers never interleave
	pending []byte
	err     error
}

// tooLong answers a line over maxRequestBody.
var tooLong = rpcErrorLine(-32600, fmt.Sprintf("message longer than %d bytes: one MCP message is far smaller", maxRequestBody))

func newStdinFilter(in io.Reader, out io.Writer) *stdinFilter {
	return &stdinFilter{in: bufio.NewReaderSize(in, 64<<10), out: out}
}

func (f *stdinFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, over, err := f.readLine()
		f.err = err
		switch {
		case over:
			if _, werr := f.out.Write(tooLong); werr != nil {
				return 0, werr
			}
		case isBatch(line):
			if _, werr := f.out.Write(batchError); werr != nil {
				return 0, werr
			}
		default:
			f.pending = line
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// readLine reads through the next newline (kept). over reports a line longer than maxRequestBody, of which
// nothing is returned.
func (f *stdinFilter) readLine() (line []byte, over bool, err error) {
	for {
		frag, err := f.in.ReadSlice('\n')
		if !over && len(line)+len(frag) > maxRequestBody {
			over, line = true, nil
		}
		if !over {
			line = append(line, frag...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, over, err
		}
	}
}

// lineWriter serialises whole-line writes from several goroutines: mcp-go's (under its own lock) and the
// stdinFilter's. Each Write must be one or more whole lines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
