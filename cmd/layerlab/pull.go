package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/remote"
)

const pullUsage = `Usage:  layerlab pull [OPTIONS] NAME[:TAG|@DIGEST]

Pull an image from a registry, as docker pull does. A NAME without a registry address
comes from the built-in hub: demo:v1 from this workspace's namespace, else library/;
team/app:1 from that repository. With an address (127.0.0.1:5000/team/app:1) it comes
from that registry, with the credentials of 'layerlab login'.

Options:
      --disable-content-trust   Skip image verification (default true)
      --platform string         Set platform if server is multi-platform
                                capable (default linux/amd64)
  -q, --quiet                   Suppress verbose output
`

// pull runs `layerlab pull`.
func (c *cli) pull(ctx context.Context, args []string) error {
	fs := commands.NewFlagSet("pull")
	quietP := fs.Bool("quiet", "q", false, "")
	fs.Bool("disable-content-trust", "", true, "")
	platformP := fs.String("platform", "", "", "")
	allTags := fs.Bool("all-tags", "a", false, "")
	pos, help, err := c.parseFlags("pull", pullUsage, fs, args)
	if help || err != nil {
		return err
	}
	if *allTags {
		return &exitError{code: 1, msg: "layerlab pull: --all-tags is not supported: pull one tag at a time"}
	}
	quiet, platform := *quietP, *platformP
	if len(pos) != 1 {
		return &exitError{code: 1, msg: "\"layerlab pull\" requires exactly 1 argument.\nSee 'layerlab pull --help'.\n\nUsage:  layerlab pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nPull an image or a repository from a registry"}
	}
	var plat remote.Platform
	if platform != "" {
		f := strings.Split(platform, "/")
		if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
			return &exitError{code: 1, msg: fmt.Sprintf("invalid platform %q: use OS/ARCH[/VARIANT], e.g. linux/amd64", platform)}
		}
		plat = remote.Platform{OS: f[0], Architecture: f[1]}
		if len(f) == 3 {
			plat.Variant = f[2]
		}
	}
	t, err := c.registryTarget(ctx, pos[0], quiet)
	if err != nil {
		return err
	}
	n, ws, reg, out := t.name, t.ws, t.reg, t.out
	if _, err := remote.Pull(ctx, ws, reg, n.Ref, remote.PullOptions{Out: out, Platform: plat}); err != nil {
		return &exitError{code: 1, msg: registryMessage(err, n)}
	}
	fmt.Fprintln(c.stdout, n.Ref.String())
	return nil
}

// registryMessage is what the CLI prints for a failed pull, push or login: Docker's
// text, and for a registry nothing answered at, a line saying what to check.
func registryMessage(err error, n remote.Name) string {
	msg := err.Error()
	if errors.Is(err, remote.ErrUnreachable) {
		msg += fmt.Sprintf("\n[layerlab] nothing answered at %s: is a registry running there? (scripts/docker-registry-up starts one)", n.Ref.Domain())
	}
	return msg
}

// registryTarget is what pull and push work with: the name as typed, the workspace,
// the registry it names (the built-in hub, in the same store, for a name without a
// registry address), and where Docker's progress lines go (nil with -q).
type registryTarget struct {
	name remote.Name
	ws   *db.Workspace
	hub  *remote.Hub
	reg  remote.Registry
	out  io.Writer
}

func (c *cli) registryTarget(ctx context.Context, arg string, quiet bool) (*registryTarget, error) {
	n, err := remote.ParseName(arg)
	if err != nil {
		return nil, &exitError{code: 1, msg: err.Error()}
	}
	ws, err := c.workspace(ctx)
	if err != nil {
		return nil, err
	}
	t := &registryTarget{name: n, ws: ws, hub: &remote.Hub{Store: c.store, Namespace: db.HubNamespace(ws.Name())}, out: c.stdout}
	if t.reg, err = remote.Open(n, remote.CredentialsFile(c.dataDir), t.hub); err != nil {
		return nil, &exitError{code: 1, msg: err.Error()}
	}
	if quiet {
		t.out = nil
	} else if n.DefaultTag {
		fmt.Fprintln(c.stdout, "Using default tag: latest")
	}
	return t, nil
}
