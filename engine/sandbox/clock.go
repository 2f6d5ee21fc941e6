package sandbox

// Time on the sandbox's virtual clock: the `time` keyword and applet, timeout and
// usleep, and vsleep, which sleep uses too.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Internal command names of the `time` keyword: the interpreter would print wall-clock
// times to stdout; the sandbox prints the virtual clock to stderr.
const (
	cmdTimeStart = "\x00time-start"
	cmdTimeEnd   = "\x00time-end"
)

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
