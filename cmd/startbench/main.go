// Command startbench measures proxmox-mcp's start-up: the time from spawning the binary to its answer to
// initialize, and its resident memory after tools/list, over many runs. It drives the binary over stdio like
// an MCP client does, against a simulated cluster served from this process (or the binary's own --demo).
//
//	go run ./cmd/startbench            # builds ./cmd/proxmox-mcp as the README installs it (static), 30 runs per mode
//	go run ./cmd/startbench -cgo       # the same with cgo: dynamically linked against libc
//	go run ./cmd/startbench -bin ./proxmox-mcp -runs 100
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main with an exit status instead of os.Exit, so that its deferred clean-up (the temporary build
// directory, the simulator) runs on every way out.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("startbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "", "proxmox-mcp binary (default: build ./cmd/proxmox-mcp)")
	runs := fs.Int("runs", 30, "runs per mode")
	extra := fs.String("env", "", "comma list of KEY=VALUE added to the cluster mode's environment (PROXMOX_HIDE_UNPERMITTED=0)")
	cgo := fs.Bool("cgo", false, "build with cgo (a dynamically linked binary) instead of the static build the README installs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintln(stderr, "-runs must be at least 1")
		return 2
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "startbench")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "proxmox-mcp")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/proxmox-mcp")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if *cgo {
			build.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		fmt.Fprintf(stdout, "built with %s\n", build.Env[len(build.Env)-1])
		out, err := build.CombinedOutput()
		if err != nil {
			fmt.Fprintf(stderr, "build: %v\n%s", err, out)
			return 1
		}
	}
	sim := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer sim.Close()
	real := []string{
		"PATH=" + os.Getenv("PATH"),
		"PROXMOX_URL=" + sim.URL,
		"PROXMOX_TOKEN_ID=" + pvesim.DefaultTokenID,
		"PROXMOX_TOKEN_SECRET=" + pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT=" + sim.Fingerprint,
	}
	if *extra != "" {
		real = append(real, strings.Split(*extra, ",")...)
	}
	fmt.Fprintf(stdout, "proxmox-mcp start-up, %d runs per mode, %s/%s, %d CPUs\n", *runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	for _, mode := range []struct {
		name string
		args []string
		env  []string
	}{
		{"cluster (env)", nil, real},
		{"--demo", []string{"--demo"}, []string{"PATH=" + os.Getenv("PATH")}},
	} {
		var starts []time.Duration
		var rss, anon, file []int
		for i := 0; i < *runs; i++ {
			d, m := once(*bin, mode.args, mode.env)
			starts = append(starts, d)
			rss, anon, file = append(rss, m.rss), append(anon, m.anon), append(file, m.file)
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
		sort.Ints(rss)
		sort.Ints(anon)
		sort.Ints(file)
		fmt.Fprintf(stdout, "%-14s spawn->initialize: min %v median %v p95 %v max %v | RSS after tools/list: median %.1f MiB max %.1f MiB (medians: %.1f anonymous, %.1f file)\n",
			mode.name, ms(starts[0]), ms(starts[len(starts)/2]), ms(starts[len(starts)*95/100]), ms(starts[len(starts)-1]),
			mib(rss[len(rss)/2]), mib(rss[len(rss)-1]), mib(anon[len(anon)/2]), mib(file[len(file)/2]))
	}
	return 0
}

// once spawns the binary, times initialize, sends tools/list, and reads its resident memory.
func once(bin string, args, env []string) (time.Duration, resident) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	check(err)
	stdout, err := cmd.StdoutPipe()
	check(err)
	r := bufio.NewReaderSize(stdout, 1<<20)
	start := time.Now()
	check(cmd.Start())
	send(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"startbench","version":"1"}}}`)
	line, err := r.ReadBytes('\n')
	check(err)
	took := time.Since(start)
	if !bytes.Contains(line, []byte(`"serverInfo"`)) {
		panic("unexpected answer: " + string(line))
	}
	send(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(stdin, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	line, err = r.ReadBytes('\n')
	check(err)
	if !bytes.Contains(line, []byte("proxmox_status")) {
		panic("unexpected tools/list: " + string(line[:min(200, len(line))]))
	}
	m := residentOf(cmd.Process.Pid)
	stdin.Close()
	_ = cmd.Wait()
	return took, m
}

func send(w io.Writer, msg string) {
	_, err := io.WriteString(w, msg+"\n")
	check(err)
}

// resident is a process's resident memory in KiB: all of it, and the part that is anonymous (heap, stacks)
// or file-backed (the binary's pages it touched).
type resident struct{ rss, anon, file int }

// residentOf reads a process's resident memory from /proc (Linux).
func residentOf(pid int) resident {
	var m resident
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "RssAnon:":
			m.anon = n
		case "RssFile:":
			m.file = n
		}
	}
	return m
}

func mib(kb int) float64 { return float64(kb) / 1024 }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func check(err error) {
	if err != nil {
		panic(err)
	}
}
