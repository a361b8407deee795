package pvesim

import (
	"net/http"
	"strconv"
	"time"
)

const jsonContentType = "application/json;charset=UTF-8"

var httpStatusText = http.StatusText

// reply is a successful answer: the data member and, for task lists and logs, the total member.
type reply struct {
	data     any // rawJSON, string, or nil for null
	total    int
	hasTotal bool
}

// encodeReply builds {"data": …[, "total": N]}.
func encodeReply(rep reply) []byte {
	w := jsonWriter{b: make([]byte, 0, 256)}
	w.Open()
	switch d := rep.data.(type) {
	case nil:
		w.Null("data")
	case rawJSON:
		w.Raw("data", d)
	case string:
		w.Str("data", d)
	case int:
		w.Int("data", int64(d))
	default:
		panic("pvesim: unsupported reply data type")
	}
	// pve-http-server writes total only when it is not 0 (Formatter/Standard.pm).
	if rep.hasTotal && rep.total != 0 {
		w.Int("total", int64(rep.total))
	}
	w.End()
	return w.b
}

// writeSuccess sends a 200 with keep-alive, like pveproxy for a successful call.
func writeSuccess(w http.ResponseWriter, body []byte) {
	h := w.Header()
	setCommonHeaders(h)
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func setCommonHeaders(h http.Header) {
	h.Set("Server", "pve-api-daemon/3.0")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Pragma", "no-cache")
}

// errorBody is the JSON body pve-http-server >= 5.2 sends with an error: data null, the message, and for a
// 400 the errors map.
func errorBody(e *apiError) []byte {
	if e.noBody {
		return nil
	}
	w := jsonWriter{b: make([]byte, 0, 128)}
	w.Open()
	w.Null("data")
	if e.params != nil {
		w.Obj("errors")
		for _, k := range sortedKeys(e.params) {
			w.Str(k, e.params[k])
		}
		w.End()
	}
	w.Str("message", e.msg)
	w.End()
	return w.b
}

// writeError sends an error the way pveproxy does: the text in the status line's reason phrase, then
// Connection: close. net/http cannot set a reason phrase, so the connection is hijacked and the response
// written by hand; where hijacking is impossible (an HTTP/2 connection, a ResponseRecorder) the status and body
// are still right, only the reason phrase is Go's standard one.
func writeError(w http.ResponseWriter, e *apiError, now time.Time) {
	writeRaw(w, e.status, e.reason(), jsonContentType, errorBody(e), true, now)
}

// writeRaw writes a response with an arbitrary reason phrase; a body of nil writes none. With lengthKnown false
// no Content-Length is sent and the body ends when the connection closes.
func writeRaw(w http.ResponseWriter, status int, reason, contentType string, body []byte, lengthKnown bool, now time.Time) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		fallbackWrite(w, status, contentType, body, lengthKnown)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		fallbackWrite(w, status, contentType, body, lengthKnown)
		return
	}
	defer conn.Close()
	bw := rw.Writer
	date := now.UTC().Format(http.TimeFormat)
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + reason + "\r\n")
	bw.WriteString("Cache-Control: max-age=0\r\n")
	bw.WriteString("Connection: close\r\n")
	bw.WriteString("Date: " + date + "\r\n")
	bw.WriteString("Pragma: no-cache\r\n")
	bw.WriteString("Server: pve-api-daemon/3.0\r\n")
	bw.WriteString("Content-Type: " + contentType + "\r\n")
	if lengthKnown {
		bw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	bw.WriteString("Expires: " + date + "\r\n\r\n")
	bw.Write(body)
	_ = bw.Flush()
}

func fallbackWrite(w http.ResponseWriter, status int, contentType string, body []byte, lengthKnown bool) {
	h := w.Header()
	setCommonHeaders(h)
	h.Set("Content-Type", contentType)
	h.Set("Connection", "close")
	if lengthKnown {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
