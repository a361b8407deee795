package pvesim

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The default tokens New registers when no WithToken option is given.
const (
	// DefaultTokenID is a privilege-separated token of root@pam with the Administrator role on "/".
	DefaultTokenID = "root@pam!mcp"
	// DefaultTokenSecret is DefaultTokenID's secret.
	DefaultTokenSecret = "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"
	// ReadOnlyTokenID is a token with PVEAuditor-like privileges (VM.Audit, VM.GuestAgent.Audit, Sys.Audit,
	// Datastore.Audit, Pool.Audit) on "/": it can read everything and change nothing.
	ReadOnlyTokenID = "auditor@pve!readonly"
	// ReadOnlyTokenSecret is ReadOnlyTokenID's secret.
	ReadOnlyTokenSecret = "0b7e3c52-9d41-4f6a-8c2e-1a5d7f3b9e60"
)

// administratorPrivileges is every privilege of PVE 9's Administrator role (pve-access-control
// PVE/AccessControl.pm, $privgroups and the "Sys/SDN/Mapping/…" sets).
var administratorPrivileges = []string{
	"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
	"Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
	"Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser",
	"SDN.Allocate", "SDN.Audit", "SDN.Use",
	"Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog",
	"User.Modify",
	"VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit",
	"VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options",
	"VM.Console", "VM.GuestAgent.Audit", "VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt",
	"VM.GuestAgent.FileWrite", "VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.PowerMgmt", "VM.Replicate",
	"VM.Snapshot", "VM.Snapshot.Rollback",
}

// auditorPrivileges is what ReadOnlyTokenID holds: PVE 9's audit privileges (VM.GuestAgent.Audit among them,
// pve-access-control's $privgroups VM audit) but the SDN and mapping ones.
var auditorPrivileges = []string{"Datastore.Audit", "Pool.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"}

// AdministratorPrivileges returns the privileges of PVE's Administrator role, for WithToken.
func AdministratorPrivileges() []string { return slices.Clone(administratorPrivileges) }

// AuditorPrivileges returns the read-only privileges ReadOnlyTokenID has, for WithToken.
func AuditorPrivileges() []string { return slices.Clone(auditorPrivileges) }

// token is an API token and the privileges it holds: on "/" (propagated to every path), and on the paths
// WithGrant names (propagated below them).
type token struct {
	id     string // user@realm!name
	user   string
	name   string
	secret []byte
	privs  map[string]bool
	grants map[string]map[string]bool // ACL path -> privileges granted there
	// poolOf is the pool a guest is in ("" for none), so that a grant on /pool/NAME reaches its guests. New
	// sets it; it is called with the Sim's lock held, as every permission check is.
	poolOf func(vmid string) string
}

func newToken(id, secret string, privs []string) *token {
	user, name := tokenUser(id)
	t := &token{id: id, user: user, name: name, secret: []byte(secret), privs: map[string]bool{}}
	for _, p := range privs {
		t.privs[p] = true
	}
	return t
}

// authenticate reads the Authorization header: PVEAPIToken=ID=SECRET, or with a space after PVEAPIToken, the
// rest URI-unescaped.
func (s *Sim) authenticate(r *http.Request) (*token, *apiError) {
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, "PVEAPIToken")
	if h == "" || !ok {
		return nil, bare(401, "No ticket")
	}
	failed := bare(401, "Authentication failed!")
	if rest == "" || (rest[0] != '=' && rest[0] != ' ') {
		return nil, failed
	}
	cred, err := url.PathUnescape(strings.TrimSpace(rest[1:]))
	if err != nil {
		return nil, failed
	}
	id, secret, ok := strings.Cut(cred, "=")
	if !ok {
		return nil, failed
	}
	tok := s.tokens[id]
	if tok == nil {
		// compare anyway, so a wrong id costs as long as a wrong secret
		subtle.ConstantTimeCompare([]byte(secret), []byte(DefaultTokenSecret))
		return nil, failed
	}
	if subtle.ConstantTimeCompare([]byte(secret), tok.secret) != 1 {
		return nil, failed
	}
	return tok, nil
}

// has reports whether the token holds a privilege on "/", and so on every path. Lists filter with it: a
// privilege granted only on some paths does not show their guests in a list here (PVE would).
func (t *token) has(priv string) bool { return t.privs[priv] }

// holds reports whether the token holds a privilege on path: on "/", on the path or a parent of it, or, for a
// guest (/vms/ID), on the path of the pool it is in, as PVE's ACLs propagate.
func (t *token) holds(path, priv string) bool {
	if t.privs[priv] {
		return true
	}
	for _, p := range aclPaths(path, t.poolOf) {
		if t.grants[p][priv] {
			return true
		}
	}
	return false
}

// aclPaths are the paths whose ACLs apply to path: itself and its parents (not "/"), then for a guest its
// pool's path and the pool's parents.
func aclPaths(path string, poolOf func(string) string) []string {
	var out []string
	up := func(p string) {
		for p != "" && p != "/" {
			out = append(out, p)
			i := strings.LastIndexByte(p, '/')
			p = p[:i]
		}
	}
	up(path)
	if vmid, ok := strings.CutPrefix(path, "/vms/"); ok && poolOf != nil {
		if pool := poolOf(vmid); pool != "" {
			up("/pool/" + pool)
		}
	}
	return out
}

// effective is every privilege the token holds on path.
func (t *token) effective(path string) map[string]bool {
	out := map[string]bool{}
	for p := range t.privs {
		out[p] = true
	}
	for _, a := range aclPaths(path, t.poolOf) {
		for p := range t.grants[a] {
			out[p] = true
		}
	}
	return out
}

// Has is holds for schema.Grants: what is granted on "/" propagates to every path, and grants on a path (or a
// guest's pool) below it.
func (t *token) Has(path, priv string) bool { return t.holds(path, priv) }

// need is PVE's permission check with all privileges required: the first missing one is named.
func (t *token) need(path string, privs ...string) *apiError {
	for _, p := range privs {
		if !t.holds(path, p) {
			return forbidden(path, p)
		}
	}
	return nil
}

// needAny is the check with "any": one of the privileges suffices; the error names them all.
func (t *token) needAny(path string, privs ...string) *apiError {
	for _, p := range privs {
		if t.holds(path, p) {
			return nil
		}
	}
	return forbidden(path, strings.Join(privs, "|"))
}

// ownsTask is pve-manager's check_task_user: a token sees its own tasks (a user would also see its tokens').
func (t *token) ownsTask(tk *task) bool { return tk.user == t.id }
