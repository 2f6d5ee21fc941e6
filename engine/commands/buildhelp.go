package commands

import "fmt"

// BuildSummary is the first line of `build`'s help, as docker build's.
const BuildSummary = "Build an image from a Dockerfile"

// BuildFlags are the options of `build` that layerlab has (a subset of docker build's),
// as the command line (cmd/layerlab) and the web terminal (handlers) both take them.
type BuildFlags struct {
	Tags      []string // -t, --tag NAME[:TAG]
	BuildArgs []string // --build-arg KEY[=VALUE]
	File      string   // -f, --file: the Dockerfile ("" for PATH/Dockerfile)
	Target    string   // --target: the stage to build
	Progress  string   // --progress: classic (the default) or json
	NoCache   bool     // --no-cache
	Quiet     bool     // -q, --quiet
}

// buildFlagSet defines build's flags with their help texts, the one place both come
// from, and returns a function that reads the parsed values.
func buildFlagSet() (*FlagSet, func() BuildFlags) {
	fs := newFlagSet("build")
	buildArgs := fs.List("build-arg", "", "list", "Set build-time variables")
	file := fs.String("file", "f", "", "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
	noCache := fs.Bool("no-cache", "", false, "Do not use cache when building the image")
	progress := fs.String("progress", "", "classic", "Set type of progress output (classic, json)")
	quiet := fs.Bool("quiet", "q", false, "Suppress the build output and print image ID on success")
	tags := fs.List("tag", "t", "list", "Name and optionally a tag in the 'name:tag' format")
	target := fs.String("target", "", "", "Set the target build stage to build.")
	return fs, func() BuildFlags {
		return BuildFlags{Tags: *tags, BuildArgs: *buildArgs, File: *file, Target: *target,
			Progress: *progress, NoCache: *noCache, Quiet: *quiet}
	}
}

// ParseBuildFlags parses build's arguments as docker does (FlagSet's syntax and error
// texts) into its options and positional arguments. IsHelp(err) reports -h or --help:
// print BuildUsage then.
func ParseBuildFlags(args []string) (BuildFlags, []string, error) {
	fs, values := buildFlagSet()
	pos, err := fs.Parse(args)
	if err != nil {
		return BuildFlags{}, nil, err
	}
	return values(), pos, nil
}

// BuildUsage is build's --help text for prog ("layerlab" or "docker"): the usage line,
// BuildSummary followed by note (how this front end differs, or ""), and the options.
func BuildUsage(prog, note string) string {
	fs, _ := buildFlagSet()
	return fmt.Sprintf("Usage:  %s build [OPTIONS] PATH\n\n%s%s\n\nOptions:\n%s", prog, BuildSummary, note, fs.Usage())
}

// BuildArgCount is what docker prints when build is not given exactly one PATH.
func BuildArgCount(prog string) string {
	return fmt.Sprintf("\"%[1]s build\" requires exactly 1 argument.\nSee '%[1]s build --help'.\n\nUsage:  %[1]s build [OPTIONS] PATH\n\n%[2]s", prog, BuildSummary)
}
