package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"

	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox"
)

// dispatch is what one instruction does, computed before the cache probe.
type dispatch struct {
	// containerConfig is the step's container_config: what the cache compares.
	containerConfig *image.ContainerConfig
	// apply moves the stage's config to the state after this step (hit or miss).
	apply func(st *stage)
	// run changes the filesystem; nil for metadata-only steps.
	run func(fs *rootfs.FS, container string) error
	// commit is how Docker's classic builder makes this step's image: whether the
	// step has a container ("Running in") and what its image's config records of it.
	commit    stepCommit
	sources   map[string]string
	buildArgs map[string]string
}

// stepCommit is how Docker 20.10's classic builder makes a step's image. It decides
// what the image's config says of a container, and so the image's ID: "container" and
// container_config.Hostname. Checked with a 20.10.24 daemon for every instruction,
// ONBUILD triggers included (hostname_test.go has the recording).
type stepCommit int

const (
	// commitMeta: ENV, LABEL, MAINTAINER, EXPOSE, USER, VOLUME, STOPSIGNAL, HEALTHCHECK,
	// ONBUILD, SHELL, CMD, ENTRYPOINT, ARG and WORKDIR. The builder creates a container
	// from the very config it then commits as container_config, and the daemon's
	// create fills that config's empty Hostname with the container ID's first 12
	// characters: "container" is the ID, container_config.Hostname its prefix.
	commitMeta stepCommit = iota
	// commitRun: RUN. The container is created from a copy of the config (the command
	// to run, the build args in Env); container_config is the cache probe's config,
	// which the daemon never sees: "container" is the ID, Hostname "".
	commitRun
	// commitExport: COPY and ADD. No container: the files go into a new layer that is
	// exported as the image: no "container", Hostname "", and no "Running in".
	commitExport
)

// hasContainer says whether the step runs in a container (the classic builder
// prints "Running in" and "Removing intermediate container" for it).
func (c stepCommit) hasContainer() bool { return c != commitExport }

func (r *run) prepare(st *stage, in *dockerfile.Instruction) (*dispatch, error) {
	next := st.config.Clone()
	setNext := func(st *stage) { st.config = next }
	meta := func(comment string) *dispatch {
		cc := next.Clone()
		cc.Cmd = append(append([]string{}, shellOf(next)...), "#(nop) ", comment)
		return &dispatch{containerConfig: cc, apply: setNext, commit: commitMeta}
	}
	switch in.Keyword {
	case "ENV":
		pairs, err := r.pairs(st, in.Env)
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(pairs))
		for _, kv := range pairs {
			next.SetEnv(kv.Key, kv.Value)
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return meta("ENV " + strings.Join(parts, " ")), nil
	case "LABEL":
		pairs, err := r.pairs(st, in.Label)
		if err != nil {
			return nil, err
		}
		if next.Labels == nil {
			next.Labels = map[string]string{}
		}
		s := "LABEL"
		for _, kv := range pairs {
			next.Labels[kv.Key] = kv.Value
			s += " " + kv.Key + "=" + kv.Value
		}
		return meta(s), nil
	case "MAINTAINER":
		d := meta("MAINTAINER " + in.Maintainer)
		d.apply = func(st *stage) { st.config = next; st.author = in.Maintainer }
		return d, nil
	case "EXPOSE":
		var ports []string
		for _, p := range in.Expose {
			ws, err := r.lex.Words(p, r.expandEnv(st))
			if err != nil {
				return nil, err
			}
			ports = append(ports, ws...)
		}
		if next.ExposedPorts == nil {
			next.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			keys, err := parsePort(p)
			if err != nil {
				return nil, err
			}
			for _, k := range keys {
				next.ExposedPorts[k] = struct{}{}
			}
		}
		return meta("EXPOSE " + strings.Join(ports, " ")), nil
	case "USER":
		u, err := r.word(st, in.User)
		if err != nil {
			return nil, err
		}
		next.User = u
		return meta("USER " + u), nil
	case "VOLUME":
		var vols []string
		for _, v := range in.Volume {
			v, err := r.word(st, v)
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(v) == "" {
				return nil, errors.New("VOLUME specified can not be an empty string")
			}
			vols = append(vols, v)
		}
		if next.Volumes == nil {
			next.Volumes = map[string]struct{}{}
		}
		for _, v := range vols {
			next.Volumes[v] = struct{}{}
		}
		return meta(fmt.Sprintf("VOLUME %v", vols)), nil
	case "STOPSIGNAL":
		sig, err := r.word(st, in.StopSignal)
		if err != nil {
			return nil, err
		}
		if !validSignal(sig) {
			//lint:ignore ST1005 Docker 20.10's text, word for word
			return nil, fmt.Errorf("Invalid signal: %s", sig)
		}
		next.StopSignal = sig
		return meta("STOPSIGNAL " + sig), nil
	case "HEALTHCHECK":
		h := in.Healthcheck
		hc := &image.HealthConfig{Test: []string{"NONE"}}
		if !h.None {
			hc = &image.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
		}
		var note string
		if old := st.config.Healthcheck; old != nil && len(old.Test) > 0 && old.Test[0] != "NONE" {
			note = fmt.Sprintf("Note: overriding previous HEALTHCHECK: %v", old.Test)
		}
		next.Healthcheck = hc
		// Docker prints the struct with %q: &{["CMD" "sh"] "30s" "3s" "0s" '\x00'}.
		d := meta(fmt.Sprintf("HEALTHCHECK &{%q %q %q %q %q}", hc.Test, hc.Interval, hc.Timeout, hc.StartPeriod, rune(hc.Retries)))
		if note != "" {
			r.emit(Event{Type: EventStepLog, Step: in.Step, Text: note})
		}
		return d, nil
	case "ONBUILD":
		next.OnBuild = append(next.OnBuild, in.Onbuild)
		return meta("ONBUILD " + in.Onbuild), nil
	case "SHELL":
		next.Shell = append([]string{}, in.Shell...)
		return meta(fmt.Sprintf("SHELL %v", in.Shell)), nil
	case "CMD":
		cmd := commandLine(next, in.Cmd)
		next.Cmd = cmd
		d := meta(fmt.Sprintf("CMD %q", cmd))
		d.apply = func(st *stage) {
			st.config = next
			if len(in.Cmd.Args) != 0 {
				st.cmdSet = true
			}
		}
		return d, nil
	case "ENTRYPOINT":
		ep := commandLine(next, in.Cmd)
		if !in.Cmd.Shell && len(in.Cmd.Args) == 0 {
			ep = nil
		}
		next.Entrypoint = ep
		if !st.cmdSet {
			next.Cmd = nil
		}
		return meta(fmt.Sprintf("ENTRYPOINT %q", ep)), nil
	case "ARG":
		parts := make([]string, 0, len(in.Arg))
		type decl struct {
			key string
			val *string
		}
		var decls []decl
		for _, a := range in.Arg {
			s := a.Key
			var val *string
			if a.Default != nil {
				v, err := r.word(st, *a.Default)
				if err != nil {
					return nil, err
				}
				val = &v
				s += "=" + v
			}
			parts = append(parts, s)
			decls = append(decls, decl{a.Key, val})
		}
		d := meta("ARG " + strings.Join(parts, " "))
		d.apply = func(st *stage) {
			st.config = next
			for _, dc := range decls {
				r.used[dc.key] = true
				if dc.val == nil {
					if m, ok := r.meta[dc.key]; ok && m != nil {
						v := *m
						dc.val = &v
					}
				}
				st.args[dc.key] = dc.val
			}
		}
		return d, nil
	case "WORKDIR":
		w, err := r.word(st, in.Workdir)
		if err != nil {
			return nil, err
		}
		wd := w
		if !path.IsAbs(wd) {
			base := next.WorkingDir
			if base == "" {
				base = "/"
			}
			wd = path.Join(base, wd)
		} else {
			wd = path.Clean(wd)
		}
		next.WorkingDir = wd
		cc := next.Clone()
		cc.Cmd = append(append([]string{}, shellOf(next)...), "#(nop) WORKDIR "+wd)
		now := r.b.now()
		return &dispatch{containerConfig: cc, apply: setNext, commit: commitMeta,
			run: func(fs *rootfs.FS, _ string) error {
				if e, _, err := fs.Stat(wd); err == nil {
					if e.Kind != rootfs.KindDir {
						return fmt.Errorf("cannot create working directory %s: it exists and is not a directory", wd)
					}
					return nil
				}
				return fs.MkdirAll(wd, 0o755, 0, 0, now)
			}}, nil
	case "RUN":
		return r.prepareRun(st, in, next)
	case "COPY", "ADD":
		return r.prepareCopy(st, in, next)
	}
	return nil, fmt.Errorf("unknown instruction: %s", in.Keyword)
}

// pairs expands the names and values of ENV or LABEL pairs, all against the
// environment before the instruction (Docker does not see a pair's own earlier names).
func (r *run) pairs(st *stage, kvs []dockerfile.KeyValue) ([]dockerfile.KeyValue, error) {
	out := make([]dockerfile.KeyValue, len(kvs))
	for i, kv := range kvs {
		k, err := r.word(st, kv.Key)
		if err != nil {
			return nil, err
		}
		v, err := r.word(st, kv.Value)
		if err != nil {
			return nil, err
		}
		out[i] = dockerfile.KeyValue{Key: k, Value: v}
	}
	return out, nil
}

func shellOf(c *image.ContainerConfig) []string {
	if len(c.Shell) > 0 {
		return c.Shell
	}
	return []string{"/bin/sh", "-c"}
}

func commandLine(c *image.ContainerConfig, cl *dockerfile.CommandLine) []string {
	if cl.Shell {
		return append(append([]string{}, shellOf(c)...), cl.Args...)
	}
	return append([]string{}, cl.Args...)
}

func (r *run) prepareRun(st *stage, in *dockerfile.Instruction, next *image.ContainerConfig) (*dispatch, error) {
	if len(in.Run.Mounts) > 0 || in.Run.Network != "" {
		return nil, fmt.Errorf("the --mount and --network options require BuildKit; the classic builder does not support them")
	}
	cl := in.Run.CommandLine
	if len(in.Run.Heredocs) > 0 && cl.Shell {
		script := cl.Args[0]
		if strings.HasPrefix(strings.TrimSpace(script), "<<") && len(in.Run.Heredocs) == 1 {
			script = in.Run.Heredocs[0].Data
		} else {
			for _, h := range in.Run.Heredocs {
				script += "\n" + h.Data + h.Name
			}
		}
		cl = dockerfile.CommandLine{Args: []string{script}, Shell: true}
	}
	cmd := commandLine(next, &cl)
	args := r.buildArgEnv(st)
	saveCmd := cmd
	if len(args) > 0 {
		var shown []string
		for _, kv := range args {
			k, _, _ := strings.Cut(kv, "=")
			if _, declared := st.args[k]; declared || !builtinArgs[k] {
				shown = append(shown, kv)
			}
		}
		saveCmd = append([]string{"|" + strconv.Itoa(len(shown))}, shown...)
		saveCmd = append(saveCmd, cmd...)
	}
	cc := next.Clone()
	cc.Cmd = saveCmd
	cc.Entrypoint = nil
	argMap := map[string]string{}
	for _, kv := range args {
		k, v, _ := strings.Cut(kv, "=")
		argMap[k] = v
	}
	env := append(append([]string{}, next.Env...), args...)
	dir := next.WorkingDir
	if dir == "" {
		dir = "/"
	}
	user := next.User
	step := in.Step
	var volumes []string
	for v := range next.Volumes {
		volumes = append(volumes, v)
	}
	return &dispatch{containerConfig: cc, apply: func(*stage) {}, commit: commitRun, buildArgs: argMap,
		run: func(fs *rootfs.FS, container string) (err error) {
			defer func() {
				// The sandbox is meant never to panic; if it does, fail the step, not the server.
				if p := recover(); p != nil {
					err = fmt.Errorf("internal error in the RUN sandbox: %v (please report this Dockerfile)", p)
				}
			}()
			if _, _, err := fs.Stat(dir); err != nil {
				if err := fs.MkdirAll(dir, 0o755, 0, 0, r.b.now()); err != nil {
					return fmt.Errorf("create working directory %s: %w", dir, err)
				}
			}
			// A declared VOLUME is a separate mount while RUN runs, filled from the image:
			// what RUN writes there is never committed (recorded, scenario x40).
			var before *rootfs.FS
			if len(volumes) > 0 {
				before = fs.Clone()
			}
			defer func() {
				for _, v := range volumes {
					fs.Restore(before, v)
				}
			}()
			w := &lineWriter{emit: func(line string) { r.emit(Event{Type: EventStepLog, Step: step, Text: line}) }, n: &r.output}
			// The classic builder's RUN container is named by its ID: $HOSTNAME is its prefix.
			lim, wrap, err := r.runLimits()
			if err != nil {
				return err
			}
			code, err := sandbox.Run(r.ctx, fs, sandbox.Options{Argv: cmd, Env: env, Dir: dir, User: user,
				Stdout: w, Now: r.b.now(), Limits: lim, Hostname: container[:12]})
			w.Flush()
			if err != nil {
				return wrap(err)
			}
			if code != 0 {
				return &exitError{cmd: strings.Join(cmd, " "), code: code}
			}
			return nil
		}}, nil
}

// lineWriter turns the step's output into one event per line.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	emit func(string)
	n    *int64 // the build's count of RUN output, when set
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n != nil {
		*w.n += int64(len(p))
	}
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(w.buf.Next(i + 1))
		w.emit(strings.TrimSuffix(line, "\n"))
	}
	return len(p), nil
}

// Flush emits a last unterminated line.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.emit(w.buf.String())
		w.buf.Reset()
	}
}

var _ io.Writer = (*lineWriter)(nil)

// parsePort turns an EXPOSE word into port keys ("80" -> "80/tcp", ranges expanded).
func parsePort(p string) ([]string, error) {
	port, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return nil, fmt.Errorf("Invalid proto: %s", proto)
	}
	if i := strings.LastIndex(port, ":"); i >= 0 {
		port = port[i+1:]
	}
	lo, hi, isRange := strings.Cut(port, "-")
	start, err := strconv.Atoi(lo)
	if err != nil || start < 0 || start > 65535 {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return nil, fmt.Errorf("Invalid containerPort: %s", port)
	}
	end := start
	if isRange {
		end, err = strconv.Atoi(hi)
		if err != nil || end < start || end > 65535 {
			//lint:ignore ST1005 Docker 20.10's text, word for word
			return nil, fmt.Errorf("Invalid containerPort: %s", port)
		}
	}
	var out []string
	for i := start; i <= end; i++ {
		out = append(out, fmt.Sprintf("%d/%s", i, proto))
	}
	return out, nil
}

var signals = map[string]bool{}

func init() {
	for _, s := range strings.Fields("ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ") {
		signals[s] = true
	}
}

func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n <= 64
	}
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if strings.HasPrefix(u, "RTMIN") || strings.HasPrefix(u, "RTMAX") {
		return true
	}
	return signals[u]
}
