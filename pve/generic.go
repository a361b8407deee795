package pve

import (
	"context"
	"encoding/json"
	"fmt"
)

// Calls of any operation (NewAPIRequest) are sent like the typed ones: reads retried, writes exactly once and
// never in a ReadOnly context, every answer scrubbed where it arrives and bounded.

// Read sends a GET described by NewAPIRequest and returns the answer's data member as it came (scrubbed).
// It sends nothing but GETs: whatever request a read tool hands it, a write is refused before it is sent.
func (c *Client) Read(ctx context.Context, req Request) (json.RawMessage, error) {
	if req.IsWrite() {
		return nil, fmt.Errorf("%w: %s is not a read", ErrInvalidRequest, req)
	}
	var data json.RawMessage
	if _, err := c.do(ctx, req, &data); err != nil {
		return nil, err
	}
	return data, nil
}

// Write sends, exactly once, a write whose operation answers with data (null or a value) rather than a task id
// (described by NewAPIRequest, ConfigRequest or ExecRequest), and returns that data. A write that starts a task goes through Submit, so that
// its task is followed.
func (c *Client) Write(ctx context.Context, req Request) (json.RawMessage, error) {
	switch {
	case !req.IsWrite():
		return nil, fmt.Errorf("%w: %s is not a write", ErrInvalidRequest, req)
	case req.ReturnsTask():
		return nil, fmt.Errorf("%w: %s answers with a task id: Submit it", ErrInvalidRequest, req)
	}
	var data json.RawMessage
	if _, err := c.do(ctx, req, &data); err != nil {
		return nil, err
	}
	if data == nil {
		data = json.RawMessage("null")
	}
	return data, nil
}
