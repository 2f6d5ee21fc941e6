package commands

import (
	"context"
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

func runLoad(ctx context.Context, env *Env, fs *FlagSet, _ []string) int {
	var in io.Reader = env.Stdin
	if name := flagString(fs, "input"); name != "" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return 1
		}
		defer f.Close()
		in = f
	} else if env.Terminal || in == nil {
		fmt.Fprintln(env.Stderr, "requested load from stdin, but stdin is empty")
		return 1
	}
	// -q only silences the daemon's progress bars, which layerlab does not draw: the
	// "Loaded image" lines are printed either way, as Docker does.
	loaded, err := archive.Load(ctx, in, env.Store, archive.LoadOptions{})
	if err != nil {
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
	return 0
}
