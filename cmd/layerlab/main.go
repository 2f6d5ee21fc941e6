// Command layerlab is a teaching playground for how Docker builds images, and a
// docker-compatible command line over its own engine (no Docker daemon needed).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// versionLine is what --version prints, in docker --version's shape: the module's
// version and the commit it was built from (go build stamps it), "dev" and "unknown"
// when they are not known.
func versionLine() string {
	version, build := "dev", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				build = s.Value[:7]
			}
		}
	}
	return fmt.Sprintf("layerlab version %s, build %s (Docker 20.10's classic builder, simulated)", version, build)
}

// exitError ends the program with a status; msg (if any) goes to stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// env is how run reads the environment (os.Getenv in main, a map in tests).
type env func(string) string

const usage = `Usage:  layerlab [OPTIONS] COMMAND

A playground for how Docker builds images: its own engine, no Docker daemon.

Options:
      --data-dir string   Where images are stored (default $LAYERLAB_DATA, else %s)
  -v, --version           Print version information and quit

Commands:
  build       Build an image from a Dockerfile
  context     Print the lines that point your docker CLI at this workspace (--rotate: a new token)
  history     Show the history of an image
  hub         The built-in registry: "hub token" prints your namespace and push token
  images      List images
  image       Manage images (ls, rm, prune, history, inspect, tag, build, pull, push, save, load)
  inspect     Return low-level information on images
  load        Load an image from a tar archive or STDIN
  login       Log in to a registry
  logout      Log out from a registry
  pull        Pull an image from a registry (HOST:PORT/NAME[:TAG])
  push        Push an image to a registry (HOST:PORT/NAME[:TAG])
  rmi         Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  search      Search the images the built-in hub serves (the official images' stand-ins)
  serve       Serve the playground in the browser (the default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  teacher     The classroom: "teacher link" prints the teacher's secret link (--rotate: a new one)

Run 'layerlab COMMAND --help' for more information on a command.
`

func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	dataDir := ""
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--data-dir" && len(args) > 1:
			dataDir, args = args[1], args[2:]
			continue
		case len(a) > len("--data-dir=") && a[:len("--data-dir=")] == "--data-dir=":
			dataDir, args = a[len("--data-dir="):], args[1:]
			continue
		case a == "-h" || a == "--help":
			fmt.Fprintf(stdout, usage, defaultDataDir(getenv))
			return nil
		case a == "-v" || a == "--version":
			fmt.Fprintln(stdout, versionLine())
			return nil
		}
		break
	}
	if dataDir == "" {
		dataDir = getenv("LAYERLAB_DATA")
	}
	if dataDir == "" {
		dataDir = defaultDataDir(getenv)
	}
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cli := &cli{dataDir: dataDir, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	defer cli.close()
	switch args[0] {
	case "build":
		return cli.build(ctx, args[1:])
	case "serve":
		return cli.serve(ctx, args[1:])
	case "hub":
		return cli.hub(ctx, args[1:])
	case "context":
		return cli.contextCmd(ctx, args[1:])
	case "teacher":
		return cli.teacher(ctx, args[1:])
	case "pull":
		return cli.transfer(ctx, "pull", false, args[1:])
	case "push":
		return cli.transfer(ctx, "push", true, args[1:])
	case "login":
		return cli.login(ctx, args[1:])
	case "logout":
		return cli.logout(ctx, args[1:])
	case "image":
		// image build, image pull and image push are build, pull and push (docker's
		// aliases), with their own name in help and errors.
		if len(args) > 1 {
			switch args[1] {
			case "build":
				return run(ctx, append([]string{"--data-dir", dataDir, args[1]}, args[2:]...), getenv, stdin, stdout, stderr)
			case "pull":
				return cli.transfer(ctx, "image pull", false, args[2:])
			case "push":
				return cli.transfer(ctx, "image push", true, args[2:])
			}
		}
	}
	return cli.image(ctx, args)
}

// defaultDataDir is the per-user store: $XDG_DATA_HOME/layerlab or ~/.local/share/layerlab.
func defaultDataDir(getenv env) string {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "layerlab")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "layerlab")
	}
	return filepath.Join(os.TempDir(), "layerlab")
}
