package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Target is one cluster the server acts on: the name a call gives in its cluster argument, its own client
// (its own URL, token, TLS and guest index), and the operator's settings for it, which only narrow the
// server's.
type Target struct {
	Name   string
	Client *pve.Client
	// ReadOnly refuses every write to this cluster (read_only in the targets file).
	ReadOnly bool
	// Destructive lets destructive tools act on this cluster when PROXMOX_ENABLE_DESTRUCTIVE=1 is set too
	// (enable_destructive in the targets file). The one cluster configured from the environment has it.
	Destructive bool
}

// DefaultTarget is the name of the one cluster configured from the environment.
const DefaultTarget = "default"

// ArgCluster is the argument that chooses the cluster, declared only when a targets file names the clusters;
// AllClusters is its value for every cluster at once, on the tools that take it.
const (
	ArgCluster  = "cluster"
	AllClusters = "*"
)

// clusters is how calls choose their cluster.
type clusters struct {
	all    []*Target
	byName map[string]*Target
	// fallback is the cluster of a call that names none: the only one, or the targets file's default_target;
	// nil when a call must name one.
	fallback *Target
	// declared is set when a targets file is in use: the schemas declare the cluster argument. With the one
	// cluster of the environment nothing is declared and tools/list stays as it was.
	declared bool
}

func newClusters(o Options) (*clusters, error) {
	cs := &clusters{byName: map[string]*Target{}}
	targets := o.Targets
	if len(targets) == 0 {
		if o.Client == nil {
			return nil, errors.New("tools: a client or targets are required")
		}
		targets = []Target{{Name: DefaultTarget, Client: o.Client, Destructive: true}}
	} else {
		cs.declared = true
	}
	for i := range targets {
		t := targets[i]
		switch {
		case t.Client == nil:
			return nil, fmt.Errorf("tools: target %q has no client", t.Name)
		case t.Name == "" || t.Name == AllClusters:
			return nil, fmt.Errorf("tools: target name %q is not allowed", t.Name)
		case cs.byName[t.Name] != nil:
			return nil, fmt.Errorf("tools: target %q given twice", t.Name)
		}
		cs.all = append(cs.all, &t)
		cs.byName[t.Name] = &t
	}
	switch {
	case o.DefaultTarget != "":
		if cs.fallback = cs.byName[o.DefaultTarget]; cs.fallback == nil {
			return nil, fmt.Errorf("tools: the default target %q is not a target", o.DefaultTarget)
		}
	case len(cs.all) == 1:
		cs.fallback = cs.all[0]
	}
	return cs, nil
}

func (cs *clusters) names() []string {
	out := make([]string, len(cs.all))
	for i, t := range cs.all {
		out[i] = t.Name
	}
	return out
}

// spread marks a tool that takes cluster "*": it asks every cluster at once and merges their answers.
func spread(d Def) Def {
	d.spread = true
	return d
}

// schema adds the cluster argument to a tool's input schema, first, when a targets file is in use.
func (cs *clusters) schema(d Def, s *jsonschema.Schema) {
	if cs == nil || !cs.declared {
		return
	}
	p := &jsonschema.Schema{Type: "string", Description: "Target cluster"}
	for _, n := range cs.names() {
		p.Enum = append(p.Enum, n)
	}
	if d.spread {
		p.Enum = append(p.Enum, AllClusters)
		p.Description = "Target cluster, * for all"
	}
	s.Properties[ArgCluster] = p
	s.PropertyOrder = append([]string{ArgCluster}, s.PropertyOrder...)
	if cs.fallback == nil {
		s.Required = append([]string{ArgCluster}, s.Required...)
	}
}

// choose takes the cluster argument out of a call's arguments and says which clusters the call acts on, or
// why it names none. Without a targets file there is no cluster argument: one that is sent is left for the
// strict decoding to refuse as unknown, as before.
func (cs *clusters) choose(d Def, args object) ([]*Target, error) {
	if !cs.declared {
		return cs.all, nil
	}
	raw, given := args[ArgCluster]
	delete(args, ArgCluster)
	raw = bytes.TrimSpace(raw)
	if !given || string(raw) == "null" {
		if cs.fallback == nil {
			return nil, cs.problem(d, "cluster is required (%s)")
		}
		return []*Target{cs.fallback}, nil
	}
	var name string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &name) != nil {
		return nil, cs.problem(d, "cluster: got "+describe(raw)+"; expected %s")
	}
	if name == AllClusters {
		if !d.spread {
			return nil, cs.problem(d, "cluster: * is for lists, status and recent tasks; this tool acts on one cluster: %s")
		}
		return cs.all, nil
	}
	if t := cs.byName[name]; t != nil {
		return []*Target{t}, nil
	}
	return nil, cs.problem(d, "cluster: got "+showValue(name)+"; expected %s")
}

// problem is an argument error about the cluster; %s in format becomes what the tool accepts.
func (cs *clusters) problem(d Def, format string) error {
	accepted := "one of " + strings.Join(cs.names(), ", ")
	if d.spread {
		accepted += ", or * for all"
	}
	return &ArgError{Problems: []string{fmt.Sprintf(format, accepted)}}
}

// gateCluster is what the gate knows of the cluster a call acts on: nil for several at once (only reads take
// "*") or none.
func gateCluster(ts []*Target) *gate.Cluster {
	if len(ts) != 1 {
		return nil
	}
	return &gate.Cluster{Name: ts[0].Name, ReadOnly: ts[0].ReadOnly, Destructive: ts[0].Destructive}
}

// reply is one cluster's part of a call that asked several.
type reply[T any] struct {
	target *Target
	val    T
	err    error
}

// each asks every cluster of the call at once, one goroutine each, and returns their answers in the clusters'
// order. With one cluster it asks it directly.
func each[T any](ctx context.Context, c *call, f func(ctx context.Context, cl *pve.Client) (T, error)) []reply[T] {
	out := make([]reply[T], len(c.targets))
	if len(c.targets) == 1 {
		v, err := f(ctx, c.targets[0].Client)
		out[0] = reply[T]{c.targets[0], v, err}
		return out
	}
	var wg sync.WaitGroup
	for i, t := range c.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := f(ctx, t.Client)
			out[i] = reply[T]{t, v, err}
		}()
	}
	wg.Wait()
	return out
}

// unanswered is a cluster that did not answer a call that asked several: down, or refusing the token.
type unanswered struct {
	Cluster string `json:"cluster"`
	Error   string `json:"error"`
}

// split separates the clusters that answered from those that did not. When none answered, the error says
// why for each (with one cluster, its own error as it is).
func split[T any](as []reply[T]) (ok []reply[T], failed []unanswered, err error) {
	for _, a := range as {
		if a.err != nil {
			failed = append(failed, unanswered{Cluster: a.target.Name, Error: explainIn(a.err, true)})
			continue
		}
		ok = append(ok, a)
	}
	if len(ok) == 0 && len(as) > 0 {
		if len(as) == 1 {
			return nil, nil, as[0].err
		}
		none := &noneAnswered{}
		for _, a := range as {
			none.names, none.errs = append(none.names, a.target.Name), append(none.errs, a.err)
		}
		return nil, nil, none
	}
	return ok, failed, nil
}

// several reports whether a call asks more than one cluster: its results name the cluster of every row.
func (c *call) several() bool { return len(c.targets) > 1 }

// writeUnanswered appends the clusters that did not answer to a summary, on lines of their own.
func writeUnanswered(b *strings.Builder, failed []unanswered) {
	if len(failed) == 0 {
		return
	}
	names := make([]string, len(failed))
	for i, f := range failed {
		names[i] = f.Cluster
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "Not answered (%s), the other clusters did:", strings.Join(names, ", "))
	for _, f := range failed {
		fmt.Fprintf(b, "\n%s: %s", f.Cluster, f.Error)
	}
}
