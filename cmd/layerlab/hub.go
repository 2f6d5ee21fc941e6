package main

import (
	"context"
	"fmt"
)

const hubUsage = `Usage:  layerlab hub token [--rotate]

Print this workspace's namespace of the built-in registry (the hub) and its push token,
as "NAMESPACE TOKEN". Log in with: docker login -u NAMESPACE HOST:PORT (the token is the
password). --rotate makes a new token; the old one stops working.
`

// hub runs `layerlab hub token`.
func (c *cli) hub(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(c.stdout, hubUsage)
		return nil
	}
	if args[0] != "token" {
		return &exitError{code: 1, msg: fmt.Sprintf("layerlab hub: unknown command %q\nSee 'layerlab hub --help'.", args[0])}
	}
	rotate := false
	for _, a := range args[1:] {
		switch a {
		case "--rotate":
			rotate = true
		case "-h", "--help":
			fmt.Fprint(c.stdout, hubUsage)
			return nil
		default:
			return &exitError{code: 125, msg: fmt.Sprintf("unknown flag: %s\nSee 'layerlab hub --help'.", a)}
		}
	}
	ws, err := c.workspace(ctx)
	if err != nil {
		return err
	}
	ns, token, err := ws.HubToken(ctx, rotate)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s %s\n", ns, token)
	return nil
}
