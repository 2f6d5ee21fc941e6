package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/commands"
	"layerlab/remote"
)

// pullNote and pushNote say, under docker's help text, where layerlab's pull and push go.
const (
	pullNote = `In layerlab, a NAME without a registry address comes from the built-in hub:
demo:v1 from this workspace's namespace, else library/ (the official images'
stand-ins); team/app:1 from that repository. With an address
(127.0.0.1:5000/team/app:1) it comes from that registry, with the credentials of
'layerlab login'.`
	pushNote = `In layerlab, a NAME without a registry address (demo:v1) goes to the built-in hub,
into this workspace's namespace (layerlab hub token); with one
(127.0.0.1:5000/team/app:1) to that registry, with the credentials of 'layerlab
login'.`
)

// transfer runs `layerlab pull|push` and `layerlab image pull|push` (name says which
// was typed): docker's options and help (engine/commands), the registry the name
// names.
func (c *cli) transfer(ctx context.Context, name string, push bool, args []string) error {
	f, pos, err := commands.ParseTransferFlags(push, args)
	if commands.IsHelp(err) {
		note := pullNote
		if push {
			note = pushNote
		}
		fmt.Fprint(c.stdout, commands.TransferUsage("layerlab", name, push, note))
		return nil
	}
	if err != nil {
		return &exitError{code: 125, msg: fmt.Sprintf("%v\nSee 'layerlab %s --help'.", err, name)}
	}
	if len(pos) != 1 {
		return &exitError{code: 1, msg: commands.TransferArgCount("layerlab", name, push)}
	}
	if f.AllTags {
		return &exitError{code: 1, msg: fmt.Sprintf("[layerlab] %s: --all-tags is not supported: %s one tag at a time", name, strings.TrimPrefix(name, "image "))}
	}
	if push {
		return c.push(ctx, pos[0], f.Quiet)
	}
	return c.pull(ctx, pos[0], f)
}

// pull pulls arg from the registry it names.
func (c *cli) pull(ctx context.Context, arg string, f commands.TransferFlags) error {
	var plat remote.Platform
	if p := f.Platform; p != "" {
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return &exitError{code: 1, msg: fmt.Sprintf("Error response from daemon: %q: unknown operating system or architecture: invalid argument\n[layerlab] use OS/ARCH[/VARIANT], e.g. linux/amd64", p)}
		}
		plat = remote.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			plat.Variant = parts[2]
		}
	}
	if n, err := remote.ParseName(arg); err == nil && remote.ServedByStandIn(n) {
		return c.pullStandIn(ctx, n, f.Quiet)
	}
	t, err := c.registryTarget(ctx, arg, f.Quiet)
	if err != nil {
		return err
	}
	n, ws, reg, out := t.name, t.ws, t.reg, t.out
	if _, err := remote.Pull(ctx, ws, reg, n.Ref, remote.PullOptions{Out: out, Platform: plat}); err != nil {
		msg := registryMessage(err, n)
		if !n.HasHost && n.Ref.Digest() != "" && errors.Is(err, remote.ErrManifestUnknown) {
			msg += "\n" + commands.DigestNote("layerlab", n.Ref.Repository(), latestDigest(ctx, reg, n))
		}
		return &exitError{code: 1, msg: msg}
	}
	fmt.Fprintln(c.stdout, n.Ref.String())
	return nil
}

// pullStandIn pulls an image of a public registry other than the hub's that the
// stand-ins serve (remote.PullStandIn): the playground has no network.
func (c *cli) pullStandIn(ctx context.Context, n remote.Name, quiet bool) error {
	ws, err := c.workspace(ctx)
	if err != nil {
		return err
	}
	var out io.Writer = c.stdout
	if quiet {
		out = nil
	} else if n.DefaultTag {
		fmt.Fprintln(out, "Using default tag: latest")
	}
	if _, err := remote.PullStandIn(ctx, ws, n, remote.PullOptions{Out: out}); err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintln(c.stdout, n.Ref.String())
	return nil
}

// latestDigest is the digest of the repository's latest tag in reg, "" when it has none.
func latestDigest(ctx context.Context, reg remote.Registry, n remote.Name) string {
	m, err := reg.Manifest(ctx, n.Ref.Path(), "latest")
	if err != nil {
		return ""
	}
	return m.Digest().String()
}

// pushMessage is registryMessage for a push, with layerlab's word on a missing image
// pushed to the hub.
func pushMessage(err error, n remote.Name, arg string) string {
	msg := registryMessage(err, n)
	if !n.HasHost && errors.Is(err, build.ErrNotFound) {
		msg += "\n" + commands.PushMissingNote("layerlab", arg)
	}
	return msg
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
