package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The programs a simulated guest has, for agent exec: what a person checks first in a Linux guest
// (hostname, uname, cat of /etc/os-release, df, ip addr), a shell for one-liners, and a few that tests need
// (echo, seq for a large output, sleep for a long one, true and false). A program looked up by path must be
// in one of the usual bin directories. The shell runs the first word of its script when it is one of these
// and, like dash, exits 127 for any other.

// ran is what a program did.
type ran struct {
	out, err string
	exit     int
	dur      time.Duration
}

type program func(g *guest, argv []string, input string) ran

var programs map[string]program

func init() {
	programs = map[string]program{
		"hostname": runHostname, "uname": runUname, "cat": runCat, "df": runDF, "ip": runIP,
		"sh": runShell, "bash": runShell, "echo": runEcho, "seq": runSeq, "sleep": runSleep,
		"true":  func(*guest, []string, string) ran { return ran{} },
		"false": func(*guest, []string, string) ran { return ran{exit: 1} },
		"id":    func(*guest, []string, string) ran { return ran{out: "uid=0(root) gid=0(root) groups=0(root)\n"} },
	}
}

var binDirs = []string{"/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"}

// lookProgram finds a program by name or by its path, nil when the guest has none such.
func lookProgram(name string) program {
	if !strings.Contains(name, "/") {
		return programs[name]
	}
	for _, d := range binDirs {
		if base, ok := strings.CutPrefix(name, d); ok && !strings.Contains(base, "/") {
			return programs[base]
		}
	}
	return nil
}

func runHostname(g *guest, argv []string, _ string) ran {
	if len(argv) > 1 && argv[1] == "-I" {
		var ips []string
		for _, n := range g.nics()[1:] {
			if n.ipv4 != "" {
				ips = append(ips, n.ipv4)
			}
		}
		return ran{out: strings.Join(ips, " ") + " \n"}
	}
	return ran{out: g.hostname() + "\n"}
}

func runUname(g *guest, argv []string, _ string) ran {
	sys := g.system()
	fields := map[string]string{"-s": "Linux", "-n": g.hostname(), "-r": sys.kernel, "-v": sys.kernelVersion, "-m": "x86_64", "-o": "GNU/Linux"}
	if len(argv) == 1 {
		return ran{out: "Linux\n"}
	}
	var out []string
	for _, a := range argv[1:] {
		if a == "-a" {
			out = append(out, "Linux", g.hostname(), sys.kernel, sys.kernelVersion, "x86_64", "GNU/Linux")
			continue
		}
		v, ok := fields[a]
		if !ok {
			return ran{err: fmt.Sprintf("uname: invalid option -- '%s'\nTry 'uname --help' for more information.\n", strings.TrimLeft(a, "-")), exit: 1}
		}
		out = append(out, v)
	}
	return ran{out: strings.Join(out, " ") + "\n"}
}

func runCat(g *guest, argv []string, input string) ran {
	if len(argv) == 1 {
		return ran{out: input}
	}
	var r ran
	for _, f := range argv[1:] {
		switch f {
		case "/etc/os-release":
			r.out += osRelease(g.system())
		case "/etc/hostname":
			r.out += g.hostname() + "\n"
		default:
			r.err += "cat: " + f + ": No such file or directory\n"
			r.exit = 1
		}
	}
	return r
}

func osRelease(s system) string {
	return fmt.Sprintf("PRETTY_NAME=%q\nNAME=%q\nVERSION_ID=%q\nVERSION=%q\nID=%s\n", s.pretty, s.name, s.versionID, s.version, s.id)
}

func runDF(g *guest, argv []string, _ string) ran {
	human := len(argv) > 1 && strings.Contains(strings.Join(argv[1:], " "), "h")
	size := func(n int64) string {
		if !human {
			return strconv.FormatInt(n/1024, 10)
		}
		return humanSize(n)
	}
	var b strings.Builder
	head := "1K-blocks"
	if human {
		head = "Size"
	}
	fmt.Fprintf(&b, "%-15s %9s %6s %6s %4s %s\n", "Filesystem", head, "Used", "Avail", "Use%", "Mounted on")
	for _, f := range g.filesystems() {
		pct := int((f.used*100 + f.total - 1) / max(f.total, 1))
		fmt.Fprintf(&b, "%-15s %9s %6s %6s %3d%% %s\n", f.dev, size(f.total), size(f.used), size(f.total-f.used), pct, f.mountpoint)
	}
	return ran{out: b.String()}
}

// humanSize writes a size as df -h does: one decimal below 10, powers of 1024.
func humanSize(n int64) string {
	units := "KMGTP"
	f := float64(n)
	u := -1
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u < 0 {
		return strconv.FormatInt(n, 10)
	}
	if f < 10 {
		return strconv.FormatFloat(f, 'f', 1, 64) + string(units[u])
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + string(units[u])
}

func runIP(g *guest, argv []string, _ string) ran {
	v4only := false
	obj := ""
	for _, a := range argv[1:] {
		switch {
		case a == "-4":
			v4only = true
		case strings.HasPrefix(a, "-"):
		case obj == "":
			obj = a
		}
	}
	if obj != "a" && obj != "addr" && obj != "address" {
		return ran{err: fmt.Sprintf("Object %q is unknown, try \"ip help\".\n", obj), exit: 1}
	}
	var b strings.Builder
	for i, n := range g.nics() {
		flags, mtu, qdisc, state := "BROADCAST,MULTICAST,UP,LOWER_UP", 1500, "fq_codel", "UP"
		if n.name == "lo" {
			flags, mtu, qdisc, state = "LOOPBACK,UP,LOWER_UP", 65536, "noqueue", "UNKNOWN"
		}
		fmt.Fprintf(&b, "%d: %s: <%s> mtu %d qdisc %s state %s group default qlen 1000\n", i+1, n.name, flags, mtu, qdisc, state)
		if !v4only {
			kind := "ether"
			if n.name == "lo" {
				kind = "loopback"
			}
			fmt.Fprintf(&b, "    link/%s %s brd ff:ff:ff:ff:ff:ff\n", kind, n.mac)
		}
		if n.ipv4 != "" {
			scope := "global " + n.name
			if n.name == "lo" {
				scope = "host lo"
			}
			fmt.Fprintf(&b, "    inet %s/%d scope %s\n       valid_lft forever preferred_lft forever\n", n.ipv4, n.prefix4, scope)
		}
		if !v4only && n.ipv6 != "" {
			fmt.Fprintf(&b, "    inet6 %s/%d scope link\n       valid_lft forever preferred_lft forever\n", n.ipv6, n.prefix6)
		}
	}
	return ran{out: b.String()}
}

// runShell runs `sh -c SCRIPT` (or the script on stdin): the script's first word, with the words after it as
// arguments, when it is a program the guest has; exit N; else dash's "not found" and 127.
func runShell(g *guest, argv []string, input string) ran {
	script := input
	if len(argv) > 2 && argv[1] == "-c" {
		script = argv[2]
	}
	words := strings.Fields(script)
	if len(words) == 0 {
		return ran{}
	}
	if words[0] == "exit" {
		n := 0
		if len(words) > 1 {
			n, _ = strconv.Atoi(words[1])
		}
		return ran{exit: n & 0xff}
	}
	run := lookProgram(words[0])
	if run == nil {
		return ran{err: "sh: 1: " + words[0] + ": not found\n", exit: 127}
	}
	return run(g, words, "")
}

func runEcho(_ *guest, argv []string, _ string) ran {
	return ran{out: strings.Join(argv[1:], " ") + "\n"}
}

// runSeq prints FIRST..LAST, one a line, up to qemu-ga's output cap.
func runSeq(_ *guest, argv []string, _ string) ran {
	nums := make([]int, 0, 2)
	for _, a := range argv[1:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			return ran{err: fmt.Sprintf("seq: invalid floating point argument: ‘%s’\n", a), exit: 1}
		}
		nums = append(nums, n)
	}
	first, last := 1, 0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	default:
		return ran{err: "seq: missing operand\n", exit: 1}
	}
	var b strings.Builder
	for i := first; i <= last && b.Len() <= maxExecOutput; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return ran{out: b.String()}
}

func runSleep(_ *guest, argv []string, _ string) ran {
	if len(argv) < 2 {
		return ran{err: "sleep: missing operand\n", exit: 1}
	}
	f, err := strconv.ParseFloat(argv[1], 64)
	if err != nil || f < 0 {
		return ran{err: fmt.Sprintf("sleep: invalid time interval ‘%s’\n", argv[1]), exit: 1}
	}
	return ran{dur: time.Duration(f * float64(time.Second))}
}
