package pvesim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// Sim answers the Proxmox VE REST API (/api2/json/…) from an in-memory cluster. It is an http.Handler, safe
// for concurrent use; Serve puts it behind a TLS listener on loopback.
//
// Tasks advance lazily: no goroutine runs in the background; every request first finishes the tasks whose
// end has passed on the Sim's clock.
type Sim struct {
	mu        sync.RWMutex // guards the cluster and its tasks
	c         *Cluster
	running   []*task
	taskIndex map[string]*task
	nextDue   time.Time

	now       func() time.Time
	tokens    map[string]*token
	grants    map[string]map[string][]string // WithGrant: token -> path -> privileges
	baseDur   time.Duration
	typeDur   map[string]time.Duration // guarded by mu
	typeFail  map[string]string        // guarded by mu
	authDelay time.Duration
	agentBoot time.Duration // how long after a VM starts its guest agent answers
	// historyAt is when the cluster's past counts back from (WithHistoryAt); zero for the clock's now.
	historyAt time.Time
	// procMu guards guests' agent processes where a GET changes them (exec-status collects a finished one)
	// under the read lock; every other change to them holds the write lock.
	procMu sync.Mutex

	logMu    sync.Mutex
	reqLog   []Request // ring buffer
	logNext  int       // where the next entry goes once the ring is full
	logLimit int

	faultMu sync.Mutex
	faults  []*faultEntry
}

// Option configures a Sim.
type Option func(*Sim)

// WithToken registers an API token: id is "user@realm!name", privs are PVE privilege names granted on "/"
// (see AdministratorPrivileges and AuditorPrivileges). Once any WithToken is given, New registers only the
// tokens given this way, not the two default ones.
func WithToken(id, secret string, privs ...string) Option {
	return func(s *Sim) {
		if s.tokens == nil {
			s.tokens = map[string]*token{}
		}
		s.tokens[id] = newToken(id, secret, privs)
	}
}

// WithGrant grants a token given with WithToken privileges on one ACL path, propagated below it, as
// `pveum acl modify PATH -token ID -role ROLE` does: "/vms/100", "/pool/lab" (which reaches the pool's guests),
// "/storage/local". Privileges given to WithToken itself are granted on "/".
func WithGrant(id, path string, privs ...string) Option {
	return func(s *Sim) {
		if s.grants == nil {
			s.grants = map[string]map[string][]string{}
		}
		if s.grants[id] == nil {
			s.grants[id] = map[string][]string{}
		}
		s.grants[id][path] = append(s.grants[id][path], privs...)
	}
}

// WithClock sets the clock the cluster lives by (default time.Now). Task ends, uptimes and timestamps all
// follow it, so a test can move time forward by hand.
func WithClock(now func() time.Time) Option { return func(s *Sim) { s.now = now } }

// WithHistoryAt makes the cluster's past (its task history, boots, snapshots and backups) count back from t
// rather than from the clock's now, t being earlier: two Sims made with the same t, at different moments, have
// the same history, task ids included. The demo anchors it to the day, so a task id one command printed is
// found by the next.
func WithHistoryAt(t time.Time) Option { return func(s *Sim) { s.historyAt = t } }

// WithTaskDuration sets how long a task runs (default 100ms); clone, create and vzdump take three times as long.
func WithTaskDuration(d time.Duration) Option { return func(s *Sim) { s.baseDur = d } }

// WithAuthFailDelay delays every 401 answer, as pveproxy does by about 3 seconds (default 0).
func WithAuthFailDelay(d time.Duration) Option { return func(s *Sim) { s.authDelay = d } }

// WithRequestLogLimit sets how many requests the log keeps, oldest dropped first (default 10000).
func WithRequestLogLimit(n int) Option { return func(s *Sim) { s.logLimit = n } }

// New returns a Sim serving a copy of c. Without WithToken it accepts DefaultTokenID (Administrator) and
// ReadOnlyTokenID (auditor); with WithToken only the tokens given.
func New(c *Cluster, opts ...Option) *Sim {
	s := &Sim{
		now:       time.Now,
		baseDur:   100 * time.Millisecond,
		agentBoot: DefaultAgentBootDelay,
		typeDur:   map[string]time.Duration{},
		typeFail:  map[string]string{},
		logLimit:  10000,
		taskIndex: map[string]*task{},
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.tokens == nil {
		s.tokens = map[string]*token{
			DefaultTokenID:  newToken(DefaultTokenID, DefaultTokenSecret, administratorPrivileges),
			ReadOnlyTokenID: newToken(ReadOnlyTokenID, ReadOnlyTokenSecret, auditorPrivileges),
		}
	}
	for id, paths := range s.grants {
		tok := s.tokens[id]
		if tok == nil {
			panic("pvesim: WithGrant for " + id + ", which no WithToken registers")
		}
		tok.grants = map[string]map[string]bool{}
		for path, privs := range paths {
			held := tok.privs // what is granted on "/" is held everywhere
			if path != "/" {
				held = map[string]bool{}
				tok.grants[path] = held
			}
			for _, p := range privs {
				held[p] = true
			}
		}
	}
	for _, tok := range s.tokens {
		tok.poolOf = s.poolOf
	}
	if s.logLimit < 0 {
		s.logLimit = 0
	}
	now := s.now()
	anchor := now
	if !s.historyAt.IsZero() && s.historyAt.Before(now) {
		anchor = s.historyAt
	}
	s.c = c.clone()
	s.c.shift(anchor.Sub(epoch0))
	s.replayHistory()
	s.advance(now)
	return s
}

// poolOf is the pool of guest vmid, "" when it has none or does not exist. The caller holds s.mu.
func (s *Sim) poolOf(vmid string) string {
	n, err := strconv.Atoi(vmid)
	if err != nil {
		return ""
	}
	if g := s.c.guests[n]; g != nil {
		return g.pool
	}
	return ""
}

// replayHistory turns the cluster's task history into real tasks: UPIDs, logs, and the backups the past
// vzdump jobs wrote. History tasks with no end are still running.
func (s *Sim) replayHistory() {
	history := s.c.tasks
	s.c.tasks = nil
	slices.SortStableFunc(history, func(a, b *task) int { return a.start.Compare(b.start) })
	for _, h := range history {
		if h.typ == "vzdump" && h.op.vzdump == nil {
			h.op.vzdump = s.planBackup(h.node, h.op.vmids, h.op.params, h.start)
		}
		end := h.end
		t := s.newTask(h.node, h.typ, h.id, h.user, h.start, h.op, h.op.lockName)
		t.end = end
		if end.IsZero() {
			s.refreshNextDue()
			continue
		}
		// the past is past: only a backup leaves something behind (its archive); other effects are already
		// part of the cluster's state
		s.running = slices.DeleteFunc(s.running, func(x *task) bool { return x == t })
		var lines []string
		exit := "OK"
		if t.typ == "vzdump" {
			_, lines = s.vzdumpLog(t)
			s.storeBackups(t)
			for _, it := range t.op.vzdump.items {
				if it.failure != "" {
					exit = "job errors"
				}
			}
		} else {
			lines = t.op.lines
			if t.op.fail != "" {
				exit = t.op.fail
			}
		}
		t.log = append(append(t.log, lines...), taskEndLine(exit))
		t.exit, t.done = exit, true
		for _, vmid := range s.heldGuests(t) {
			if g := s.c.guests[vmid]; g != nil && g.busy == t.upid {
				g.busy = ""
				if t.op.lockName != "" && g.conf["lock"] == t.op.lockName {
					delete(g.conf, "lock")
				}
			}
		}
	}
	s.refreshNextDue()
}

// ServeHTTP answers one API request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	rec := Request{
		Time:    now,
		Method:  r.Method,
		RawPath: r.URL.EscapedPath(),
		Query:   r.URL.Query(),
		Form:    url.Values{},
	}
	s.serve(w, r, &rec, now)
}

// serve does the work of ServeHTTP. Every answer is logged before it is sent, so a client that has its answer
// finds the request in the log.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, rec *Request, now time.Time) {
	commit := func(status int) {
		rec.Status = status
		s.record(*rec)
	}
	reject := func(e *apiError) {
		commit(e.status)
		writeError(w, e, now)
	}
	segs, apiPath, pathOK := splitAPIPath(rec.RawPath)
	rec.Path = apiPath

	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		reject(bare(501, "method '"+r.Method+"' not available"))
		return
	}
	if f := s.matchFault(r.Method, apiPath); f != nil {
		if s.applyFault(w, r, f, now, commit) {
			return
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodDelete {
		if hasBody(r) {
			reject(bare(501, "Unexpected content for method '"+r.Method+"'"))
			return
		}
	} else {
		form, err := readForm(r)
		if err != nil {
			reject(err)
			return
		}
		rec.Form = form
	}
	tok, aerr := s.authenticate(r)
	if aerr != nil {
		if s.authDelay > 0 {
			t := time.NewTimer(s.authDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				commit(0)
				return
			}
		}
		reject(aerr)
		return
	}
	rec.TokenID = tok.id
	if !pathOK {
		reject(notImplemented(r.Method, apiPath))
		return
	}
	rep, aerr := s.dispatch(r.Method, segs, apiPath, rec.Query, rec.Form, tok, now)
	if aerr != nil {
		reject(aerr)
		return
	}
	commit(http.StatusOK)
	writeSuccess(w, encodeReply(rep))
}

// splitAPIPath splits the escaped path below /api2/json into unescaped segments, so an escaped '/' stays
// inside its segment (where only a volume ID may hold one; schema.Route decides). ok is false when the path
// cannot name any API method: outside /api2/json, a bad escape, an empty segment, "." or "..".
func splitAPIPath(raw string) (segs []string, apiPath string, ok bool) {
	rest, found := strings.CutPrefix(raw, "/api2/json")
	if !found || (rest != "" && rest[0] != '/') {
		p, err := url.PathUnescape(raw)
		if err != nil {
			p = raw
		}
		return nil, p, false
	}
	rest = strings.TrimRight(rest, "/")
	if rest == "" {
		return nil, "/", false
	}
	ok = true
	parts := strings.Split(rest[1:], "/")
	segs = make([]string, len(parts))
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			u, ok = p, false
		}
		if u == "" || u == "." || u == ".." {
			ok = false
		}
		segs[i] = u
	}
	return segs, "/" + strings.Join(segs, "/"), ok
}

// dispatch runs an authenticated request through the steps pveproxy takes: find the method in the schema,
// merge the parameters, refuse what tokens may not call, check permissions as the schema states them, proxy
// to the node (here: does it exist, is it up), validate the parameters against the schema, and run the
// modelled handler or, for an operation the simulator does not model, answer from the schema.
func (s *Sim) dispatch(method string, segs []string, apiPath string, query, form url.Values, tok *token, now time.Time) (reply, *apiError) {
	op, vars, ok := schema.Route(method, segs)
	if !ok {
		return reply{}, notImplemented(method, apiPath)
	}
	params, err := mergeParams(form, query, vars)
	if err != nil {
		return reply{}, err
	}
	if method != http.MethodGet {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.due(now) {
			s.advance(now)
		}
	} else {
		s.mu.RLock()
		if s.due(now) {
			// finishing tasks changes the cluster: take the write lock for that, then read under it
			s.mu.RUnlock()
			s.mu.Lock()
			defer s.mu.Unlock()
			s.advance(now)
		} else {
			defer s.mu.RUnlock()
		}
	}
	rt := routes()[op.Key()]
	c := &call{s: s, tok: tok, method: method, op: op, vars: vars, p: params, now: now}
	if rt != nil {
		c.kind = rt.kind
	}
	if !op.AllowToken {
		return reply{}, &apiError{status: 403, msg: "Permission check failed (URI '" + apiPath + "' not available with API token, need proper ticket.\n)\n"}
	}
	if err := op.Permit(tok.id, tok, params); err != nil {
		return reply{}, &apiError{status: 403, msg: err.(*schema.PermissionError).Msg}
	}
	if name, ok := vars["node"]; ok && validNodeName(name) {
		n := s.c.node(name)
		if n == nil {
			return reply{}, fail("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name)
		}
		if !n.online {
			return reply{}, bare(595, "No route to host")
		}
		c.n = n
	}
	if errs := op.CheckRaw(params); errs != nil {
		return reply{}, badParams(errs)
	}
	if rt != nil {
		return rt.handle(c)
	}
	return c.unmodelled()
}

// validNodeName is the pve-node format.
func validNodeName(s string) bool {
	msg, _ := schema.CheckFormat("pve-node", s)
	return msg == ""
}
