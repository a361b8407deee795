package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Running a program in a VM goes through its guest agent: exec starts it and answers a process id, and
// exec-status tells when it has ended, with its exit code and output. The gate has let the call through only
// with confirm, the operator's PROXMOX_ENABLE_EXEC=1 and a program PROXMOX_EXEC_ALLOW names. The command is an
// argv array: no shell parses it, so nothing in an argument can start a second command.

type execArgs struct {
	vmidArg
	Command []string `json:"command" arg:"required" maxlen:"4096" example:"df|-h" desc:"Program, then its arguments"`
	Input   string   `json:"input" maxlen:"65536" desc:"Standard input"`
	Timeout int      `json:"timeout" min:"1" max:"600" desc:"Seconds, default 30"`
	writeArgs
}

// Bounds on what an exec returns: the end of each stream, where a command says how it ended.
const (
	maxOutBytes = 8 << 10
	maxOutLines = 200
	maxArgv     = 64
)

type execResult struct {
	writeResult
	ExitCode *int   `json:"exitcode,omitempty"`
	Stdout   string `json:"stdout,omitempty"`
	Stderr   string `json:"stderr,omitempty"`
	PID      int    `json:"pid,omitempty" out:"-"`
	// OutBytes and ErrBytes are the streams' whole lengths; Cut says the result keeps only their ends.
	OutBytes int  `json:"stdout_bytes,omitempty" out:"-"`
	ErrBytes int  `json:"stderr_bytes,omitempty" out:"-"`
	Cut      bool `json:"truncated,omitempty"`
	program  string
	argv     string // the command as a JSON array, for the dry run's text
}

func (r *execResult) Summary() string {
	var b strings.Builder
	what := fmt.Sprintf("%s in %s", inline(r.program, maxName), r.Target.ref())
	switch {
	case r.Status == "dry_run":
		// the command goes as repeated values, one per element: shown as the array it is
		fmt.Fprintf(&b, "Dry run of running %s in %s: nothing was sent. It would send %s %s with command=%s.\n%s",
			inline(r.program, maxName), r.Target.ref(), r.Request.Method, r.Request.Path, clean(r.argv, 1000), r.Note)
		return b.String()
	case r.Status == "running":
		fmt.Fprintf(&b, "Still running after %.0fs: %s (pid %d in the guest). It goes on in the guest; its output can no longer be collected here. %s", r.Seconds, what, r.PID, inlineLegend)
		if r.Note != "" {
			b.WriteString("\n" + r.Note)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "Ran %s: exit code %d in %.1fs. %s", what, *r.ExitCode, r.Seconds, inlineLegend)
	if r.Cut {
		fmt.Fprintf(&b, " Output cut to its last lines (stdout %s, stderr %s in all).", fmtBytes(int64(r.OutBytes)), fmtBytes(int64(r.ErrBytes)))
	}
	b.WriteByte('\n')
	for _, s := range []struct{ name, text string }{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
		if s.text != "" {
			fence(&b, s.name, strings.Split(s.text, "\n"))
		}
	}
	if r.Stdout == "" && r.Stderr == "" {
		b.WriteString("No output.\n")
	}
	if r.Note != "" {
		b.WriteString(r.Note) // what became of the person's approval
	}
	return strings.TrimRight(b.String(), "\n")
}

// Failed: a command that exits non-zero is an answer, not a failure of the tool.
func (r *execResult) Failed() bool { return false }

// outcome names the program in the audit record (its arguments could hold anything, so they are not kept).
func (r *execResult) outcome() gate.Outcome {
	o := r.writeResult.outcome()
	if o.Request != "" {
		o.Request += " (program " + r.program + ")"
	}
	switch {
	case r.ExitCode != nil:
		o.Result = fmt.Sprintf("exit %d", *r.ExitCode)
	case r.Status == "running":
		o.Result = "running"
	}
	return o
}

func guestExec(ctx context.Context, e *env, c *call, a *execArgs) (*execResult, error) {
	if len(a.Command) == 0 || a.Command[0] == "" || len(a.Command) > maxArgv {
		return nil, &ArgError{Problems: []string{fmt.Sprintf("command: expected the program and up to %d arguments, as an array", maxArgv-1)}}
	}
	g, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	switch {
	case g.Type != pve.Qemu:
		return nil, &ArgError{Problems: []string{fmt.Sprintf("vmid: %d is a container; commands run through the QEMU guest agent, which only VMs have", g.VMID)}}
	case g.Template:
		return nil, &ArgError{Problems: []string{fmt.Sprintf("vmid: %d is a template, which never starts, so its guest agent never runs; clone it (proxmox_clone_resource, or proxmox_provision_vm) and run the command in the clone", g.VMID)}}
	}
	req, err := pve.ExecRequest(g.Ref(), a.Command, a.Input, a.Input != "")
	if err != nil {
		return nil, err
	}
	view := viewLocated(g)
	res := &execResult{writeResult: writeResult{action: "exec", Target: &view,
		what: fmt.Sprintf("run %s in %s", inline(clean(a.Command[0], maxName), maxName), view.ref())}, program: clean(a.Command[0], maxName)}
	argv, _ := json.Marshal(cleanAll(a.Command))
	res.argv = string(argv)
	start := time.Now()
	w, err := e.send(ctx, c, &res.writeResult, req)
	if err != nil {
		if _, ok := pve.AgentUnavailable(err); ok {
			return nil, withHint(err, agentHint(err))
		}
		return nil, err
	}
	if res.writeResult = *w; res.Status == "dry_run" {
		return res, nil
	}
	var started pve.ExecStarted
	if err := json.Unmarshal(w.answer, &started); err != nil || started.PID <= 0 {
		// The command was started, but its process id is unreadable: its end cannot be waited for.
		res.Status, res.Note = "running", "Proxmox answered the exec without a usable process id, so its end cannot be followed."
		return res, nil
	}
	res.PID = int(started.PID)
	timeout := 30 * time.Second
	if a.Timeout > 0 {
		timeout = time.Duration(a.Timeout) * time.Second
	}
	st, done, err := c.pve.WaitExec(ctx, g.Ref(), res.PID, timeout)
	res.Seconds = time.Since(start).Round(100 * time.Millisecond).Seconds()
	if err != nil {
		// The command started; only reading how it ended failed.
		res.Status = "running"
		res.Note = "Lost track of the command: " + explain(err)
		return res, nil
	}
	if !done {
		res.Status = "running"
		return res, nil
	}
	code := 0
	switch {
	case st.ExitCode != nil:
		code = int(*st.ExitCode)
	case st.Signal != nil:
		code = 128 + int(*st.Signal) // as a shell reports a process killed by a signal
	}
	res.ExitCode = &code
	res.OutBytes, res.ErrBytes = len(st.OutData), len(st.ErrData)
	var cutOut, cutErr bool
	res.Stdout, cutOut = tailText(st.OutData)
	res.Stderr, cutErr = tailText(st.ErrData)
	res.Cut = cutOut || cutErr || bool(st.OutTruncated) || bool(st.ErrTruncated)
	return res, nil
}

// tailText keeps the end of a stream, at most maxOutLines lines and maxOutBytes bytes, each line cleaned of
// escapes and invisible characters; cut reports that something was left out.
func tailText(s string) (string, bool) {
	cut := false
	if len(s) > maxOutBytes {
		s, cut = s[len(s)-maxOutBytes:], true
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:] // start at a whole line
		}
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > maxOutLines {
		lines, cut = lines[len(lines)-maxOutLines:], true
	}
	for i, l := range lines {
		lines[i] = cleanColumns(l, 500)
	}
	return strings.Join(lines, "\n"), cut
}

// cleanColumns cleans one line of a command's output as clean does, but keeps its runs of spaces (a tab
// becomes one): the columns of df or ps stay aligned.
func cleanColumns(s string, max int) string {
	s = stripEscapes(s)
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case r == '\t':
			r = ' '
		case r == utf8.RuneError || !visible(r):
			continue
		}
		if n++; n > max {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

func cleanAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = clean(s, maxValue)
	}
	return out
}

// withHint adds what to do to an error: its sentences follow the error's, and the last one ends where the
// error result's own text (explain) ends it, so the hint's final period is left to it.
func withHint(err error, hint string) error {
	return fmt.Errorf("%w. %s", err, strings.TrimSuffix(hint, "."))
}

// agentHint is what to do about an agent that did not answer.
func agentHint(err error) string {
	problem, _ := pve.AgentUnavailable(err)
	switch problem {
	case pve.AgentNotConfigured:
		return agentFixes[agentNotConfigured]
	case pve.AgentVMStopped:
		return agentFixes[agentVMStopped]
	}
	return agentFixes[agentNotRunning]
}
