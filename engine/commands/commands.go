// Package commands is layerlab's docker-compatible command set: an argument vector in,
// Docker 20.10's output out, over a Store. The same implementation serves the command
// line and the web terminal, so what a learner types behaves as `docker` does.
package commands

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// Store is what the commands need from an image store (db.Workspace implements it).
type Store interface {
	build.Store
	// Images returns every image, intermediate ones included, newest first.
	Images(ctx context.Context) ([]*image.Record, error)
	// AllTags returns every tag of the workspace.
	AllTags(ctx context.Context) ([]image.TagRow, error)
	// TagsOf returns the tags naming id, familiar forms, sorted.
	TagsOf(ctx context.Context, id digest.Digest) ([]string, error)
	// Untag removes a tag and returns the image it named (build.ErrNotFound if none).
	Untag(ctx context.Context, ref image.Ref) (digest.Digest, error)
	// DeleteImage removes an image that no other image has as parent.
	DeleteImage(ctx context.Context, id digest.Digest) error
	// Release removes, of blobs, those no image references any more and nobody stored
	// after before, and returns the bytes freed on disk.
	Release(ctx context.Context, blobs []digest.Digest, before time.Time) (int64, error)
	// GC removes every blob nothing references that nobody stored recently (blobs a
	// killed process left behind), and returns the bytes freed.
	GC(ctx context.Context) (int64, error)
}

// Env is where a command runs: its store, its streams, its clock.
type Env struct {
	Store  Store
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Now is the clock for relative times ("2 minutes ago"); time.Now when nil.
	Now func() time.Time
	// Terminal reports whether Stdin is a terminal (prune asks only then).
	Terminal bool
	// Prog is the program name in messages ("docker" in the web terminal's lesson mode,
	// "layerlab" on the command line).
	Prog string
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) prog() string {
	if e.Prog == "" {
		return "docker"
	}
	return e.Prog
}

// command is one docker command: its usage line, short help, flags and body.
type command struct {
	name  string // "image ls"
	use   string // "docker image ls [OPTIONS] [REPOSITORY[:TAG]]" without the program name
	short string
	// minArgs and maxArgs bound the positional arguments (maxArgs < 0: no bound).
	minArgs, maxArgs int
	flags            func(fs *FlagSet)
	// run runs the command with its parsed flags and positional arguments, and returns
	// what Run returns.
	run     func(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error)
	aliases []string // other full names: "images", "image list"
}

var registry = map[string]*command{}

// register adds a command under its name and aliases. Command files call it from init.
func register(c *command) {
	registry[c.name] = c
	for _, a := range c.aliases {
		registry[a] = c
	}
}

// Names lists the registered command names (aliases included), sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run runs one command line, e.g. ["image", "ls", "-a"] or ["rmi", "demo:v1"], and
// returns its exit status and, when that is not 0, the error that ended it. Output and
// errors go to env's streams, worded as Docker's; the error's class (errors.go) says
// what kind of failure it was, for a caller that must act on it, and its text is what
// the command printed last.
func Run(ctx context.Context, env *Env, args []string) (int, error) {
	if len(args) == 0 {
		return failed(env, 1, usageErrorf("Usage:  %s COMMAND", env.prog()))
	}
	name := args[0]
	rest := args[1:]
	if name == "image" {
		if len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h" {
			fmt.Fprint(env.Stdout, groupHelp(env, "image", "Manage images"))
			return 0, nil
		}
		if strings.HasPrefix(rest[0], "-") {
			return failed(env, 125, usageErrorf("unknown flag: %s\nSee '%s image --help'.", rest[0], env.prog()))
		}
		name, rest = "image "+rest[0], rest[1:]
		if _, ok := registry[name]; !ok {
			fmt.Fprint(env.Stderr, groupHelp(env, "image", "Manage images"))
			return 0, nil // docker prints the group's help and exits 0 for an unknown subcommand
		}
	}
	c, ok := registry[name]
	if !ok && containerCommands[name] {
		return failed(env, 1, containerError(env, name))
	}
	if !ok {
		return failed(env, 1, usageErrorf("%s: '%s' is not a %s command.\nSee '%s --help'", env.prog(), name, env.prog(), env.prog()))
	}
	fs := newFlagSet(name)
	if c.flags != nil {
		c.flags(fs)
	}
	pos, err := fs.Parse(rest)
	if err != nil {
		if err == errHelp {
			fmt.Fprint(env.Stdout, c.help(env, fs))
			return 0, nil
		}
		return failed(env, 125, usageErrorf("%w\nSee '%s %s --help'.", err, env.prog(), name))
	}
	if len(pos) < c.minArgs || (c.maxArgs >= 0 && len(pos) > c.maxArgs) {
		return failed(env, 1, usageErrorf("\"%s %s\" %s.\nSee '%s %s --help'.\n\nUsage:  %s %s\n\n%s",
			env.prog(), name, argCountPhrase(c.minArgs, c.maxArgs), env.prog(), name, env.prog(), c.use, c.short))
	}
	return c.run(ctx, env, fs, pos)
}

// argCountPhrase is cobra's wording for a wrong number of arguments, as docker uses it.
func argCountPhrase(min, max int) string {
	switch {
	case min == max && min == 0:
		return "accepts no arguments"
	case min == max && min == 1:
		return "requires exactly 1 argument"
	case min == max:
		return fmt.Sprintf("requires exactly %d arguments", min)
	case max < 0 && min == 1:
		return "requires at least 1 argument"
	case max < 0:
		return fmt.Sprintf("requires at least %d arguments", min)
	case min == 0 && max == 1:
		return "requires at most 1 argument"
	default:
		return fmt.Sprintf("requires at least %d and at most %d arguments", min, max)
	}
}

// help is a command's --help text in docker's shape.
func (c *command) help(env *Env, fs *FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nUsage:  %s %s\n\n%s\n", env.prog(), c.use, c.short)
	// Docker lists the aliases within the command's own group, by their last word:
	// "image ls" shows "ls, list" (the top-level "images" is a command of its own).
	group := ""
	if i := strings.LastIndexByte(c.name, ' '); i >= 0 {
		group = c.name[:i+1]
	}
	var names []string
	for _, n := range append([]string{c.name}, c.aliases...) {
		if group != "" && strings.HasPrefix(n, group) {
			names = append(names, strings.TrimPrefix(n, group))
		}
	}
	if len(names) > 1 {
		fmt.Fprintf(&b, "\nAliases:\n  %s\n", strings.Join(names, ", "))
	}
	if u := fs.Usage(); u != "" {
		fmt.Fprintf(&b, "\nOptions:\n%s", u)
	}
	return b.String()
}

func groupHelp(env *Env, group, short string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nUsage:  %s %s COMMAND\n\n%s\n\nCommands:\n", env.prog(), group, short)
	var names []string
	seen := map[*command]bool{}
	for n, c := range registry {
		if strings.HasPrefix(n, group+" ") && !seen[c] && c.name == n {
			seen[c] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-11s %s\n", strings.TrimPrefix(n, group+" "), registry[n].short)
	}
	fmt.Fprintf(&b, "\nRun '%s %s COMMAND --help' for more information on a command.\n", env.prog(), group)
	return b.String()
}
