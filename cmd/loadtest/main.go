// Command loadtest simulates a classroom against the playground's web server: N
// students, each in its own browser session (cookie jar, CSRF token), each editing a
// 15-instruction Dockerfile project and building it every interval, watching the build
// over the websocket as the page does. At the end it prints the builds, the errors by
// kind, the latency percentiles (build request -> first event, -> last event), and the
// server's peak memory and CPU time.
//
//	go run ./cmd/loadtest -students 100 -duration 60s -interval 3s
//
// By default it builds cmd/layerlab, starts it on a free port over a temporary data
// directory, and stops it at the end; -server-bin runs a binary already built, and -url
// targets a server already running (give -server-pid to read its memory and CPU).
//
// -class runs issue 13's classroom (class.go): a teacher opens the teacher link,
// creates a class and watches its dashboard over /ws/teach/{class}; the students join
// it by code, then build as above; the report adds the dashboard's update latency (a
// build's last event at the student -> the card showing it finished), its messages and
// bytes. With -url, give the server's teacher link with -teacher-link.
//
//	go run ./cmd/loadtest -class -students 100 -duration 60s -interval 3s
//
// The figures depend on the disk as much as on the CPU (every build commits SQLite
// transactions and fsyncs layer blobs): run `sync` first, so that the writeback of a
// previous run does not slow this one, and read the report's "machine" line, which says
// how busy the rest of the machine was.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// config is what a run does, from the flags.
type config struct {
	Students     int
	Duration     time.Duration
	Interval     time.Duration
	BuildTimeout time.Duration
	ServerBin    string
	URL          string
	ServerPID    int
	DataDir      string
	JSON         bool
	Quiet        bool
	Class        bool   // issue 13's classroom: a teacher, a class, its dashboard (class.go)
	TeacherLink  string // class mode with -url: the server's teacher link
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.Students, "students", 100, "number of simulated students (browser sessions)")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "how long the students keep editing and building")
	fs.DurationVar(&c.Interval, "interval", 3*time.Second, "time between one student's builds (an edit, then a build)")
	fs.DurationVar(&c.BuildTimeout, "build-timeout", 60*time.Second, "longest wait for a build's last event before it counts as a timeout")
	fs.StringVar(&c.ServerBin, "server-bin", "", "layerlab binary to start (default: go build ./cmd/layerlab into a temp dir)")
	fs.StringVar(&c.URL, "url", "", "target a running server at this URL instead of starting one")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "with -url: the server's process ID, to read its memory and CPU time from /proc")
	fs.StringVar(&c.DataDir, "data-dir", "", "data directory of the started server (default: a temp dir, removed at the end)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&c.Quiet, "q", false, "no progress lines on stderr")
	fs.BoolVar(&c.Class, "class", false, "a class: a teacher creates it and watches its dashboard, the students join it by code (reports the dashboard's update latency)")
	fs.StringVar(&c.TeacherLink, "teacher-link", "", "with -class and -url: the server's teacher link (layerlab teacher link prints it)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: loadtest takes flags only", fs.Arg(0))
	}
	switch {
	case c.Students < 1:
		return c, errors.New("-students must be at least 1")
	case c.Interval <= 0 || c.Duration <= 0:
		return c, errors.New("-interval and -duration must be positive")
	case c.URL != "" && (c.ServerBin != "" || c.DataDir != ""):
		return c, errors.New("-url targets a running server: -server-bin and -data-dir are for a server loadtest starts")
	case c.Class && c.URL != "" && c.TeacherLink == "":
		return c, errors.New("-class with -url needs -teacher-link: `layerlab teacher link` on the server prints it")
	case c.TeacherLink != "" && (!c.Class || c.URL == ""):
		return c, errors.New("-teacher-link is for -class with -url (a server loadtest starts prints its own)")
	}
	return c, nil
}

// run starts (or finds) the server, runs the classroom, stops the server and prints the
// report. An error is returned for a run that could not happen; a run with build errors
// still prints its report and returns nil (the report says what failed).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	_, err = loadTest(ctx, c, stdout, stderr)
	return err
}

// loadTest is run with parsed flags; it returns the report for tests.
func loadTest(ctx context.Context, c config, stdout, stderr io.Writer) (*Report, error) {
	progress := func(format string, a ...any) {
		if !c.Quiet {
			fmt.Fprintf(stderr, "loadtest: "+format+"\n", a...)
		}
	}
	var srv *server
	base := c.URL
	pid := c.ServerPID
	if base == "" {
		var err error
		srv, err = startServer(ctx, c.ServerBin, c.DataDir, progress)
		if err != nil {
			return nil, err
		}
		defer srv.cleanup()
		defer srv.stop()
		base, pid = srv.url, srv.pid
	}
	progress("server at %s (pid %d)", base, pid)

	var before procStats
	if pid > 0 {
		before, _ = readProcStats(pid)
	}
	mBefore, _ := readMachineStats()
	cl := newClassroom(base, c, progress)
	if c.Class {
		link := c.TeacherLink
		if srv != nil {
			var err error
			if link, err = srv.teacherLinkFor(ctx); err != nil {
				return nil, fmt.Errorf("class mode: %w", err)
			}
		}
		cl.class = cl.newClassSession(link)
	}
	res, err := cl.run(ctx)
	if err != nil {
		return nil, err
	}
	rep := newReport(c, base, res)
	if mAfter, err := readMachineStats(); err == nil && !mBefore.At.IsZero() {
		rep.setMachine(mBefore, mAfter)
	}
	if pid > 0 {
		after, err := readProcStats(pid)
		if err != nil {
			return nil, fmt.Errorf("read server stats: %w", err)
		}
		rep.setServer(pid, before, after)
	}
	if srv != nil {
		if err := srv.stop(); err != nil {
			rep.ServerStopError = err.Error()
		}
		rep.ServerLogErrors, rep.ServerLogSample = srv.logErrors()
	}
	rep.setLoadTool()
	if c.JSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	return rep, err
}
