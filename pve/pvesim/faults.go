package pvesim

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a way for a request to go wrong.
type FaultKind int

// The fault kinds. Each answers in place of the API, except FaultLatency, which delays and then serves the
// request normally.
const (
	// FaultLatency delays the answer by Latency (the request's context can cancel the wait).
	FaultLatency FaultKind = iota + 1
	// FaultStatus answers Status with reason phrase Reason (empty body for 401, 595 and 596, like pveproxy).
	FaultStatus
	// FaultDrop closes the connection without answering.
	FaultDrop
	// FaultMalformedJSON answers 200 with a body that is not JSON.
	FaultMalformedJSON
	// FaultTruncated answers 200 with a valid prefix of the real JSON answer, then closes the connection (no
	// Content-Length, so the client sees a clean end of stream and only its JSON decoder notices).
	FaultTruncated
	// FaultEchoAuth answers 500 with the request's Authorization header in both the reason phrase and the
	// body's message, like a misbehaving proxy: whatever prints errors must still redact the secret.
	FaultEchoAuth
	// FaultRedirect answers 302 to Location.
	FaultRedirect
	// FaultHuge answers 200 with a syntactically valid {"data":[…]} of exactly Size bytes.
	FaultHuge
)

func (k FaultKind) String() string {
	switch k {
	case FaultLatency:
		return "latency"
	case FaultStatus:
		return "status"
	case FaultDrop:
		return "drop"
	case FaultMalformedJSON:
		return "malformed-json"
	case FaultTruncated:
		return "truncated"
	case FaultEchoAuth:
		return "echo-auth"
	case FaultRedirect:
		return "redirect"
	case FaultHuge:
		return "huge"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault makes matching requests misbehave. It applies before authentication (a broken proxy does not care
// who asks) and the request never reaches the cluster, except with FaultLatency. When several faults match,
// the one injected first applies.
type Fault struct {
	Method   string        // "" = any
	Path     string        // API path prefix, e.g. "/nodes/pve2" or "/cluster/resources"; "" = any
	Times    int           // how many matching requests it applies to; 0 = until removed
	Kind     FaultKind     // what goes wrong
	Status   int           // FaultStatus: the status code
	Reason   string        // FaultStatus: the reason phrase
	Latency  time.Duration // FaultLatency: the delay
	Location string        // FaultRedirect: the target URL
	Size     int           // FaultHuge: the body size in bytes
}

type faultEntry struct {
	f    Fault
	left int // remaining applications; -1 = unlimited
}

// Inject adds a fault; calling remove takes it out again (it is also gone once Times requests matched).
func (s *Sim) Inject(f Fault) (remove func()) {
	e := &faultEntry{f: f, left: f.Times}
	if f.Times <= 0 {
		e.left = -1
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, e)
	s.faultMu.Unlock()
	return func() {
		s.faultMu.Lock()
		defer s.faultMu.Unlock()
		for i, x := range s.faults {
			if x == e {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// matchFault takes one application of the first matching fault.
func (s *Sim) matchFault(method, path string) *Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, e := range s.faults {
		if e.f.Method != "" && !strings.EqualFold(e.f.Method, method) {
			continue
		}
		if !strings.HasPrefix(path, e.f.Path) {
			continue
		}
		f := e.f
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// applyFault answers a request as the fault says, logging it (commit) before answering. It returns false
// when the request is to be served normally after all (latency).
func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, now time.Time, commit func(int)) bool {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			commit(0)
			// The client is gone. Returning would make net/http answer an empty 200, which a client that
			// has only just given up can still read as the answer.
			hangUp(w)
			return true
		}
	case FaultStatus:
		e := &apiError{status: f.Status, msg: f.Reason + "\n"}
		if f.Status == 401 || f.Status == 595 || f.Status == 596 {
			e = bare(f.Status, f.Reason)
		}
		commit(f.Status)
		writeError(w, e, now)
	case FaultDrop:
		commit(0)
		hangUp(w)
	case FaultMalformedJSON:
		commit(200)
		writeRaw(w, 200, "OK", jsonContentType, []byte("<html><body>Proxmox VE is starting …</body></html>"), true, now)
	case FaultTruncated:
		body := s.truncatedBody(r, now)
		commit(200)
		writeRaw(w, 200, "OK", jsonContentType, body, false, now)
	case FaultEchoAuth:
		auth := r.Header.Get("Authorization")
		commit(500)
		writeError(w, &apiError{status: 500, msg: "proxy error: Authorization: " + auth + "\n"}, now)
	case FaultRedirect:
		commit(http.StatusFound)
		h := w.Header()
		h.Set("Location", f.Location)
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusFound)
	case FaultHuge:
		commit(200)
		writeHuge(w, f.Size)
	default:
		return false
	}
	return true
}

// hangUp closes the request's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection without an answer
}

// truncatedBody is the first half of what the request would have answered (a fixed document when it would
// not have answered 200).
func (s *Sim) truncatedBody(r *http.Request, now time.Time) []byte {
	full := []byte(`{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"status":"running","name":"truncated"}]}`)
	if r.Method == http.MethodGet {
		segs, path, ok := splitAPIPath(r.URL.EscapedPath())
		if tok, err := s.authenticate(r); err == nil && ok {
			if rep, aerr := s.dispatch(r.Method, segs, path, r.URL.Query(), nil, tok, now); aerr == nil {
				full = encodeReply(rep)
			}
		}
	}
	return full[:len(full)/2]
}

// writeHuge streams {"data":[1,1,…]} of exactly size bytes (at least the 11 bytes of an empty list).
func writeHuge(w http.ResponseWriter, size int) {
	const head, tail = `{"data":[`, `]}`
	n := max(size, len(head)+len(tail))
	h := w.Header()
	setCommonHeaders(h)
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(head)
	// r bytes of elements: k ones joined by commas take 2k-1 bytes; an even r gets one "10"
	r := n - len(head) - len(tail)
	if r > 0 {
		k := (r + 1) / 2
		for i := 0; i < k; i++ {
			if i > 0 {
				bw.WriteByte(',')
			}
			if i == 0 && r%2 == 0 {
				bw.WriteString("10")
			} else {
				bw.WriteByte('1')
			}
		}
	}
	bw.WriteString(tail)
	_ = bw.Flush()
}
