package sandbox

// Processes as a script sees them: deterministic process IDs ($$, $PPID, ps), kill,
// nice and nohup, and the shell builtins the interpreter lacks (kill, umask, ulimit).

import (
	"fmt"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

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
