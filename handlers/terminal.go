package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/commands"
)

// Limits on a terminal command.
const (
	maxTermCmd    = 4 << 10  // the command line
	maxTermBody   = 16 << 10 // its JSON request
	maxTermOutput = 256 << 10
)

// terminalRoutes: the terminal panel's command endpoint.
func (s *Server) terminalRoutes(r chi.Router) {
	r.Post("/api/terminal", s.terminal)
}

type termRequest struct {
	Cmd string `json:"cmd"`
}

// termSegment is a run of output from one stream, in the order it was written.
type termSegment struct {
	Stream string `json:"stream"` // stdout or stderr
	Text   string `json:"text"`
}

type termResponse struct {
	Output   string        `json:"output"` // stdout and stderr as a terminal shows them
	Segments []termSegment `json:"segments"`
	ExitCode int           `json:"exit_code"`
	// Changed: the command changed the workspace's images or tags (or built): pages
	// showing them should refresh.
	Changed bool `json:"changed"`
}

// termOutput collects a command's stdout and stderr interleaved, as a terminal shows
// them, up to max bytes. A build writes to it from the build's goroutine.
type termOutput struct {
	mu   sync.Mutex
	segs []termSegment
	n    int
	max  int
	cut  bool
}

type termStream struct {
	o    *termOutput
	name string
}

func (w termStream) Write(p []byte) (int, error) {
	o := w.o
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	if room := o.max - o.n; room < len(p) {
		p = p[:max(room, 0)]
		o.cut = true
	}
	if len(p) == 0 {
		return n, nil
	}
	o.n += len(p)
	if k := len(o.segs); k > 0 && o.segs[k-1].Stream == w.name {
		o.segs[k-1].Text += string(p)
	} else {
		o.segs = append(o.segs, termSegment{Stream: w.name, Text: string(p)})
	}
	return n, nil
}

func (o *termOutput) stdout() io.Writer { return termStream{o, "stdout"} }
func (o *termOutput) stderr() io.Writer { return termStream{o, "stderr"} }

// result returns the output so far (with a note when it was cut) and its segments.
func (o *termOutput) result() (string, []termSegment) {
	o.mu.Lock()
	defer o.mu.Unlock()
	segs := append([]termSegment{}, o.segs...)
	if o.cut {
		segs = append(segs, termSegment{Stream: "stderr", Text: fmt.Sprintf("\n[layerlab] output cut at %d KiB\n", o.max>>10)})
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	return b.String(), segs
}

// terminal runs one command line typed in the terminal panel:
// {"cmd": "docker image ls -a"} -> {"output", "segments", "exit_code", "changed"}.
func (s *Server) terminal(w http.ResponseWriter, r *http.Request) {
	var req termRequest
	if err := decodeJSON(w, r, maxTermBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Cmd) > maxTermCmd {
		s.fail(w, r, errTooLarge(fmt.Sprintf("command too long: the terminal takes at most %d KiB", maxTermCmd>>10)))
		return
	}
	ws := workspace(r)
	before := imagesFingerprint(r.Context(), ws)
	out := &termOutput{max: maxTermOutput}
	code, built := s.runTerminal(r.Context(), ws, req.Cmd, out)
	s.logCommand(r.Context(), ws, req.Cmd, code) // the lesson's checks read the log (lesson.go)
	text, segs := out.result()
	if segs == nil {
		segs = []termSegment{}
	}
	changed := built || imagesFingerprint(r.Context(), ws) != before
	writeJSON(w, http.StatusOK, termResponse{Output: text, Segments: segs, ExitCode: code, Changed: changed})
}

// imagesFingerprint is a digest of the workspace's images and tags: the terminal
// compares it before and after a command to tell the pages whether to refresh.
func imagesFingerprint(ctx context.Context, ws *db.Workspace) string {
	h := sha256.New()
	recs, err := ws.ImageList(ctx)
	if err != nil {
		return "error"
	}
	for _, r := range recs {
		fmt.Fprintln(h, r.ID)
	}
	tags, err := ws.AllTags(ctx)
	if err != nil {
		return "error"
	}
	for _, t := range tags {
		fmt.Fprintln(h, t.Ref, t.ID)
	}
	return hex.EncodeToString(h.Sum(nil))
}

const terminalHelp = `This terminal runs docker commands on your workspace, with Docker 20.10's output:

  docker build [-t NAME[:TAG]] [--build-arg KEY=VALUE] [--target STAGE] [--no-cache] [-f FILE] [-q] .
  docker image ls [-a] [-q] [--no-trunc] [--filter dangling=true] [--format TEMPLATE]   (or: docker images)
  docker image rm [-f] IMAGE [IMAGE...]                                          (or: docker rmi)
  docker image prune [-a] [-f]
  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
  docker history [--no-trunc] IMAGE
  docker inspect [--format TEMPLATE] IMAGE
  docker push NAME[:TAG]          (to the built-in hub, into your namespace)
  docker pull NAME[:TAG]          (from the built-in hub: yours, a classmate's NS/NAME, or library/)
  docker search [TERM] [--list-tags]   (the official images the built-in hub serves, and their tags)

"docker build ... ." builds the playground's files. Up/Down recall earlier commands,
Ctrl+` + "`" + ` opens and closes this panel, "clear" empties it.
`

// runTerminal runs a command line and returns its exit status, and whether it was a build.
func (s *Server) runTerminal(ctx context.Context, ws *db.Workspace, line string, out *termOutput) (int, bool) {
	stdout, stderr := out.stdout(), out.stderr()
	words, err := splitWords(line)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 2, false
	}
	if len(words) == 0 {
		return 0, false
	}
	switch words[0] {
	case "docker":
		words = words[1:]
	case "help":
		io.WriteString(stdout, terminalHelp)
		return 0, false
	default:
		fmt.Fprintf(stderr, "sh: %s: not found\n[layerlab] this terminal runs docker commands only: type help to see them\n", words[0])
		return 127, false
	}
	if len(words) == 0 || words[0] == "help" || words[0] == "--help" || words[0] == "-h" {
		io.WriteString(stdout, terminalHelp)
		return 0, false
	}
	name := words[0]
	if name == "image" && len(words) > 1 {
		name = "image " + words[1]
	}
	switch name {
	case "build", "image build", "builder build":
		n := 1
		if name != "build" {
			n = 2
		}
		return s.terminalBuild(ctx, ws, words[n:], stdout, stderr), true
	case "save", "image save", "load", "image load":
		fmt.Fprintf(stderr, "[layerlab] docker %s reads or writes a tar file on your computer, which this web terminal cannot reach.\n"+
			"Run it with the layerlab command line instead (layerlab %s ...).\n", name, strings.TrimPrefix(name, "image "))
		return 1, false
	case "pull", "image pull", "push", "image push":
		n := 1
		if strings.HasPrefix(name, "image ") {
			n = 2
		}
		return s.terminalPullPush(ctx, ws, name, strings.HasSuffix(name, "push"), words[n:], stdout, stderr), true
	}
	stdin := &noAnswer{}
	env := &commands.Env{Store: ws, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Now: s.now, Terminal: false, Prog: "docker"}
	// The terminal shows what the command printed and its exit status, as a shell
	// would; the error carries the same words, and no HTTP status depends on it.
	code, _ := commands.Run(ctx, env, words)
	if name == "image prune" && stdin.asked {
		// Prune without -f asked for its confirmation and read no answer, which is no.
		io.WriteString(stderr, "[layerlab] the web terminal cannot answer the question, so nothing was removed: add -f (docker image prune -f).\n")
	}
	return code, false
}

// noAnswer is the terminal's stdin: nobody can type into a command while it runs, so a
// read gets end of input at once (a question's answer is then no, as Docker takes an
// empty one). It notes that the command read, that is, asked.
type noAnswer struct{ asked bool }

func (n *noAnswer) Read([]byte) (int, error) {
	n.asked = true
	return 0, io.EOF
}

// terminalBuild is `docker build ... .` over the workspace's build context, through the
// same runner as the playground's Build button; it prints what `layerlab build` prints
// (cmd/layerlab), worded for docker.
func (s *Server) terminalBuild(ctx context.Context, ws *db.Workspace, args []string, stdout, stderr io.Writer) int {
	f, pos, err := commands.ParseBuildFlags(args) // the command line's flags and help too
	if commands.IsHelp(err) {
		io.WriteString(stdout, "\n"+commands.BuildUsage("docker", ` (in this terminal, PATH is "." : the playground's files)`))
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\nSee 'docker build --help'.\n", err)
		return 125
	}
	req := buildRequest{Tags: f.Tags, File: f.File, Target: f.Target, NoCache: f.NoCache}
	buildArgs, progress, quiet := f.BuildArgs, f.Progress, f.Quiet
	if len(pos) != 1 {
		fmt.Fprintln(stderr, commands.BuildArgCount("docker"))
		return 1
	}
	if msg := s.terminalContextError(ctx, ws, pos[0]); msg != "" {
		io.WriteString(stderr, msg)
		return 1
	}
	if progress != "classic" && progress != "json" && progress != "auto" && progress != "plain" {
		fmt.Fprintf(stderr, "invalid --progress %q: use classic or json\n", progress)
		return 1
	}
	if len(buildArgs) > 0 {
		req.BuildArgs = map[string]string{}
		for _, kv := range buildArgs {
			// KEY without a value takes it from the environment; the terminal has none.
			if k, v, ok := strings.Cut(kv, "="); ok {
				req.BuildArgs[k] = v
			}
		}
	}
	if req.File != "" {
		f, err := db.CleanContextPath(req.File)
		if err != nil {
			fmt.Fprintf(stderr, "unable to prepare context: %v\n", err)
			return 1
		}
		req.File = f
	}

	// The context as the runner will build it, for docker's first line (and its errors).
	files, err := ws.ContextFiles(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "[layerlab] read the build context: %v\n", err)
		return 1
	}
	bfiles := make([]build.File, 0, len(files))
	for _, f := range files {
		bfiles = append(bfiles, build.File{Path: f.Path, Data: f.Data, Mode: f.Mode})
	}
	bctx, err := build.NewContext(bfiles, req.File)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var sink build.Sink
	switch {
	case quiet:
	case progress == "json":
		sink = build.JSONPrinter(stdout)
	default:
		fmt.Fprintf(stdout, "Sending build context to Docker daemon %s\n\n", build.ContextSize(bctx))
		sink = build.ClassicPrinter(stdout)
	}
	req.Via = viaTerminal
	rb, err := s.builds.start(ws, req, sink)
	if err != nil {
		_, msg, internal := status(err)
		if internal {
			s.log.Error("terminal build", "err", err)
		}
		fmt.Fprintf(stderr, "[layerlab] %s\n", msg)
		return 1
	}
	res, err := rb.wait(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 1 // the browser went away; the build goes on and is recorded
		}
		msg, code := build.ClassicError(err)
		if progress != "json" || quiet {
			fmt.Fprintln(stderr, msg)
		}
		return code
	}
	if quiet {
		fmt.Fprintln(stdout, res.Image)
	}
	return 0
}

// termWorkdir is the terminal's current directory as its messages name it: the
// playground's files are there, so "." is the build context.
const termWorkdir = "/playground"

// terminalContextError is what docker build prints for a PATH other than "." (the
// playground's files, the only context the terminal builds), "" for ".": Docker's
// error for a path that is missing or a file (the lesson's "docker image build -t
// my_image:latest code/mydockerfile.txt"), then layerlab's word on what to type.
func (s *Server) terminalContextError(ctx context.Context, ws *db.Workspace, arg string) string {
	p := strings.TrimPrefix(path.Clean(arg), termWorkdir+"/")
	if arg != "" && (p == "." || path.Clean(arg) == termWorkdir) {
		return ""
	}
	kind := "" // "file", "dir" or "" (not in the context)
	if arg == "" {
		// path.Clean makes "" ".", but docker stats "" itself and finds nothing.
	} else if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
		kind = "outside" // a directory of the server's, which the terminal does not reach
	} else if files, err := ws.ContextFiles(ctx); err == nil {
		for _, f := range files {
			if f.Path == p {
				kind = "file"
				break
			}
			if strings.HasPrefix(f.Path, p+"/") {
				kind = "dir"
			}
		}
	}
	switch kind {
	case "file":
		return fmt.Sprintf("unable to prepare context: context must be a directory: %s\n"+
			"[layerlab] PATH is the build context, a directory; a Dockerfile of another name is given with -f: docker build -f %s .\n",
			path.Join(termWorkdir, p), p)
	case "":
		return fmt.Sprintf("unable to prepare context: path %q not found\n"+
			"[layerlab] this terminal's current directory, %s, holds the playground's files: build them with docker build -t my_image:latest .\n",
			arg, termWorkdir)
	}
	return fmt.Sprintf("[layerlab] this terminal builds the playground's files: the path must be \".\" (the build context), not %q.\n"+
		"Try: docker build -t my_image:latest .\n", arg)
}

// splitWords splits a command line as a POSIX shell would, for the one simple command
// the terminal runs: blanks separate words; '...' is literal; "..." keeps blanks and
// takes \" \\ \$ \` as escapes; a backslash outside quotes escapes the next character;
// # starts a comment. Pipes, redirections, ; & and command substitution are refused
// (they would need a shell), as is an unterminated quote.
func splitWords(s string) ([]string, error) {
	unsupported := errors.New("[layerlab] the terminal runs one docker command at a time: pipes (|), redirections (< >), ; & and $(...) are not supported")
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("sh: unexpected EOF while looking for matching `''")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				d := s[i]
				if d == '"' {
					closed = true
					break
				}
				if d == '`' || (d == '$' && i+1 < len(s) && s[i+1] == '(') {
					return nil, unsupported
				}
				if d == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
					d = s[i]
				}
				cur.WriteByte(d)
			}
			if !closed {
				return nil, errors.New("sh: unexpected EOF while looking for matching `\"'")
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
				}
			}
		case strings.IndexByte("|&;<>`", c) >= 0, c == '$' && i+1 < len(s) && s[i+1] == '(':
			return nil, unsupported
		case c == '#' && !inWord:
			i = len(s) // a comment, to the end of the line
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
