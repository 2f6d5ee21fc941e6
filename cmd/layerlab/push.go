package main

import (
	"context"
	"fmt"

	"layerlab/engine/commands"
	"layerlab/remote"
)

const pushUsage = `Usage:  layerlab push [OPTIONS] NAME[:TAG]

Push an image to a registry, as docker push does. A NAME without a registry address
(demo:v1) goes to the built-in hub, into this workspace's namespace (layerlab hub
token); with one (127.0.0.1:5000/team/app:1) to that registry, with the credentials
of 'layerlab login'.

Options:
      --disable-content-trust   Skip image signing (default true)
  -q, --quiet                   Suppress verbose output
`

// push runs `layerlab push`.
func (c *cli) push(ctx context.Context, args []string) error {
	fs := commands.NewFlagSet("push")
	quiet := fs.Bool("quiet", "q", false, "")
	fs.Bool("disable-content-trust", "", true, "")
	allTags := fs.Bool("all-tags", "a", false, "")
	pos, help, err := c.parseFlags("push", pushUsage, fs, args)
	if help || err != nil {
		return err
	}
	if *allTags {
		return &exitError{code: 1, msg: "layerlab push: --all-tags is not supported: push one tag at a time"}
	}
	if len(pos) != 1 {
		return &exitError{code: 1, msg: "\"layerlab push\" requires exactly 1 argument.\nSee 'layerlab push --help'.\n\nUsage:  layerlab push [OPTIONS] NAME[:TAG]\n\nPush an image or a repository to a registry"}
	}
	t, err := c.registryTarget(ctx, pos[0], *quiet)
	if err != nil {
		return err
	}
	n, ws, reg, hub, out := t.name, t.ws, t.reg, t.hub, t.out
	if _, err := remote.Push(ctx, ws, reg, n.Ref, remote.PushOptions{Out: out}); err != nil {
		return &exitError{code: 1, msg: registryMessage(err, n)}
	}
	if *quiet {
		fmt.Fprintln(c.stdout, n.Ref.String())
	} else if !n.HasHost {
		// The hub stands in for Docker Hub: say where the image really went.
		fmt.Fprintf(c.stdout, "[layerlab] in the built-in hub as %s:%s; other machines pull it with: docker pull HOST:PORT/%s:%s (HOST:PORT of layerlab serve)\n",
			hub.Repo(n.Ref.Path()), n.Ref.Tag(), hub.Repo(n.Ref.Path()), n.Ref.Tag())
	}
	return nil
}
