package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"layerlab/db"
	"layerlab/handlers"
	"layerlab/lessons"
)

// serveOptions are serve's flags: where to listen, how cookies and the hub's URL are
// made, and the server's limits (handlers.Limits, one flag per field).
type serveOptions struct {
	addr      string
	secure    bool
	publicURL string
	lessons   string // a directory of more lessons (docs/lessons.md), "" for the built-in ones
	// noEngineAPI: --engine-api=false, no Docker Engine API under /ws/<token>/
	// (handlers.Deps.NoEngineAPI); the zero options serve it, as the flag's default.
	noEngineAPI bool
	limits      handlers.Limits
}

// serveFlags defines serve's flags on a FlagSet, with handlers.DefaultLimits as the
// defaults --help shows. The order of definition is the order of the help.
func serveFlags(o *serveOptions) (*flag.FlagSet, []string) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by serve, in Docker's words
	o.addr = "127.0.0.1:8080"
	o.limits = handlers.DefaultLimits()
	l := &o.limits
	var order []string
	def := func(name string) { order = append(order, name) }
	fs.StringVar(&o.addr, "addr", o.addr, "Address to listen on")
	def("addr")
	fs.BoolVar(&o.secure, "secure-cookies", false, "Mark the session and flash cookies Secure (set it when the playground is served over HTTPS)")
	def("secure-cookies")
	fs.StringVar(&o.publicURL, "public-url", "", "The server's URL as clients reach it (https://lab.example.org), named by the hub's login challenge (default: the address a client connected to)")
	def("public-url")
	fs.StringVar(&o.lessons, "lessons", "", "A directory of lesson files (*.yaml, the format of docs/lessons.md) offered besides the built-in lessons")
	def("lessons")
	fs.Var((*onSwitch)(&o.noEngineAPI), "engine-api", "Serve the Docker Engine API of each workspace under /ws/<token>/, for the docker CLI "+
		"(the lines are on the playground page and from layerlab context); --engine-api=false turns it off (default true)")
	def("engine-api")
	fs.Var((*byteSize)(&l.WorkspaceQuota), "workspace-quota", "Bytes stored that only one workspace uses (layers, configs, context files), checked before a build, pull, push or upload writes")
	def("workspace-quota")
	fs.Var((*positiveInt)(&l.MaxBuilds), "max-builds", fmt.Sprintf("Builds the server runs at once; more wait in a queue "+
		"(default: one per CPU, at least 2; %d here)", l.MaxBuilds))
	def("max-builds")
	fs.Var((*positiveInt)(&l.BuildsPerMinute), "builds-per-minute", "Builds one workspace may start per minute")
	def("builds-per-minute")
	fs.Var((*positiveInt)(&l.KeepBuilds), "keep-builds", "Builds (and their events) a workspace keeps; older ones are trimmed")
	def("keep-builds")
	fs.Var((*duration)(&l.IdleExpiry), "idle-expiry", "Remove a workspace, its images and builds, after it has not been used for this long (Go duration, or days: 30d)")
	def("idle-expiry")
	fs.Var((*positiveInt)(&l.NewWorkspacesPerMinute), "new-workspaces-per-minute", "Workspaces one client address (IPv4 address, IPv6 /64) may start per minute")
	def("new-workspaces-per-minute")
	fs.Var((*positiveInt)(&l.UploadSessions), "upload-sessions", "Hub upload sessions open at once in one namespace")
	def("upload-sessions")
	fs.Var((*byteSize)(&l.UploadBytes), "upload-bytes", "Bytes one hub upload session may receive")
	def("upload-bytes")
	fs.Var((*positiveInt)(&l.WatchersPerBuild), "watchers-per-build", "Open event streams (websockets, replays) of one build")
	def("watchers-per-build")
	fs.Var((*positiveInt)(&l.WatchersPerWorkspace), "watchers-per-workspace", "Open event streams of one workspace")
	def("watchers-per-workspace")
	fs.Var((*positiveInt)(&l.TransferSlots), "transfer-slots", "Pulls and pushes the server runs at once")
	def("transfer-slots")
	fs.Var((*positiveInt)(&l.TransfersPerWorkspace), "transfers-per-workspace", "Transfer slots one workspace may hold")
	def("transfers-per-workspace")
	fs.Var((*byteSize)(&l.LibraryBytes), "library-bytes", "Bytes of the hub's library/ stand-ins made on demand; past it the least recently pulled are evicted, to be made again when asked for")
	def("library-bytes")
	return fs, order
}

// serveUsage is serve's --help: each flag with its type and default, in Docker's layout.
func serveUsage() string {
	var o serveOptions
	fs, order := serveFlags(&o)
	type row struct{ left, help string }
	var rows []row
	width := 0
	for _, name := range order {
		f := fs.Lookup(name)
		left := "--" + name
		if t := flagType(f); t != "" {
			left += " " + t
		}
		help := f.Usage
		if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(help, "(default") {
			if _, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok {
				if t := flagType(f); t == "string" {
					help += fmt.Sprintf(" (default %q)", f.DefValue)
				} else {
					help += " (default " + f.DefValue + ")"
				}
			}
		}
		rows = append(rows, row{left, help})
		width = max(width, len(left))
	}
	var b strings.Builder
	b.WriteString("Usage:  layerlab serve [OPTIONS]\n\nServe the playground in the browser (what \"layerlab\" with no command does)\n\nOptions:\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "      %-*s   %s\n", width, r.left, r.help)
	}
	b.WriteString("\nSizes take a unit: 2GiB, 512MiB (binary), 2GB (decimal), or 2g (binary, as docker's --memory).\n")
	return b.String()
}

// flagType is the word the help shows after a flag's name: what its value is.
func flagType(f *flag.Flag) string {
	switch f.Value.(type) {
	case *byteSize:
		return "bytes"
	case *positiveInt:
		return "int"
	case *duration:
		return "duration"
	case interface{ IsBoolFlag() bool }:
		return ""
	}
	return "string"
}

// parseServeArgs reads serve's command line; a usage error is an exitError 125, as
// Docker's, and --help prints the usage (help true).
func parseServeArgs(args []string) (o serveOptions, help bool, err error) {
	fs, _ := serveFlags(&o)
	usageErr := func(msg string) error {
		return &exitError{code: 125, msg: msg + "\nSee 'layerlab serve --help'."}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, true, nil
		}
		// The flag package's words ("flag provided but not defined: -x", "invalid
		// value ... for flag -x") become Docker's.
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			return o, false, usageErr("unknown flag or argument: " + dashes(args, name))
		}
		rest, ok := strings.CutPrefix(msg, "invalid value ")
		if !ok { // a boolean flag's (--engine-api=maybe): "invalid boolean value V for -x: ..."
			if rest, ok = strings.CutPrefix(msg, "invalid boolean value "); ok {
				rest = strings.Replace(rest, " for -", " for flag -", 1)
			}
		}
		if ok {
			if v, after, ok := strings.Cut(rest, " for flag -"); ok {
				name, why, _ := strings.Cut(after, ": ")
				return o, false, usageErr(fmt.Sprintf("invalid argument %s for \"--%s\" flag: %s", v, name, why))
			}
		}
		if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
			return o, false, usageErr("flag needs an argument: --" + name)
		}
		return o, false, usageErr(msg)
	}
	if fs.NArg() > 0 {
		return o, false, usageErr("unknown flag or argument: " + fs.Arg(0))
	}
	if o.publicURL != "" {
		u, perr := url.Parse(o.publicURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return o, false, usageErr(fmt.Sprintf("invalid argument %q for \"--public-url\" flag: "+
				"want the server's root URL as clients reach it, such as https://lab.example.org or http://10.0.0.5:8080", o.publicURL))
		}
	}
	return o, false, nil
}

// dashes is the flag as the user typed it ("--x" or "-x"), for the error message.
func dashes(args []string, name string) string {
	for _, a := range args {
		if n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); n == strings.TrimLeft(name, "-") && strings.HasPrefix(a, "-") {
			return strings.SplitN(a, "=", 2)[0]
		}
	}
	return "--" + strings.TrimLeft(name, "-")
}

// serve runs the playground's HTTP server until ctx is done (serveOn).
func (c *cli) serve(ctx context.Context, args []string) error {
	o, help, err := parseServeArgs(args)
	if err != nil {
		return err
	}
	if help {
		fmt.Fprint(c.stdout, serveUsage())
		return nil
	}
	store, err := db.Open(ctx, c.dataDir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", c.dataDir, err)
	}
	c.store = store
	ln, err := net.Listen("tcp", o.addr)
	if err != nil { // nothing started yet: run's cli.close closes the store
		return &exitError{code: 1, msg: fmt.Sprintf("layerlab: cannot listen on %s: %v\nPick another address with --addr HOST:PORT.", o.addr, err)}
	}
	return c.serveOn(ctx, loopbackTunedListener{ln}, o) // smaller send buffers for loopback peers (listener.go)
}

// serveOn serves the playground on ln with c.store and o's options until ctx is done or the server
// fails, and on either way out shuts down in order: stop accepting and let requests
// finish, cancel and record running builds and transfers, close the websocket fan-out
// (handlers' Close), then close the store. A failing server is no excuse to skip a
// step: the database must not close under a build that is still writing to it.
func (c *cli) serveOn(ctx context.Context, ln net.Listener, o serveOptions) error {
	// The teacher link (teacher.go), printed with the address: made before the server
	// starts, so a store that cannot make its secret stops nothing half-started.
	base := "http://" + ln.Addr().String()
	if o.publicURL != "" {
		base = strings.TrimRight(o.publicURL, "/")
	}
	set, lerr := lessons.Builtin()
	if lerr == nil && o.lessons != "" {
		set, lerr = lessons.LoadDir(o.lessons)
	}
	if lerr != nil {
		ln.Close()
		return fmt.Errorf("--lessons: %w", lerr)
	}
	teacherLink, lerr := handlers.TeacherLink(ctx, c.store, base)
	if lerr != nil {
		ln.Close() // the store: run's cli.close
		return lerr
	}
	log := slog.New(slog.NewTextHandler(c.stderr, nil))
	h := handlers.New(handlers.Deps{Store: c.store, Log: log, Secure: o.secure,
		PublicURL: strings.TrimRight(o.publicURL, "/"), Limits: o.limits, Lessons: set, NoEngineAPI: o.noEngineAPI})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      0, // websockets stream for as long as a build runs; they set their own deadlines
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(c.stdout, "layerlab: the playground is at http://%s/ (data in %s; Ctrl+C stops)\n", ln.Addr(), c.dataDir)
	fmt.Fprintln(c.stdout, teacherLinkLine(teacherLink))
	if o.noEngineAPI {
		fmt.Fprintln(c.stdout, "layerlab: the Docker Engine API is off (--engine-api=false): no docker CLI reaches a workspace")
	} else {
		fmt.Fprintln(c.stdout, "layerlab: your own docker CLI: a browser's lines are on its playground page (\"Use your own docker CLI\"); "+
			"the command line's workspace's: "+c.contextCommand(ln.Addr().String(), o.publicURL))
	}
	if o.secure && o.publicURL != "" && strings.HasPrefix(o.publicURL, "http://") {
		fmt.Fprintln(c.stdout, "layerlab: --secure-cookies with an http:// --public-url: browsers send Secure cookies only over HTTPS, so sessions will not stick")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	served := false // Serve has returned (its error is in err)
	select {
	case serr := <-errc:
		err, served = fmt.Errorf("serve: %w", serr), true
	case <-ctx.Done():
		fmt.Fprintln(c.stdout, "layerlab: shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(err, srv.Shutdown(sctx)) // websockets are hijacked: h.Close cancels their builds' streams
	err = errors.Join(err, h.Close(sctx))
	if !served {
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("serve: %w", serr))
		}
	}
	if cerr := c.store.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	c.store = nil // closed: cli.close has nothing left to do
	return err
}

// onSwitch is a boolean flag that is on by default, stored as its off switch (true
// when off), so that the zero serveOptions has it on.
type onSwitch bool

func (o *onSwitch) String() string   { return strconv.FormatBool(!bool(*o)) }
func (o *onSwitch) IsBoolFlag() bool { return true }

func (o *onSwitch) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*o = onSwitch(!v)
	return nil
}

// positiveInt is an int flag that must be at least 1: a limit of 0 would otherwise
// silently mean its default.
type positiveInt int

func (p *positiveInt) String() string { return strconv.Itoa(int(*p)) }

func (p *positiveInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 1 {
		return errors.New("must be at least 1")
	}
	*p = positiveInt(n)
	return nil
}

// byteSize is a size flag: a number of bytes with an optional unit (2GiB, 512MiB,
// 2GB, 2g, 1048576).
type byteSize int64

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return errors.New("want a size such as 2GiB, 512MiB, 2GB or a number of bytes")
	}
	n := v * mult
	if n < 1 || n > math.MaxInt64/2 || math.IsNaN(n) {
		return errors.New("must be at least 1 byte and at most 4 EiB")
	}
	*b = byteSize(n)
	return nil
}

// duration is a duration flag that also takes whole days (30d), and must be positive.
type duration time.Duration

func (d *duration) String() string {
	v := time.Duration(*d)
	if v > 0 && v%time.Hour == 0 {
		return fmt.Sprintf("%dh", v/time.Hour)
	}
	return v.String()
}

func (d *duration) Set(s string) error {
	var v time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100*365 {
			return errors.New("want a duration such as 720h or 30d")
		}
		v = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			return errors.New("want a duration such as 720h or 30d")
		}
	}
	if v <= 0 {
		return errors.New("must be more than 0")
	}
	*d = duration(v)
	return nil
}
