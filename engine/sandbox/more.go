package sandbox

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"layerlab/engine/rootfs"

	"mvdan.cc/sh/v3/syntax"
)

// addMoreCommands registers the everyday commands beyond the first coreutils subset:
// checksums, archives, text tools, awk, expr and process stand-ins.
func addMoreCommands(m map[string]cmdFunc) {
	for k, v := range map[string]cmdFunc{
		"md5sum": cmdSum, "sha1sum": cmdSum, "sha256sum": cmdSum, "sha512sum": cmdSum,
		"base64": cmdBase64, "expr": cmdExpr, "awk": cmdAwk, "gawk": cmdAwk, "mawk": cmdAwk, "nawk": cmdAwk,
		"tar": cmdTar, "gzip": cmdGzip, "gunzip": cmdGzip, "zcat": cmdGzip,
		"tac": cmdTac, "rev": cmdRev, "nl": cmdNl, "paste": cmdPaste, "comm": cmdComm, "cmp": cmdCmp,
		"diff": cmdDiff, "fold": cmdFold, "od": cmdOd, "hexdump": cmdHexdump, "hd": cmdHexdump, "xxd": cmdXxd,
		"install": cmdInstall, "truncate": cmdTruncate, "split": cmdSplit, "unlink": cmdUnlink, "link": cmdLink,
		"mkfifo": cmdMkfifo, "mknod": cmdMkfifo, "timeout": cmdTimeout, "nice": cmdNice, "nohup": cmdNice,
		"time": cmdTime, "getent": cmdGetent, "ps": cmdPs, "kill": cmdKill, "free": cmdFree, "df": cmdDf,
		"arch": cmdArch, "usleep": cmdUsleep, "watch": cmdRefuse, "chroot": cmdRefuse, "mount": cmdRefuse,
		"umount": cmdRefuse, "logname": cmdLogname, "groups": cmdGroups, "tty": cmdTty,
		"dnsdomainname": func(p *proc) int { return 0 }, "hostid": func(p *proc) int { p.outf("007f0101\n"); return 0 },
		"uptime": cmdUptime, "clear": func(p *proc) int { return 0 },
	} {
		m[k] = v
	}
}

// Process IDs: Docker runs RUN's /bin/sh -c as PID 1 of a fresh PID namespace; later
// shells get the next free IDs. The interpreter's own $$ and $PPID would be the host's.
const (
	varPID  = "\x00layerlab-pid"
	varPPID = "\x00layerlab-ppid"
)

// nextPID numbers a new shell: 1 for the first, then 7, 8, ... (a few IDs go to the
// processes a real container starts in between), with its parent's ID.
func (s *session) nextPID() (pid, ppid int) {
	n := int(s.pids.Add(1))
	if n == 1 {
		return 1, 0
	}
	return n + 5, 1
}

// Internal command names of the `time` keyword: the interpreter would print wall-clock
// times to stdout; the sandbox prints the virtual clock to stderr.
const (
	cmdTimeStart = "\x00time-start"
	cmdTimeEnd   = "\x00time-end"
)

func litWord(s string) *syntax.Word {
	return &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{Value: s}}}
}

// rewriteScript makes a parsed script deterministic: $$ and $PPID read the sandbox's
// process IDs, and `time CMD` becomes `{ start; CMD; end $?; }`.
func rewriteScript(file *syntax.File) {
	syntax.Walk(file, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.ParamExp:
			if x.Param != nil {
				switch x.Param.Value {
				case "$":
					x.Param = &syntax.Lit{ValuePos: x.Param.ValuePos, ValueEnd: x.Param.ValueEnd, Value: varPID}
				case "PPID":
					x.Param = &syntax.Lit{ValuePos: x.Param.ValuePos, ValueEnd: x.Param.ValueEnd, Value: varPPID}
				}
			}
		case *syntax.Stmt:
			tc, ok := x.Cmd.(*syntax.TimeClause)
			if !ok {
				return true
			}
			endArgs := []*syntax.Word{litWord(cmdTimeEnd),
				{Parts: []syntax.WordPart{&syntax.ParamExp{Short: true, Param: &syntax.Lit{Value: "?"}}}}}
			if tc.PosixFormat {
				endArgs = append(endArgs, litWord("-p"))
			}
			stmts := []*syntax.Stmt{{Cmd: &syntax.CallExpr{Args: []*syntax.Word{litWord(cmdTimeStart)}}}}
			if tc.Stmt != nil {
				stmts = append(stmts, tc.Stmt)
			} else {
				stmts = append(stmts, &syntax.Stmt{Cmd: &syntax.CallExpr{Args: []*syntax.Word{litWord("true")}}})
			}
			stmts = append(stmts, &syntax.Stmt{Cmd: &syntax.CallExpr{Args: endArgs}})
			x.Cmd = &syntax.Block{Stmts: stmts}
		}
		return true
	})
}

// timeClause is the start or the end of a rewritten `time` clause.
func (p *proc) timeClause(start bool) int {
	s := p.s
	if start {
		s.timeMu.Lock()
		s.timeStack = append(s.timeStack, time.Duration(s.virtual.Load()))
		s.timeMu.Unlock()
		return 0
	}
	s.timeMu.Lock()
	var began time.Duration
	if n := len(s.timeStack); n > 0 {
		began, s.timeStack = s.timeStack[n-1], s.timeStack[:n-1]
	}
	s.timeMu.Unlock()
	code, _ := strconv.Atoi(firstArg(p.args))
	p.printTimes(time.Duration(s.virtual.Load())-began, len(p.args) > 1 && p.args[1] == "-p")
	return code
}

func firstArg(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

// printTimes reports a command's times on stderr: busybox's time applet format, or
// bash's `time` keyword (real is the virtual clock; user and sys are zero).
func (p *proc) printTimes(real time.Duration, posix bool) {
	secs := real.Seconds()
	switch {
	case posix:
		fmt.Fprintf(p.errw, "real %.2f\nuser 0.00\nsys 0.00\n", secs)
	case p.s.busybox:
		m := int(secs) / 60
		fmt.Fprintf(p.errw, "real\t%dm %.2fs\nuser\t0m 0.00s\nsys\t0m 0.00s\n", m, secs-float64(m*60))
	default:
		m := int(secs) / 60
		fmt.Fprintf(p.errw, "\nreal\t%dm%.3fs\nuser\t0m0.000s\nsys\t0m0.000s\n", m, secs-float64(m*60))
	}
}

// cmdTime is the time applet (/usr/bin/time): run the command, then print its times.
func cmdTime(p *proc) int {
	args := p.args
	posix := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-p" {
			posix = true
		} else if args[0] == "--" {
			args = args[1:]
			break
		} else {
			p.errf("%s", p.pick("unrecognized option '"+args[0]+"'", "invalid option -- '"+strings.TrimLeft(args[0], "-")+"'"))
			return 2
		}
		args = args[1:]
	}
	began := time.Duration(p.s.virtual.Load())
	code := 0
	if len(args) > 0 {
		c := *p
		c.name, c.args = args[0], args[1:]
		code = c.dispatchChild()
	}
	p.printTimes(time.Duration(p.s.virtual.Load())-began, posix)
	return code
}

// vdeadline is a `timeout` in force: the virtual time its command must finish by.
type vdeadline struct {
	at     int64 // virtual nanoseconds
	hit    atomic.Bool
	parent *vdeadline
}

type vdeadlineKey struct{}

// vsleep advances the virtual clock by d, stopping at the nearest `timeout` deadline:
// the command is then killed by SIGTERM (exit 143).
func (p *proc) vsleep(d time.Duration) int {
	var first *vdeadline
	dl, _ := p.ctx.Value(vdeadlineKey{}).(*vdeadline)
	for ; dl != nil; dl = dl.parent {
		if first == nil || dl.at < first.at {
			first = dl
		}
	}
	now := p.s.virtual.Load()
	if first != nil && now+int64(d) > first.at {
		if first.at > now && p.s.sleep(time.Duration(first.at-now)) != nil {
			return 137
		}
		first.hit.Store(true)
		return 143
	}
	if p.s.sleep(d) != nil {
		return 137
	}
	return 0
}

// parseDuration reads sleep/timeout durations: a decimal number with an optional
// s, m, h or d suffix.
func parseDuration(a string) (time.Duration, bool) {
	unit := time.Second
	switch {
	case strings.HasSuffix(a, "s"):
		a = strings.TrimSuffix(a, "s")
	case strings.HasSuffix(a, "m"):
		a, unit = strings.TrimSuffix(a, "m"), time.Minute
	case strings.HasSuffix(a, "h"):
		a, unit = strings.TrimSuffix(a, "h"), time.Hour
	case strings.HasSuffix(a, "d"):
		a, unit = strings.TrimSuffix(a, "d"), 24*time.Hour
	}
	f, err := strconv.ParseFloat(a, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, false
	}
	return time.Duration(f * float64(unit)), true
}

// cmdTimeout runs a command under a deadline on the virtual clock (and, for busy
// loops, the same real time). GNU timeout exits 124 when it fires; busybox's timeout
// execs the command and kills it, so the shell sees 143 (SIGTERM).
func cmdTimeout(p *proc) int {
	args := p.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		a := args[0]
		switch {
		case a == "--":
			args = args[1:]
			goto done
		case a == "-s" || a == "-k" || a == "--signal" || a == "--kill-after":
			if len(args) < 2 {
				p.errf("option requires an argument -- '%s'", strings.TrimLeft(a, "-"))
				return 125
			}
			args = args[2:]
			continue
		case strings.HasPrefix(a, "-s") || strings.HasPrefix(a, "-k") || strings.HasPrefix(a, "--signal=") ||
			strings.HasPrefix(a, "--kill-after=") || a == "--preserve-status" || a == "--foreground" || a == "-v" || a == "--verbose":
		default:
			p.errf("%s", p.pick("unrecognized option '"+a+"'", "invalid option -- '"+strings.TrimLeft(a, "-")+"'"))
			return 125
		}
		args = args[1:]
	}
done:
	if len(args) < 2 {
		if len(args) == 0 {
			p.errf("missing operand")
		} else {
			p.errf("missing operand after '%s'", args[0])
		}
		return 125
	}
	d, ok := parseDuration(args[0])
	if !ok {
		p.errf("invalid time interval '%s'", args[0])
		return 125
	}
	parent, _ := p.ctx.Value(vdeadlineKey{}).(*vdeadline)
	dl := &vdeadline{at: p.s.virtual.Load() + int64(d), parent: parent}
	ctx, cancel := context.WithTimeout(context.WithValue(p.ctx, vdeadlineKey{}, dl), max(d, time.Millisecond))
	defer cancel()
	c := *p
	c.ctx, c.name, c.args = ctx, args[1], args[2:]
	code := c.dispatchChild()
	if p.ctx.Err() != nil || p.s.limitErr() != nil {
		return code
	}
	if dl.hit.Load() || ctx.Err() != nil {
		if p.s.busybox {
			return 143
		}
		return 124
	}
	return code
}

// cmdNice and cmdNohup just run the command: priorities and hangups mean nothing here.
func cmdNice(p *proc) int {
	args := p.args
	for len(args) > 0 {
		a := args[0]
		if p.name == "nice" && (a == "-n" || a == "--adjustment") && len(args) > 1 {
			args = args[2:]
			continue
		}
		if p.name == "nice" && len(a) > 1 && a[0] == '-' && (strings.HasPrefix(a, "-n") || strings.Trim(a[1:], "0123456789-") == "") {
			args = args[1:]
			continue
		}
		if a == "--" {
			args = args[1:]
		}
		break
	}
	if len(args) == 0 {
		if p.name == "nice" {
			p.outf("0\n")
			return 0
		}
		p.errf("missing operand")
		return 125
	}
	c := *p
	c.name, c.args = args[0], args[1:]
	code := c.dispatchChild()
	if code == 127 && p.name == "nohup" {
		return 127
	}
	return code
}

// cmdUsleep sleeps for microseconds on the virtual clock.
func cmdUsleep(p *proc) int {
	if len(p.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	n, err := strconv.ParseUint(p.args[0], 10, 63)
	if err != nil {
		p.errf("invalid number '%s'", p.args[0])
		return 1
	}
	return p.vsleep(time.Duration(n) * time.Microsecond)
}

// cmdRefuse answers the commands the sandbox cannot honour with a clear message.
func cmdRefuse(p *proc) int {
	switch p.name {
	case "mount", "umount":
		if p.name == "mount" && len(p.args) == 0 {
			p.outf("overlay on / type overlay (rw,relatime)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\ntmpfs on /dev type tmpfs (rw,nosuid,size=65536k,mode=755)\n")
			return 0
		}
		p.errf("permission denied (the playground sandbox has no mounts)")
		return 1
	case "chroot":
		if len(p.args) == 0 {
			p.errf("missing operand")
			return 125
		}
		p.errf("cannot change root directory to '%s': Operation not permitted (the playground sandbox does not run chroot)", p.args[0])
		return 125
	case "watch":
		p.errf("the playground sandbox does not run watch: a build step cannot repeat a command forever (use a loop with sleep)")
		return 1
	}
	return p.notSimulated(p.name)
}

// cmdMkfifo refuses named pipes and device nodes: the sandbox's filesystem has none.
func cmdMkfifo(p *proc) int {
	f := parseFlags(p.args, "mZ")
	if len(f.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	what := "fifo"
	if p.name == "mknod" {
		what = "special file"
	}
	p.errf("cannot create %s '%s': Operation not supported (the playground sandbox has no named pipes or device files)", what, f.args[0])
	return 1
}

func cmdArch(p *proc) int { p.outf("x86_64\n"); return 0 }

func cmdTty(p *proc) int { p.outf("not a tty\n"); return 1 }

func cmdLogname(p *proc) int {
	p.errf("%s", p.pick("getlogin: No such device or address", "no login name"))
	return 1
}

func cmdUptime(p *proc) int {
	t := p.s.now().UTC()
	p.outf(" %s up 1 day,  2:03,  0 users,  load average: 0.08, 0.03, 0.01\n", t.Format("15:04:05"))
	return 0
}

func cmdGroups(p *proc) int {
	uid := p.s.uid
	if len(p.args) > 0 {
		u, ok := p.s.userByName(p.args[0])
		if !ok {
			p.errf("%s", p.pick("unknown user "+p.args[0], "'"+p.args[0]+"': no such user"))
			return 1
		}
		uid = u.uid
	}
	gid := p.s.gid
	name := p.userName(uid)
	if u, ok := p.s.userByID(uid); ok && uid != p.s.uid {
		gid = u.gid
	}
	out := []string{p.groupName(gid)}
	for _, g := range p.s.groups() {
		if g.gid == gid {
			continue
		}
		for _, m := range g.members {
			if m == name {
				out = append(out, g.name)
			}
		}
	}
	p.outf("%s\n", strings.Join(out, " "))
	return 0
}

// cmdHostnameOpts prints the container's hostname; setting it is not permitted.
func cmdHostnameOpts(p *proc) int {
	f := parseFlags(p.args, "F")
	switch {
	case f.has('i', "ip-address"), f.has('I', "all-ip-addresses"):
		p.outf("172.17.0.2\n")
		return 0
	case f.has('d', "domain"):
		p.outf("\n")
		return 0
	case f.has('F', "file") || len(f.args) > 0:
		p.errf("%s", p.pick("sethostname: Operation not permitted", "you must be root to change the host name"))
		return 1
	}
	p.outf("%s\n", p.s.hostname)
	return 0
}

// cmdGetent looks entries up in the image's /etc files.
func cmdGetent(p *proc) int {
	if len(p.args) == 0 {
		p.errf("wrong number of arguments")
		return 1
	}
	db, keys := p.args[0], p.args[1:]
	file := map[string]string{"passwd": "/etc/passwd", "group": "/etc/group", "hosts": "/etc/hosts",
		"services": "/etc/services", "protocols": "/etc/protocols", "shadow": "/etc/shadow"}[db]
	if file == "" {
		fmt.Fprintf(p.errw, "Unknown database: %s\n", db)
		return 1
	}
	if db == "shadow" && p.s.uid != 0 {
		return 2
	}
	b, _ := p.s.readRaw(file)
	if db == "hosts" && len(b) == 0 {
		b = []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, l)
		}
	}
	if len(keys) == 0 {
		for _, l := range lines {
			p.outf("%s\n", l)
		}
		return 0
	}
	code := 0
	for _, k := range keys {
		found := false
		for _, l := range lines {
			var match bool
			switch db {
			case "passwd", "group", "shadow":
				f := strings.Split(l, ":")
				match = f[0] == k || (len(f) > 2 && db != "shadow" && f[2] == k)
			default:
				for _, w := range strings.Fields(strings.SplitN(l, "#", 2)[0]) {
					if w == k || (db == "services" && strings.HasPrefix(w, k+"/")) {
						match = true
					}
				}
			}
			if match {
				p.outf("%s\n", l)
				found = true
				break
			}
		}
		if !found {
			code = 2
		}
	}
	return code
}

// cmdPs lists the processes of the RUN container: its shell (PID 1) and ps itself.
func cmdPs(p *proc) int {
	cmdline := strings.Join(p.s.opt.Argv, " ")
	user := p.userName(p.s.uid)
	self := int(p.s.pids.Load()) + 6
	if p.s.busybox {
		p.outf("PID   USER     TIME  COMMAND\n")
		p.outf("%5d %-8s  0:00 %s\n", 1, user, cmdline)
		p.outf("%5d %-8s  0:00 %s\n", self, user, strings.Join(append([]string{"ps"}, p.args...), " "))
		return 0
	}
	f := parseFlags(p.args, "opu")
	if f.has('e') || f.has('A') || f.has('f') || strings.Contains(strings.Join(p.args, ""), "aux") {
		if strings.Contains(strings.Join(p.args, ""), "u") || f.has('f') {
			p.outf("USER         PID %%CPU %%MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
			p.outf("%-8s       1  0.0  0.0   2480   512 ?        Ss   %s   0:00 %s\n", user, p.s.opt.Now.UTC().Format("15:04"), cmdline)
			p.outf("%-8s   %5d  0.0  0.0   8100  3968 ?        R    %s   0:00 ps %s\n", user, self, p.s.opt.Now.UTC().Format("15:04"), strings.Join(p.args, " "))
			return 0
		}
	}
	p.outf("    PID TTY          TIME CMD\n")
	p.outf("      1 ?        00:00:00 %s\n", pathBase(p.s.opt.Argv[0]))
	p.outf("%7d ?        00:00:00 ps\n", self)
	return 0
}

// cmdKill signals processes. The only processes are the container's shells: PID 1
// ignores signals it has no handler for, so signalling it succeeds and does nothing.
func cmdKill(p *proc) int {
	args := p.args
	if len(args) > 0 && (args[0] == "-l" || args[0] == "-L") {
		p.outf("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH POLL PWR SYS\n")
		return 0
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--" {
		if args[0] == "-s" || args[0] == "-n" {
			if len(args) < 2 {
				p.errf("option requires an argument -- '%s'", args[0][1:])
				return 1
			}
			args = args[1:]
		}
		args = args[1:]
	} else if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		p.errf("%s", p.pick("usage: kill [-s SIG | -SIG] PID...", "usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]"))
		return 1
	}
	maxPID := int(p.s.pids.Load()) + 5
	code := 0
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			p.errf("%s", p.pick("bad pid '"+a+"'", "illegal pid: "+a))
			code = 1
			continue
		}
		if n == 1 || n == 0 || n == -1 || (n >= 7 && n <= maxPID) {
			continue
		}
		p.errf("%s", p.pick("can't kill pid "+a+": No such process", "("+a+") - No such process"))
		code = 1
	}
	return code
}

// cmdFree prints a fixed, realistic memory summary (an 8 GiB host, no swap use).
func cmdFree(p *proc) int {
	f := parseFlags(p.args, "s")
	type row struct{ total, used, free, shared, cache, avail int64 }
	mem := row{8039920, 1043688, 5163700, 11812, 1832532, 6694736}
	swap := row{2097148, 0, 2097148, 0, 0, 0}
	unit := int64(1)
	switch {
	case f.has('m', "mebi"):
		unit = 1024
	case f.has('g', "gibi"):
		unit = 1024 * 1024
	case f.has('b', "bytes"):
		unit = -1
	}
	conv := func(n int64) string {
		switch {
		case f.has('h', "human"):
			v := float64(n) * 1024
			for _, u := range []string{"B", "Ki", "Mi", "Gi"} {
				if v < 1024 || u == "Gi" {
					if u == "B" {
						return fmt.Sprintf("%.0f%s", v, u)
					}
					return fmt.Sprintf("%.1f%s", v, u)
				}
				v /= 1024
			}
		case unit == -1:
			return strconv.FormatInt(n*1024, 10)
		}
		return strconv.FormatInt(n/unit, 10)
	}
	w := 13 // first column ends at 19 (busybox) or 20 (procps)
	if !p.s.busybox {
		w = 14
	}
	head := fmt.Sprintf("%*s%12s%12s%12s%12s%12s\n", w+6, "total", "used", "free", "shared", "buff/cache", "available")
	p.outf("%s", head)
	p.outf("Mem:  %*s%12s%12s%12s%12s%12s\n", w, conv(mem.total), conv(mem.used), conv(mem.free), conv(mem.shared), conv(mem.cache), conv(mem.avail))
	p.outf("Swap: %*s%12s%12s\n", w, conv(swap.total), conv(swap.used), conv(swap.free))
	return 0
}

// cmdDf prints the container's mounts with fixed, realistic numbers.
func cmdDf(p *proc) int {
	f := parseFlags(p.args, "tBx")
	type mnt struct {
		fs                 string
		blocks, used, free int64
		pct                int
		on                 string
	}
	mounts := []mnt{
		{"overlay", 61255492, 21398248, 36715988, 37, "/"},
		{"tmpfs", 65536, 0, 65536, 0, "/dev"},
		{"shm", 65536, 0, 65536, 0, "/dev/shm"},
		{"/dev/sda1", 61255492, 21398248, 36715988, 37, "/etc/hosts"},
	}
	if len(f.args) > 0 {
		var sel []mnt
		for _, a := range f.args {
			ap := p.abs(a)
			if !p.s.exists(ap) {
				p.errf("%s", p.pick(a+": can't find mount point", a+": No such file or directory"))
				return 1
			}
			m := mounts[0]
			if ap == "/dev" || ap == "/dev/shm" {
				m = map[string]mnt{"/dev": mounts[1], "/dev/shm": mounts[2]}[ap]
			}
			sel = append(sel, m)
		}
		mounts = sel
	}
	human := f.has('h', "human-readable")
	size := func(kb int64) string {
		if !human {
			if f.has('m') {
				return strconv.FormatInt(kb/1024, 10)
			}
			return strconv.FormatInt(kb, 10)
		}
		if kb == 0 {
			return "0"
		}
		v := float64(kb)
		for _, u := range []string{"K", "M", "G", "T"} {
			if v < 1024 {
				if v < 10 && u != "K" {
					return fmt.Sprintf("%.1f%s", v, u)
				}
				return fmt.Sprintf("%.0f%s", v, u)
			}
			v /= 1024
		}
		return fmt.Sprintf("%.0fP", v)
	}
	col := "1K-blocks"
	if human {
		col = "Size"
	} else if f.has('m') {
		col = "1M-blocks"
	}
	if p.s.busybox {
		p.outf("%-20s %9s %9s %9s %3s%% %s\n", "Filesystem", col, "Used", "Available", "Use", "Mounted on")
		for _, m := range mounts {
			p.outf("%-20s %9s %9s %9s %3d%% %s\n", m.fs, size(m.blocks), size(m.used), size(m.free), m.pct, m.on)
		}
		return 0
	}
	p.outf("%-14s %9s %8s %9s %4s %s\n", "Filesystem", col, "Used", "Available"[:map[bool]int{true: 5, false: 9}[human]], "Use%", "Mounted on")
	for _, m := range mounts {
		p.outf("%-14s %9s %8s %9s %3d%% %s\n", m.fs, size(m.blocks), size(m.used), size(m.free), m.pct, m.on)
	}
	return 0
}

// cmdInstall copies files with a mode and owner, or creates directories (-d).
func cmdInstall(p *proc) int {
	f := parseFlags(p.args, "mogtSZ")
	mode := fs.FileMode(0o755)
	if v, ok := f.val['m']; ok {
		m, ok := applyMode(v, 0o755, false)
		if !ok {
			p.errf("invalid mode '%s'", v)
			return 1
		}
		mode = m
	}
	uid, gid := p.s.uid, p.s.gid
	if v, ok := f.val['o']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			uid = n
		} else if u, ok := p.s.userByName(v); ok {
			uid = u.uid
		} else {
			p.errf("%s", p.pick("unknown user "+v, "invalid user '"+v+"'"))
			return 1
		}
	}
	if v, ok := f.val['g']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			gid = n
		} else if g, ok := p.s.groupByName(v); ok {
			gid = g.gid
		} else {
			p.errf("%s", p.pick("unknown group "+v, "invalid group '"+v+"'"))
			return 1
		}
	}
	if (uid != p.s.uid || gid != p.s.gid) && p.s.uid != 0 {
		p.errf("cannot change ownership: Operation not permitted")
		return 1
	}
	if f.has('d', "directory") {
		if len(f.args) == 0 {
			p.errf("missing operand")
			return 1
		}
		code := 0
		for _, d := range f.args {
			ap := p.abs(d)
			err := p.s.withFS(func(fsys *rootfs.FS) error {
				if err := p.s.checkCreate(fsys, ap); err != nil {
					if e, _, serr := fsys.Stat(ap); serr != nil || e.Kind != rootfs.KindDir {
						return err
					}
				}
				if err := fsys.MkdirAll(ap, 0o755, uid, gid, p.s.now()); err != nil {
					return err
				}
				e, k, err := fsys.Stat(ap)
				if err != nil {
					return err
				}
				c := e.Clone()
				c.Mode, c.UID, c.GID = mode, uid, gid
				return fsys.Put(k, c)
			})
			if err != nil {
				p.errf("%s", p.pick("can't create directory '"+d+"': "+errno(err), "cannot create directory '"+d+"': "+errno(err)))
				code = 1
			}
		}
		return code
	}
	files := f.args
	target, hasT := f.val['t']
	if !hasT {
		if len(files) < 2 {
			if len(files) == 0 {
				p.errf("missing file operand")
			} else {
				p.errf("missing destination file operand after '%s'", files[0])
			}
			return 1
		}
		target, files = files[len(files)-1], files[:len(files)-1]
	}
	tabs := p.abs(target)
	if f.has('D') {
		dir := tabs
		if !hasT && len(files) == 1 {
			dir = tabs[:strings.LastIndex(tabs, "/")+1]
		}
		p.s.withFS(func(fsys *rootfs.FS) error { return fsys.MkdirAll(dir, 0o755, p.s.uid, p.s.gid, p.s.now()) })
	}
	te, terr := p.s.stat(tabs)
	isDir := terr == nil && te.Kind == rootfs.KindDir
	if len(files) > 1 && !isDir {
		p.errf("target '%s' is not a directory", target)
		return 1
	}
	code := 0
	for _, src := range files {
		data, err := p.readFile(src)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+src+"': "+errno(err), "cannot stat '"+src+"': "+errno(err)))
			code = 1
			continue
		}
		dst := tabs
		if isDir {
			dst = joinPath(tabs, pathBase(src))
		}
		if err := p.s.account(int64(len(data))); err != nil {
			return 1
		}
		err = p.s.withFS(func(fsys *rootfs.FS) error {
			if err := p.s.checkCreate(fsys, dst); err != nil {
				return err
			}
			if e, _, err := fsys.Lstat(dst); err == nil && e.Kind != rootfs.KindDir {
				fsys.Remove(dst)
			}
			return fsys.WriteFile(dst, rootfs.Bytes(data), mode, uid, gid, p.s.now())
		})
		if err != nil {
			p.errf("%s", p.pick("can't create '"+dst+"': "+errno(err), "cannot create regular file '"+dst+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

// cmdTruncate sets file sizes (-s N, +N, -N); missing files are created unless -c.
func cmdTruncate(p *proc) int {
	f := parseFlags(p.args, "sr")
	spec, ok := f.val['s']
	if v, ok2 := f.long["size"]; ok2 {
		spec, ok = v, true
	}
	if !ok {
		p.errf("you must specify either '--size' or '--reference'")
		return 1
	}
	if len(f.args) == 0 {
		p.errf("missing file operand")
		return 1
	}
	rel := byte(0)
	if spec != "" && (spec[0] == '+' || spec[0] == '-') {
		rel, spec = spec[0], spec[1:]
	}
	n, valid := parseSizeStrict(spec)
	if !valid {
		p.errf("invalid number: '%s'", spec)
		return 1
	}
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		old, err := p.readFile(name)
		if err != nil && !isNotExist(err) {
			p.errf("%s", p.pick("'"+name+"': "+errno(err), "cannot open '"+name+"' for writing: "+errno(err)))
			code = 1
			continue
		}
		if err != nil && f.has('c', "no-create") {
			continue
		}
		size := n
		switch rel {
		case '+':
			size = int64(len(old)) + n
		case '-':
			size = max(int64(len(old))-n, 0)
		}
		if size > p.s.lim.MaxWrite {
			p.s.setLimit(writeLimit(p.s.lim.MaxWrite))
			return 1
		}
		data := make([]byte, size)
		copy(data, old)
		mode := fs.FileMode(0o644)
		if e, err := p.s.stat(ap); err == nil {
			mode = e.Mode
		}
		if err := p.s.writeFile(ap, rootfs.Bytes(data), mode); err != nil {
			p.errf("%s", p.pick("'"+name+"': "+errno(err), "cannot open '"+name+"' for writing: "+errno(err)))
			code = 1
		}
	}
	return code
}

func isNotExist(err error) bool { return err != nil && errno(err) == "No such file or directory" }

// parseSizeStrict reads 10, 1K, 2M, 1G, 512KB, 1KiB.
func parseSizeStrict(v string) (int64, bool) {
	mult := int64(1)
	v = strings.TrimSuffix(strings.TrimSuffix(v, "iB"), "B")
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'b':
			mult = 512
		}
		if mult != 1 {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, false
	}
	return n * mult, true
}

// cmdUnlink removes one file (never a directory).
func cmdUnlink(p *proc) int {
	if len(p.args) != 1 {
		if len(p.args) == 0 {
			p.errf("missing operand")
		} else {
			p.errf("extra operand '%s'", p.args[1])
		}
		return 1
	}
	name := p.args[0]
	ap := p.abs(name)
	err := p.s.withFS(func(fsys *rootfs.FS) error {
		e, _, err := fsys.Lstat(ap)
		if err != nil {
			return err
		}
		if e.Kind == rootfs.KindDir {
			return rootfs.ErrIsDir
		}
		if err := p.s.checkRemove(fsys, ap); err != nil {
			return err
		}
		return fsys.Remove(ap)
	})
	if err != nil {
		p.errf("%s", p.pick("can't remove '"+name+"': "+errno(err), "cannot unlink '"+name+"': "+errno(err)))
		return 1
	}
	return 0
}

// cmdLink makes a hard link: link FILE1 FILE2.
func cmdLink(p *proc) int {
	if len(p.args) != 2 {
		if len(p.args) < 2 {
			p.errf("missing operand")
		} else {
			p.errf("extra operand '%s'", p.args[2])
		}
		return 1
	}
	if e, err := p.s.lstat(p.abs(p.args[1])); err == nil && e != nil {
		p.errf("cannot create link '%s' to '%s': File exists", p.args[1], p.args[0])
		return 1
	}
	if _, err := p.s.stat(p.abs(p.args[0])); err != nil {
		p.errf("cannot create link '%s' to '%s': %s", p.args[1], p.args[0], errno(err))
		return 1
	}
	c := *p
	c.name, c.args = "ln", []string{p.args[0], p.args[1]}
	var sink strings.Builder
	c.errw = &sink
	if code := cmdLn(&c); code != 0 {
		p.errf("cannot create link '%s' to '%s': %s", p.args[1], p.args[0], strings.TrimSpace(sink.String()[strings.LastIndex(sink.String(), ": ")+2:]))
		return 1
	}
	return 0
}

// builtinPrefix marks shell builtins the interpreter lacks, rewritten by the call handler.
const builtinPrefix = "\x00builtin-"

// shellBuiltin runs kill, umask, ulimit, jobs and disown as the shell would.
func shellBuiltin(p *proc) int {
	switch p.name {
	case "kill":
		return cmdKill(p)
	case "umask":
		// Modes of created files are not affected: the sandbox creates files 0644 and
		// directories 0755, as under the default umask 022.
		if len(p.args) == 0 {
			p.outf("0022\n")
			return 0
		}
		if p.args[0] == "-S" {
			p.outf("u=rwx,g=rx,o=rx\n")
			return 0
		}
		if _, err := strconv.ParseUint(p.args[0], 8, 32); err != nil {
			if _, ok := applyMode(p.args[0], 0, false); !ok {
				fmt.Fprintf(p.errw, "/bin/sh: umask: %s: invalid mode\n", p.args[0])
				return 1
			}
		}
		return 0
	case "ulimit":
		if len(p.args) == 0 || (len(p.args) == 1 && strings.HasPrefix(p.args[0], "-")) {
			switch firstArg(p.args) {
			case "-n":
				p.outf("1048576\n")
			case "-u":
				p.outf("unlimited\n")
			case "-s":
				p.outf("8192\n")
			case "-a":
				p.outf("core file size (blocks)         0\nfile size (blocks)              unlimited\nopen files                      1048576\nstack size (kbytes)             8192\nmax user processes              unlimited\n")
			default:
				p.outf("unlimited\n")
			}
		}
		return 0
	}
	return 0
}
