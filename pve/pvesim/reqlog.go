package pvesim

import (
	"maps"
	"net/url"
	"time"
)

// Request is one request as the Sim received it. Tests prove from the log that no write reached the cluster.
type Request struct {
	Time    time.Time
	Method  string
	Path    string     // API path, unescaped, without /api2/json, e.g. "/nodes/pve1/qemu/100/status/start"
	RawPath string     // as received (escaped), with /api2/json
	Query   url.Values // query string parameters
	Form    url.Values // decoded body parameters (x-www-form-urlencoded, and JSON bodies)
	TokenID string     // which token authenticated, "" if none
	Status  int        // status sent; 0 when the connection was closed without an answer
}

func (s *Sim) record(r Request) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.logLimit == 0 {
		return
	}
	if len(s.reqLog) < s.logLimit {
		s.reqLog = append(s.reqLog, r)
		return
	}
	s.reqLog[s.logNext] = r
	s.logNext = (s.logNext + 1) % s.logLimit
}

// Requests returns the logged requests, oldest first (copies: changing them changes nothing).
func (s *Sim) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, 0, len(s.reqLog))
	for i := range s.reqLog {
		r := s.reqLog[(s.logNext+i)%len(s.reqLog)]
		r.Query = cloneValues(r.Query)
		r.Form = cloneValues(r.Form)
		out = append(out, r)
	}
	return out
}

// Writes returns the logged requests whose method is not GET, oldest first.
func (s *Sim) Writes() []Request {
	all := s.Requests()
	out := all[:0]
	for _, r := range all {
		if r.Method != "GET" {
			out = append(out, r)
		}
	}
	return out
}

// ResetLog empties the request log.
func (s *Sim) ResetLog() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.reqLog = nil
	s.logNext = 0
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range maps.All(v) {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
