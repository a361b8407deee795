package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

type apiGetArgs struct {
	Path   string         `json:"path" arg:"required" maxlen:"1024" desc:"Concrete path, e.g. /nodes/pve1/status"`
	Params map[string]any `json:"params" desc:"Query parameters"`
	Limit  int            `json:"limit" min:"1" max:"200" desc:"Rows, default 20"`
	Cursor int            `json:"cursor" min:"0" accept:"string" desc:"From next_cursor"`
	// req is the request the schema matched and validated (bindGet).
	req *schema.Request
}

// defaultAPIRows is how many rows of a list a read shows unless asked for more.
const defaultAPIRows = 20

type apiGetResult struct {
	Operation  string `json:"operation"` // METHOD /path/template
	Class      string `json:"class" out:"-"`
	Total      int    `json:"total,omitempty"` // rows of a list answer
	NextCursor int    `json:"next_cursor,omitempty"`
	Data       any    `json:"data" desc:"The answer, cleaned"`
	Note       string `json:"note,omitempty" out:"-"`
	path       string
	from       int
}

func (r *apiGetResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s (%s): ", r.path, r.Class)
	rows, isList := r.Data.([]any)
	switch {
	case isList && len(rows) == 0:
		fmt.Fprintf(&b, "no rows (%d in all).", r.Total)
	case isList:
		fmt.Fprintf(&b, "rows %d–%d of %d.", r.from+1, r.from+len(rows), r.Total)
	default:
		b.WriteString(kindOf(r.Data) + ".")
	}
	if !isList || len(rows) > 0 {
		b.WriteString("\n")
		fence(&b, "answer of GET "+r.path, answerLines(r.Data))
	}
	if r.NextCursor > 0 {
		fmt.Fprintf(&b, "More rows: next_cursor %d.\n", r.NextCursor)
	}
	if r.Note != "" {
		b.WriteString(r.Note)
	}
	return strings.TrimRight(b.String(), "\n")
}

// bindGet matches the path to a GET operation and validates the query before the gate decides.
func bindGet(a *apiGetArgs) (*gate.Operation, error) {
	r, err := schema.Prepare("GET", a.Path, a.Params)
	if err != nil {
		return nil, apiError(a.Params, err)
	}
	a.req = r
	return gateOperation(r), nil
}

// apiGet sends the one GET and shapes its answer: a page of a list, or the value, cleaned and bounded.
func apiGet(ctx context.Context, _ *env, c *call, a *apiGetArgs) (*apiGetResult, error) {
	req, err := pve.NewAPIRequest(a.req)
	if err != nil {
		return nil, err
	}
	raw, err := c.pve.Read(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", a.req.Op.Key(), err)
	}
	v, err := decodeAnswer(raw)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", a.req.Op.Key(), err)
	}
	res := &apiGetResult{Operation: a.req.Op.Key(), Class: classText(a.req), path: clean(a.req.Path, maxValue)}
	rows, isList := v.([]any)
	if !isList {
		s := shrink(v, maxAnswerBytes)
		res.Data = s.v
		if s.cut {
			res.Note = "Cut to stay small: long values or later members were left out; read a narrower path or pass query parameters."
		}
		if a.Cursor > 0 {
			res.Note = strings.TrimSpace(res.Note + " The answer is not a list: cursor does not apply.")
		}
		return res, nil
	}
	limit := a.Limit
	if limit == 0 {
		limit = defaultAPIRows
	}
	res.Total = len(rows)
	res.from = min(a.Cursor, len(rows))
	to := min(res.from+limit, len(rows))
	page, size, cut := []any{}, 2, false
	for _, row := range rows[res.from:to] {
		left := maxAnswerBytes - size - 1
		s := shrink(row, max(left, minAnswerPart))
		if len(page) > 0 && size+s.size+1 > maxAnswerBytes {
			break // the next page starts with this row
		}
		page, size, cut = append(page, s.v), size+s.size+1, cut || s.cut
	}
	res.Data = page
	if next := res.from + len(page); next < len(rows) {
		res.NextCursor = next
		if next < to {
			res.Note = fmt.Sprintf("Only %s fit in one answer. ", count(len(page), "row", "rows"))
		}
	}
	if cut {
		res.Note += "Long values or members of some rows were left out; read a narrower path or pass query parameters."
	}
	res.Note = strings.TrimSpace(res.Note)
	return res, nil
}
