package main

import "strings"

// runners are programs that run other programs, chosen by their arguments: allowing one in PROXMOX_EXEC_ALLOW
// allows every command, as root where the guest agent runs as root. Reviewed by what each can start.
var runners = nameSet(
	// shells, and multi-call binaries that carry one
	"sh bash dash zsh ash ksh mksh csh tcsh fish busybox toybox",
	// interpreters, and editors and pagers with a command that runs a program (awk's system(), GNU sed's e,
	// ed's, vi's and less's !)
	"python pypy perl ruby php node nodejs lua luajit tclsh wish expect awk gawk mawk nawk sed ed ex vi vim nvim emacs less more man",
	// wrappers that run the program their arguments name
	"env nice nohup timeout time stdbuf setsid chrt ionice taskset flock watch script xargs find parallel strace ltrace gdb valgrind",
	"prlimit numactl setarch linux32 linux64 cgexec chpst start-stop-daemon unbuffer fakeroot faketime ssh-agent dbus-run-session",
	// database shells with a shell escape (psql's and mysql's \!, sqlite3's .shell), package runners (npx)
	"psql mysql mariadb sqlite npx",
	// other users, namespaces and roots (ip netns exec NS PROGRAM, nsenter, chroot)
	"sudo su sg doas pkexec runuser setpriv capsh runcon ip nsenter unshare chroot bwrap firejail systemd-run systemd-nspawn",
	// containers, and tools with command hooks (tar --to-command, rsync -e, ssh's remote command, git aliases,
	// make recipes, apt and dpkg hooks, socat EXEC:, nc -e, at and cron jobs)
	"docker podman nerdctl kubectl crictl ctr runc lxc-attach tar zip rsync ssh scp git make socat nc ncat netcat screen tmux at batch crontab apt apt-get dpkg",
	// Windows guests
	"cmd powershell pwsh wscript cscript mshta rundll32 regsvr32 wsl",
)

func nameSet(groups ...string) map[string]bool {
	set := map[string]bool{}
	for _, g := range groups {
		for _, name := range strings.Fields(g) {
			set[name] = true
		}
	}
	return set
}

// runsOthers reports whether an allowlist entry names a program that runs other programs: its base name (after
// the last '/' or '\'), in any case, without ".exe" or a version suffix (python3.11, perl5.36).
func runsOthers(entry string) bool {
	name := strings.ToLower(entry[strings.LastIndexAny(entry, `/\`)+1:])
	name = strings.TrimSuffix(name, ".exe")
	return runners[name] || runners[strings.TrimRight(name, "0123456789.")]
}
