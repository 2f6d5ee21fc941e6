package main

import (
	"context"
	"fmt"

	"layerlab/remote"
)

// push pushes arg to the registry it names.
func (c *cli) push(ctx context.Context, arg string, quiet bool) error {
	t, err := c.registryTarget(ctx, arg, quiet)
	if err != nil {
		return err
	}
	n, ws, reg, hub, out := t.name, t.ws, t.reg, t.hub, t.out
	if _, err := remote.Push(ctx, ws, reg, n.Ref, remote.PushOptions{Out: out}); err != nil {
		return &exitError{code: 1, msg: pushMessage(err, n, arg)}
	}
	if quiet {
		fmt.Fprintln(c.stdout, n.Ref.String())
	} else if !n.HasHost {
		// The hub stands in for Docker Hub: say where the image really went.
		fmt.Fprintf(c.stdout, "[layerlab] in the built-in hub as %s:%s; other machines pull it with: docker pull HOST:PORT/%s:%s (HOST:PORT of layerlab serve)\n",
			hub.Repo(n.Ref.Path()), n.Ref.Tag(), hub.Repo(n.Ref.Path()), n.Ref.Tag())
	}
	return nil
}
