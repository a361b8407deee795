package schema

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// Grants is what a caller holds: whether it has a privilege on an ACL path (with PVE's propagation and
// token/user intersection already applied).
type Grants interface {
	Has(path, priv string) bool
}

// PermissionError is a refused permission check, with PVE's text ("Permission check failed (/vms/100,
// VM.Audit)\n"); a server answers it with 403.
type PermissionError struct{ Msg string }

func (e *PermissionError) Error() string { return strings.TrimSpace(e.Msg) }

func permFailed(what string) *PermissionError {
	if what == "" {
		return &PermissionError{Msg: "Permission check failed\n"}
	}
	return &PermissionError{Msg: "Permission check failed (" + what + ")\n"}
}

// Permit evaluates the operation's permissions as pve-access-control's check_api2_permissions does, for
// user (user@realm, or user@realm!token for an API token) holding g, with the request's parameters (path
// variables included). It returns nil or a *PermissionError. A handler may check more than the schema says
// (operations with user "all" check inside); Permit knows only what the schema states.
func (o *Operation) Permit(user string, g Grants, params map[string]string) error {
	if user == "root@pam" {
		return nil
	}
	p := o.Permission
	if !p.Defined {
		return permFailed("user != root@pam")
	}
	if p.User == "all" || p.User == "world" {
		return nil
	}
	if p.Check == nil {
		return permFailed("")
	}
	if err := p.Check.eval(user, g, params); err != nil {
		return err
	}
	return nil
}

var aclPathRE = &lazyre.Regexp{Src: `^[[:alnum:]._/-]+$`}

// aclPath is template_replace (a missing parameter becomes "-") followed by normalize_path.
func aclPath(tmpl string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		if v := params[name]; v != "" {
			b.WriteString(v)
		} else {
			b.WriteString("-")
		}
		tmpl = tmpl[i+j+1:]
	}
	path := b.String()
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	path = strings.TrimSuffix(path, "/")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !aclPathRE.MatchString(path) {
		return ""
	}
	return path
}

func checkPrivs(g Grants, path string, privs []string, any bool) *PermissionError {
	if any {
		for _, p := range privs {
			if g.Has(path, p) {
				return nil
			}
		}
		return permFailed(path + ", " + strings.Join(privs, "|"))
	}
	for _, p := range privs {
		if !g.Has(path, p) {
			return permFailed(path + ", " + p)
		}
	}
	return nil
}

func (c *Check) eval(user string, g Grants, params map[string]string) *PermissionError {
	switch c.Kind {
	case "and":
		for _, sc := range c.Checks {
			if err := sc.eval(user, g, params); err != nil {
				return err
			}
		}
		return nil
	case "or":
		for _, sc := range c.Checks {
			if sc.eval(user, g, params) == nil {
				return nil
			}
		}
		return permFailed("")
	case "perm":
		if c.RequireParam != "" {
			if _, ok := params[c.RequireParam]; !ok {
				return permFailed("")
			}
		}
		return checkPrivs(g, aclPath(c.Path, params), c.Privs, c.Any)
	case "userid-group":
		// privileges on all groups cover every user; per-group ACLs are not modelled
		if checkPrivs(g, "/access/groups", c.Privs, true) == nil {
			return nil
		}
		return permFailed("/access/groups, " + strings.Join(c.Privs, "|"))
	case "userid-param":
		userid := params["userid"]
		if c.Sub == "self" {
			if userid == user {
				return nil
			}
			return permFailed("")
		}
		_, realm, _ := strings.Cut(userid, "@")
		return checkPrivs(g, "/access/realm/"+realm, []string{"Realm.AllocateUser"}, false)
	case "perm-modify":
		path := aclPath(c.Path, params)
		privs := []string{"Permissions.Modify"}
		switch {
		case strings.HasPrefix(path, "/storage/"):
			privs = append(privs, "Datastore.Allocate")
		case strings.HasPrefix(path, "/vms/"):
			privs = append(privs, "VM.Allocate")
		case strings.HasPrefix(path, "/pool/"):
			privs = append(privs, "Pool.Allocate")
		}
		return checkPrivs(g, path, privs, true)
	}
	return permFailed("")
}

// String says who may call the operation, for a person: "VM.Audit on /vms/{vmid}", "any of Sys.Audit,
// Datastore.Audit on /", "root@pam only (API tokens never)".
func (p Permission) String() string {
	var s string
	switch {
	case !p.Defined:
		return "root@pam only (API tokens never)"
	case p.Check != nil:
		s = p.Check.String()
	case p.User == "world":
		s = "anyone, without logging in"
	case p.User == "all":
		s = "any authenticated user"
	default:
		s = "nobody but root@pam"
	}
	if p.Description != "" {
		s += "; " + oneLine(p.Description)
	}
	return s
}

// String renders a check expression in words.
func (c *Check) String() string {
	if c == nil {
		return ""
	}
	switch c.Kind {
	case "perm":
		s := strings.Join(c.Privs, ", ") + " on " + c.Path
		if c.Any && len(c.Privs) > 1 {
			s = "any of " + s
		}
		if c.RequireParam != "" {
			s += " (when " + c.RequireParam + " is given)"
		}
		return s
	case "and", "or":
		parts := make([]string, len(c.Checks))
		for i, sc := range c.Checks {
			parts[i] = sc.String()
			if sc.Kind == "and" || sc.Kind == "or" {
				parts[i] = "(" + parts[i] + ")"
			}
		}
		return strings.Join(parts, " "+c.Kind+" ")
	case "userid-group":
		return "any of " + strings.Join(c.Privs, ", ") + " on /access/groups or the user's groups"
	case "userid-param":
		if c.Sub == "self" {
			return "the user itself"
		}
		return c.Sub + " on the user's realm"
	case "perm-modify":
		return "Permissions.Modify on " + c.Path
	}
	return c.Kind
}
