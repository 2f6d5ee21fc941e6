package commands

import (
	"context"
	"fmt"
	"strings"
)

// Pull and push move images to and from a registry, which this package cannot reach
// (engine imports nothing that talks to one): the command line (cmd/layerlab) and the
// web terminal (handlers) run them, each with its own registries, but both parse and
// explain them from the definitions here, so `pull`, `image pull`, `push` and `image
// push` take the same options and print the same help as docker's.

// Summaries of pull and push, docker's words.
const (
	PullSummary = "Pull an image or a repository from a registry"
	PushSummary = "Push an image or a repository to a registry"
)

// TransferFlags are the options of pull and push (docker's; --platform is pull's only).
type TransferFlags struct {
	AllTags  bool   // -a, --all-tags
	Quiet    bool   // -q, --quiet
	Platform string // --platform OS/ARCH[/VARIANT] (pull)
}

func transferFlagSet(push bool) (*FlagSet, func() TransferFlags) {
	verb, what, trust := "pull", "Download all tagged images in the repository", "Skip image verification"
	if push {
		verb, what, trust = "push", "Push all tagged images in the repository", "Skip image signing"
	}
	fs := newFlagSet(verb)
	all := fs.Bool("all-tags", "a", false, what)
	fs.Bool("disable-content-trust", "", true, trust)
	platform := new(string)
	if !push {
		platform = fs.String("platform", "", "", "Set platform if server is multi-platform capable")
	}
	quiet := fs.Bool("quiet", "q", false, "Suppress verbose output")
	return fs, func() TransferFlags { return TransferFlags{AllTags: *all, Quiet: *quiet, Platform: *platform} }
}

// ParseTransferFlags parses pull's (push false) or push's arguments as docker does.
// IsHelp(err) reports -h or --help: print TransferUsage then. It does not check the
// number of positional arguments: TransferArgCount words that error.
func ParseTransferFlags(push bool, args []string) (TransferFlags, []string, error) {
	fs, values := transferFlagSet(push)
	pos, err := fs.Parse(args)
	if err != nil {
		return TransferFlags{}, nil, err
	}
	return values(), pos, nil
}

// transferUse is the usage line after the program name: "pull [OPTIONS] NAME[:TAG|@DIGEST]"
// for name "pull", "image pull [OPTIONS] ..." for "image pull".
func transferUse(name string, push bool) string {
	if push {
		return name + " [OPTIONS] NAME[:TAG]"
	}
	return name + " [OPTIONS] NAME[:TAG|@DIGEST]"
}

func transferSummary(push bool) string {
	if push {
		return PushSummary
	}
	return PullSummary
}

// TransferUsage is the --help text of name ("pull", "image pull", "push" or "image
// push") for prog, docker's, with note (what this front end's registry is, or "") as a
// paragraph after the summary.
func TransferUsage(prog, name string, push bool, note string) string {
	fs, _ := transferFlagSet(push)
	var b strings.Builder
	fmt.Fprintf(&b, "\nUsage:  %s %s\n\n%s\n", prog, transferUse(name, push), transferSummary(push))
	if note != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSuffix(note, "\n"))
	}
	fmt.Fprintf(&b, "\nOptions:\n%s", fs.Usage())
	return b.String()
}

// TransferArgCount is what docker prints (exit status 1) when name is not given exactly
// one NAME.
func TransferArgCount(prog, name string, push bool) string {
	return fmt.Sprintf("\"%[1]s %[2]s\" requires exactly 1 argument.\nSee '%[1]s %[2]s --help'.\n\nUsage:  %[1]s %[3]s\n\n%[4]s",
		prog, name, transferUse(name, push), transferSummary(push))
}

// The image group's commands that a front end runs (build needs a build context, pull
// and push a registry): registered so that `image --help` lists them as docker does;
// Run refuses them, since a front end that has them routes them before calling it.
func init() {
	for _, c := range []struct{ name, use, short string }{
		{"image build", "image build [OPTIONS] PATH", BuildSummary},
		{"image pull", transferUse("image pull", false), PullSummary},
		{"image push", transferUse("image push", true), PushSummary},
	} {
		register(&command{name: c.name, use: c.use, short: c.short, minArgs: 0, maxArgs: -1,
			run: func(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
				return failed(env, 1, fmt.Errorf("%s %s: not available here: this front end runs no %s", env.prog(), c.name, strings.TrimPrefix(c.name, "image ")))
			}})
	}
}

// DigestNote is layerlab's line after a pull by digest that the built-in hub does not
// have: its images are stand-ins for Docker Hub's, so a digest copied from Docker Hub
// (or from a lesson) names bytes the hub never had. latest is the digest of the hub's
// REPOSITORY:latest ("" when it has none); repo is the familiar repository ("postgres").
func DigestNote(prog, repo, latest string) string {
	if latest == "" {
		return fmt.Sprintf("[layerlab] the built-in hub stands in for Docker Hub with images of its own, so Docker Hub's digests are not in it; pull by tag instead (%s pull %s:TAG)", prog, repo)
	}
	return fmt.Sprintf("[layerlab] the built-in hub stands in for Docker Hub with images of its own, so Docker Hub's digests are not in it: the playground's %[2]s:latest is %[2]s@%[3]s (%[1]s pull %[2]s@%[3]s, or by tag: %[1]s pull %[2]s:latest)", prog, repo, latest)
}

// PushMissingNote is layerlab's line after Docker's "An image does not exist locally
// with the tag" for a push of ref (as typed) to the built-in hub.
func PushMissingNote(prog, ref string) string {
	return fmt.Sprintf("[layerlab] build or tag the image under that name first (%[1]s build -t %[2]s ., or %[1]s tag IMAGE %[2]s); the push then puts it into your namespace in the built-in hub, which stands in for Docker Hub", prog, ref)
}
