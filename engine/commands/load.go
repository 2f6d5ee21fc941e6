package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"layerlab/engine/archive"
)

// `load` / `image load`: the CLI opens the input (docker/cli's image/load.go), the
// daemon reads the archive and prints a line per tag or untagged image (moby's
// image/tarexport/load.go).

func init() {
	for _, name := range []string{"load", "image load"} {
		register(&command{name: name, use: name + " [OPTIONS]", short: "Load an image from a tar archive or STDIN",
			minArgs: 0, maxArgs: 0, flags: loadFlags, run: runLoad})
	}
}

func loadFlags(fs *FlagSet) {
	fs.String("input", "i", "", "Read from tar archive file, instead of STDIN")
	fs.Bool("quiet", "q", false, "Suppress the load output")
}

func runLoad(ctx context.Context, env *Env, fs *FlagSet, _ []string) (int, error) {
	var in io.Reader = env.Stdin
	if name := flagString(fs, "input"); name != "" {
		f, err := os.Open(name)
		if err != nil {
			return failed(env, 1, err) // the *PathError, as the CLI prints it
		}
		defer f.Close()
		in = f
	} else if env.Terminal || in == nil {
		return failed(env, 1, usageErrorf("requested load from stdin, but stdin is empty"))
	}
	// -q only silences the daemon's progress bars, which layerlab does not draw: the
	// "Loaded image" lines are printed either way, as Docker does.
	loaded, err := archive.Load(ctx, in, env.Store, archive.LoadOptions{})
	if err != nil {
		if errors.Is(err, archive.ErrInvalid) || errors.Is(err, archive.ErrTooLarge) ||
			errors.Is(err, archive.ErrBomb) || errors.Is(err, archive.ErrDiffIDMismatch) {
			err = withClass(ErrInvalid, err) // the archive's fault, not the store's
		}
		return daemonError(env, err)
	}
	for _, l := range loaded {
		for _, t := range l.Tags {
			if t.Previous != "" {
				fmt.Fprintf(env.Stdout, "The image %s already exists, renaming the old one with ID %s to empty string\n", t.Ref.Familiar(), t.Previous)
			}
			fmt.Fprintf(env.Stdout, "Loaded image: %s\n", t.Ref.Familiar())
		}
		if len(l.Tags) == 0 {
			fmt.Fprintf(env.Stdout, "Loaded image ID: %s\n", l.ID)
		}
	}
	return 0, nil
}
