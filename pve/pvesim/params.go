package pvesim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody is the largest request body read; pveproxy's own limit for POST data is 64 KiB.
const maxBody = 64 << 10

// hasBody reports whether a request carries content (a GET or DELETE with one is refused).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && len(r.TransferEncoding) > 0)
}

// readForm decodes a POST or PUT body: application/x-www-form-urlencoded (what pvesh and the GUI send) or
// application/json. JSON booleans become 1/0 and numbers their literal text.
func readForm(r *http.Request) (url.Values, *apiError) {
	if r.Body == nil {
		return url.Values{}, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, bare(400, "unable to read request body")
	}
	if len(data) > maxBody {
		return nil, bare(413, "Request Entity Too Large")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		return decodeJSONForm(data)
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, bare(400, "unable to parse form data")
	}
	return vals, nil
}

func decodeJSONForm(data []byte) (url.Values, *apiError) {
	out := url.Values{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, bare(400, "invalid JSON - "+strings.ReplaceAll(err.Error(), "\n", " "))
	}
	for k, v := range obj {
		switch x := v.(type) {
		case nil:
		case []any:
			for _, e := range x {
				out.Add(k, jsonScalar(e))
			}
		default:
			out.Set(k, jsonScalar(x))
		}
	}
	return out, nil
}

func jsonScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// mergeParams combines body and query (the query wins, as in pve-http-server) and the path variables; a
// parameter given again with another value than the path's is refused like PVE does.
func mergeParams(form, query url.Values, vars map[string]string) (map[string]string, *apiError) {
	params := map[string]string{}
	set := func(vals url.Values) {
		for k, vs := range vals {
			// repeated parameters arrive NUL-joined, like CGI.pm; only array parameters accept that
			params[k] = strings.Join(vs, "\x00")
		}
	}
	set(form)
	set(query)
	delete(params, "_dc") // the GUI's cache buster, dropped by pve-http-server before validation
	for k, v := range vars {
		if old, ok := params[k]; ok && old != v {
			return nil, badParam(k, "duplicate parameter (already defined in URI)")
		}
		params[k] = v
	}
	return params, nil
}
