package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/commands"
	"layerlab/remote"
)

type cli struct {
	dataDir        string
	getenv         env
	stdin          io.Reader
	stdout, stderr io.Writer
	store          *db.Store
}

func (c *cli) close() {
	if c.store != nil {
		c.store.Close()
	}
}

func (c *cli) workspace(ctx context.Context) (*db.Workspace, error) {
	if c.store == nil {
		s, err := db.Open(ctx, c.dataDir)
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", c.dataDir, err)
		}
		c.store = s
	}
	return c.store.Workspace(ctx, db.DefaultWorkspace)
}

// parseFlags parses a command's arguments as docker does (engine/commands' FlagSet:
// pflag's syntax and texts). help is true when -h or --help asked for the usage, which
// it has printed.
func (c *cli) parseFlags(cmd, usage string, fs *commands.FlagSet, args []string) (pos []string, help bool, err error) {
	pos, err = fs.Parse(args)
	if commands.IsHelp(err) {
		fmt.Fprint(c.stdout, usage)
		return nil, true, nil
	}
	if err != nil {
		return nil, false, &exitError{code: 125, msg: fmt.Sprintf("%v\nSee 'layerlab %s --help'.", err, cmd)}
	}
	return pos, false, nil
}

// build runs `layerlab build`; its flags and help are engine/commands' (BuildFlags),
// which the web terminal's docker build shares.
func (c *cli) build(ctx context.Context, args []string) error {
	f, pos, err := commands.ParseBuildFlags(args)
	if commands.IsHelp(err) {
		fmt.Fprint(c.stdout, commands.BuildUsage("layerlab", ", as Docker's classic builder does"))
		return nil
	}
	if err != nil {
		return &exitError{code: 125, msg: fmt.Sprintf("%v\nSee 'layerlab build --help'.", err)}
	}
	tags, buildArgs, file, target, progress, noCache, quiet := f.Tags, f.BuildArgs, f.File, f.Target, f.Progress, f.NoCache, f.Quiet
	if len(pos) != 1 {
		return &exitError{code: 1, msg: commands.BuildArgCount("layerlab")}
	}
	if progress != "classic" && progress != "json" && progress != "auto" && progress != "plain" {
		return &exitError{code: 1, msg: fmt.Sprintf("invalid --progress %q: use classic or json", progress)}
	}
	bargs := map[string]string{}
	for _, kv := range buildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			var set bool
			v = c.getenv(k)
			set = v != ""
			if !set {
				continue
			}
		}
		bargs[k] = v
	}
	dir := pos[0]
	if err := contextDirError(dir); err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	bctx, err := build.LoadDir(dir, file)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	ws, err := c.workspace(ctx)
	if err != nil {
		return err
	}
	b := build.New(ws, remote.Puller{Store: c.store, Fallback: build.StandIns{}})
	var sink build.Sink
	var out = c.stdout
	switch {
	case quiet:
	case progress == "json":
		sink = build.JSONPrinter(out)
	default:
		fmt.Fprintf(out, "Sending build context to Docker daemon %s\n\n", build.ContextSize(bctx))
		sink = build.ClassicPrinter(out)
	}
	res, err := b.Build(ctx, bctx, build.Options{Tags: tags, BuildArgs: bargs, Target: target, NoCache: noCache, Sink: sink})
	if err != nil {
		msg, code := build.ClassicError(err)
		if progress == "json" && !quiet {
			return &exitError{code: code}
		}
		return &exitError{code: code, msg: msg}
	}
	if quiet {
		fmt.Fprintln(out, res.Image)
	}
	return nil
}

// contextDirError is docker build's error for a PATH that is not a directory (the
// docker CLI checks before it sends anything): a missing path, or a file, as in the
// lesson's "docker image build -t my_image:latest code/mydockerfile.txt" (a Dockerfile
// that is not named Dockerfile is given with -f, and PATH stays the directory).
func contextDirError(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("unable to prepare context: path %q not found", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("unable to prepare context: unable to get absolute context directory of given context directory %q: %w", dir, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return fmt.Errorf("unable to prepare context: unable to evaluate symlinks in context path: %w", err)
	}
	st, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("unable to prepare context: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("unable to prepare context: context must be a directory: %s", abs)
	}
	return nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// image runs the docker image commands of engine/commands (images, rmi, history, ...).
func (c *cli) image(ctx context.Context, args []string) error {
	ws, err := c.workspace(ctx)
	if err != nil {
		return err
	}
	term := false
	if f, ok := c.stdin.(*os.File); ok {
		term = isTerminal(f)
	}
	// A failing command's message becomes the error main prints (and tests read);
	// a succeeding one's stderr (warnings) is passed on as is.
	var errb bytes.Buffer
	env := &commands.Env{Store: ws, Stdin: c.stdin, Stdout: c.stdout, Stderr: &errb, Terminal: term, Prog: "layerlab"}
	code, _ := commands.Run(ctx, env, args) // the error's text is the end of errb
	if code != 0 {
		return &exitError{code: code, msg: strings.TrimSuffix(errb.String(), "\n")}
	}
	_, err = c.stderr.Write(errb.Bytes())
	return err
}
