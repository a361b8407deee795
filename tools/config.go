package tools

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A guest's everyday settings: CPU, memory, name, description (the notes), tags, start at boot, and a VM's cloud-init. The change
// is sent with the digest of the configuration it was computed from, so a concurrent change makes Proxmox
// refuse it rather than mix the two; afterwards the guest's pending section tells which changes a running
// guest took at once and which wait for its next boot.

type configArgs struct {
	vmidArg
	Cores        int      `json:"cores" min:"1" max:"8192" desc:"CPU cores"`
	Sockets      int      `json:"sockets" min:"1" max:"16" desc:"VM sockets"`
	Memory       int      `json:"memory" min:"16" max:"4194304" desc:"MiB"`
	Balloon      *int     `json:"balloon" min:"0" max:"4194304" desc:"VM minimum MiB, 0 off"`
	Name         string   `json:"name" check:"dnsname" desc:"New name"`
	Description  *string  `json:"description" maxlen:"8192" desc:"Notes text"`
	Tags         []string `json:"tags" check:"tag" example:"k8s|lab" desc:"Replace tags"`
	OnBoot       *bool    `json:"onboot" desc:"Start at boot"`
	CIUser       string   `json:"ciuser" maxlen:"32" desc:"Cloud-init user"`
	SSHKeys      *string  `json:"sshkeys" maxlen:"16384" desc:"Cloud-init SSH keys"`
	IPConfig     []string `json:"ipconfig" maxlen:"256" example:"ip=dhcp" desc:"Per NIC: ip=dhcp or ip=A/N,gw=G"`
	Nameserver   string   `json:"nameserver" maxlen:"256" desc:"DNS servers"`
	SearchDomain string   `json:"searchdomain" maxlen:"256" desc:"DNS search domains"`
	writeArgs
}

// ciUserPattern is a user name cloud-init can create: a Linux login name.
var ciUserPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// configChange is one option before and after, and when it takes effect.
type configChange struct {
	Key    string `json:"key"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Effect is live (a running guest has it now), pending (a running guest gets it at its next boot),
	// stopped (the guest is stopped: it has it when it starts) or, for a VM's cloud-init option that Proxmox
	// wrote to the config at once, next_boot (the config has it; cloud-init gives it to the guest at its next
	// boot); empty in a dry run.
	Effect string `json:"effect,omitempty"`
}

// cloudInitKey reports whether a VM option reaches the guest through cloud-init (at its next boot).
func cloudInitKey(key string) bool {
	return strings.HasPrefix(key, "ci") || key == "sshkeys" || strings.HasPrefix(key, "ipconfig") || key == "nameserver" || key == "searchdomain"
}

type configResult struct {
	writeResult
	Changes []configChange `json:"changes"`
	// descRunes are the lengths of the whole description before and after (its change shows them capped).
	descRunes [2]int
}

func (r *configResult) Summary() string {
	var b strings.Builder
	switch r.Status {
	case "dry_run":
		fmt.Fprintf(&b, "Dry run of a change to %s: nothing was sent. It would send %s %s, changing:", r.Target.ref(), r.Request.Method, r.Request.Path)
	default:
		fmt.Fprintf(&b, "Changed %s:", r.Target.ref())
	}
	for _, ch := range r.Changes {
		before, after := shownValue(ch.Before), shownValue(ch.After)
		if ch.Key == "description" {
			before, after = notesShown(ch.Before, r.descRunes[0]), notesShown(ch.After, r.descRunes[1])
		}
		fmt.Fprintf(&b, "\n%s: %s → %s", ch.Key, before, after)
		ci := r.Target.Type == string(pve.Qemu) && cloudInitKey(ch.Key)
		switch {
		case ch.Effect == "live":
			b.WriteString(" (live now)")
		case ch.Effect == "next_boot":
			b.WriteString(" (in the config now; cloud-init gives it to the guest at its next boot)")
		case ch.Effect == "pending" && ci:
			b.WriteString(" (pending until the next boot: proxmox_reboot_resource applies it, and cloud-init gives it to the guest then)")
		case ch.Effect == "pending":
			b.WriteString(" (pending until the next boot: proxmox_reboot_resource applies it)")
		case ch.Effect == "stopped" && ci:
			b.WriteString(" (in the config now; cloud-init gives it to the guest when it starts)")
		case ch.Effect == "stopped":
			b.WriteString(" (the guest is stopped: it has it when it starts)")
		case ci:
			b.WriteString(" (cloud-init gives it to the guest at its next boot)")
		}
	}
	b.WriteString("\n" + inlineLegend)
	if r.Note != "" {
		b.WriteString("\n" + r.Note)
	}
	return b.String()
}

// notesShown quotes a description as cluster text, capped, with its whole length when it was cut.
func notesShown(s string, runes int) string {
	if s == "" {
		return "(none)"
	}
	q := inline(s, maxNotesShown+1)
	if runes > maxNotesShown {
		q += fmt.Sprintf(" (%d characters)", runes)
	}
	return q
}

// maxNotesShown caps a description in a change's before and after.
const maxNotesShown = 80

// shownValue quotes a value unless it is empty or one of the few plain forms an option takes.
func shownValue(s string) string {
	if s == "" {
		return "(none)"
	}
	if plainConfig(s) && len(s) <= 64 {
		return s
	}
	return inline(s, 120)
}

// options turns the arguments into option values, checking what the schema leaves unchecked; unset ones are
// absent. A tags list of [] deletes the tags, and a description of "" the notes.
func (a *configArgs) options() (set map[string]string, del []string, err error) {
	var problems []string
	set = map[string]string{}
	num := func(key string, v int) {
		if v != 0 {
			set[key] = strconv.Itoa(v)
		}
	}
	num("cores", a.Cores)
	num("sockets", a.Sockets)
	num("memory", a.Memory)
	if a.Balloon != nil {
		set["balloon"] = strconv.Itoa(*a.Balloon)
	}
	if a.Name != "" {
		set["name"] = a.Name
	}
	switch {
	case a.Description == nil:
	case *a.Description == "":
		del = append(del, "description") // "" clears the notes, as [] clears the tags
	default:
		set["description"] = *a.Description
	}
	switch {
	case a.Tags == nil:
	case len(a.Tags) == 0:
		del = append(del, "tags")
	default:
		set["tags"] = strings.Join(a.Tags, ";")
	}
	if a.OnBoot != nil {
		set["onboot"] = map[bool]string{true: "1", false: "0"}[*a.OnBoot]
	}
	if a.CIUser != "" {
		if !ciUserPattern.MatchString(a.CIUser) {
			problems = append(problems, "ciuser: expected a Linux user name (lower-case letters, digits, '_', '-')")
		}
		set["ciuser"] = a.CIUser
	}
	switch {
	case a.SSHKeys == nil:
	case strings.TrimSpace(*a.SSHKeys) == "":
		// `sshkeys="$(cat ~/.ssh/id_ed25519.pub)"` with no such file would remove every key, locking people out.
		problems = append(problems, "sshkeys: empty; give the public keys (what a .pub file holds). To remove every key on purpose, "+
			"send delete=sshkeys to the guest's config with proxmox_api_call (api toolset)")
	default:
		if err := pve.ValidSSHKeys(*a.SSHKeys); err != nil {
			problems = append(problems, argProblem("sshkeys", err))
		}
		set["sshkeys"] = pve.EncodeSSHKeys(*a.SSHKeys)
	}
	if len(a.IPConfig) > 32 {
		problems = append(problems, "ipconfig: at most 32 entries, one per NIC")
	}
	for i, ip := range a.IPConfig {
		if ip == "" {
			continue // this NIC's setting stays
		}
		if err := pve.ValidIPConfig(ip); err != nil {
			problems = append(problems, argProblem(fmt.Sprintf("ipconfig[%d]", i), err))
		}
		set["ipconfig"+strconv.Itoa(i)] = ip
	}
	if a.Nameserver != "" {
		if err := pve.ValidNameservers(a.Nameserver); err != nil {
			problems = append(problems, err.Error())
		}
		set["nameserver"] = a.Nameserver
	}
	if a.SearchDomain != "" {
		if err := pve.ValidSearchDomains(a.SearchDomain); err != nil {
			problems = append(problems, argProblem("searchdomain", err))
		}
		set["searchdomain"] = a.SearchDomain
	}
	if len(problems) > 0 {
		return nil, nil, &ArgError{Problems: problems}
	}
	return set, del, nil
}

// vmOnly are the options a container does not have.
var vmOnly = []string{"sockets", "balloon", "ciuser", "sshkeys", "ipconfig"}

func updateConfig(ctx context.Context, e *env, c *call, a *configArgs) (*configResult, error) {
	set, del, err := a.options()
	if err != nil {
		return nil, err
	}
	if len(set) == 0 && len(del) == 0 {
		return nil, &ArgError{Problems: []string{"nothing to change: give at least one setting"}}
	}
	g, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	if g.Type == pve.LXC {
		var wrong []string
		for k := range set {
			if slices.Contains(vmOnly, strings.TrimRight(k, "0123456789")) {
				wrong = append(wrong, k)
			}
		}
		if len(wrong) > 0 {
			slices.Sort(wrong)
			return nil, &ArgError{Problems: []string{fmt.Sprintf("%d is a container, which has no %s (VMs only)", g.VMID, strings.Join(wrong, ", "))}}
		}
		if name, ok := set["name"]; ok {
			delete(set, "name")
			set["hostname"] = name
		}
	}
	cfg, err := c.pve.GuestConfig(ctx, g.Ref())
	if err != nil {
		return nil, err
	}
	view := viewLocated(g)
	res := &configResult{writeResult: writeResult{action: "update config", Target: &view, what: "change the configuration of " + view.ref()},
		Changes: []configChange{}, descRunes: [2]int{utf8.RuneCountInString(cfg.String("description")), utf8.RuneCountInString(set["description"])}}
	for _, k := range sortedKeys(set) {
		if cfg.String(k) == set[k] {
			delete(set, k) // already so: not sent
			continue
		}
		res.Changes = append(res.Changes, configChange{Key: k, Before: optionText(k, cfg.String(k)), After: optionText(k, set[k])})
	}
	del = slices.DeleteFunc(del, func(k string) bool { return cfg.String(k) == "" })
	for _, k := range del {
		res.Changes = append(res.Changes, configChange{Key: k, Before: optionText(k, cfg.String(k))})
	}
	if len(res.Changes) == 0 {
		return nil, &ArgError{Problems: []string{fmt.Sprintf("nothing to change: guest %d already has these settings", g.VMID)}}
	}
	req, err := pve.ConfigRequest(g.Ref(), pve.ConfigChange{Set: set, Delete: del, Digest: cfg.String("digest")})
	if err != nil {
		return nil, err
	}
	w, err := e.send(ctx, c, &res.writeResult, req)
	if err != nil {
		return nil, err
	}
	if res.writeResult = *w; res.Status == "dry_run" {
		return res, nil
	}
	running := g.Status == "running"
	var pending map[string]bool
	if running {
		items, err := c.pve.PendingConfig(ctx, g.Ref())
		if err != nil {
			res.Note = "Written, but which changes wait for the next boot could not be read: " + explain(err)
		}
		pending = map[string]bool{}
		for _, it := range items {
			pending[it.Key] = it.IsPending()
		}
	}
	for i := range res.Changes {
		switch key := res.Changes[i].Key; {
		case !running:
			res.Changes[i].Effect = "stopped"
		case pending[key]:
			res.Changes[i].Effect = "pending"
		case res.Note == "" && g.Type == pve.Qemu && cloudInitKey(key):
			res.Changes[i].Effect = "next_boot" // in the config, not yet in the guest
		case res.Note == "":
			res.Changes[i].Effect = "live"
		}
	}
	return res, nil
}

// optionText is how an option's value is shown: keys by count, the description (multi-line notes) on one line
// capped at maxNotesShown, the rest cleaned and capped.
func optionText(key, v string) string {
	switch {
	case v == "":
		return ""
	case key == "sshkeys":
		dec, err := url.PathUnescape(v)
		if err != nil {
			dec = v
		}
		n := 0
		for _, l := range strings.Split(dec, "\n") {
			if strings.TrimSpace(l) != "" {
				n++
			}
		}
		return count(n, "key", "keys")
	case key == "description":
		return clean(v, maxNotesShown)
	}
	return clean(v, maxValue)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
