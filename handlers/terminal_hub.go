package handlers

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

// terminalPullPush runs `docker pull` and `docker push` in the web terminal, against
// the built-in hub only: a browser must not make the server fetch from or send to an
// address of its choosing. Pushes go to the workspace's own namespace.
func (s *Server) terminalPullPush(ctx context.Context, ws *db.Workspace, name string, push bool, args []string, stdout, stderr io.Writer) int {
	f, pos, err := commands.ParseTransferFlags(push, args) // the command line's options and help too
	if commands.IsHelp(err) {
		io.WriteString(stdout, commands.TransferUsage("docker", name, push, terminalTransferNote))
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\nSee 'docker %s --help'.\n", err, name)
		return 125
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, commands.TransferArgCount("docker", name, push))
		return 1
	}
	if f.AllTags {
		fmt.Fprintf(stderr, "[layerlab] docker %s: --all-tags is not supported: %s one tag at a time\n", name, strings.TrimPrefix(name, "image "))
		return 1
	}
	if f.Platform != "" && f.Platform != "linux/amd64" {
		fmt.Fprintf(stderr, "[layerlab] docker %s: the built-in hub has linux/amd64 images only\n", name)
		return 1
	}
	target, err := s.hubTarget(ws, push, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		return 1
	}
	n, hub := target.name, target.hub
	var out io.Writer = stdout
	if f.Quiet {
		out = nil
	} else if n.DefaultTag {
		fmt.Fprintln(stdout, "Using default tag: latest")
	}
	if push {
		_, err = remote.Push(ctx, ws, hub, n.Ref, remote.PushOptions{Out: out})
	} else {
		_, err = target.pull(ctx, ws, remote.PullOptions{Out: out})
	}
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		switch {
		case !push && n.Ref.Digest() != "" && errors.Is(err, remote.ErrManifestUnknown):
			// A digest copied from Docker Hub (the lesson's): say what the hub has.
			latest := ""
			if m, err := hub.Manifest(ctx, n.Ref.Path(), "latest"); err == nil {
				latest = m.Digest().String()
			}
			fmt.Fprintln(stderr, commands.DigestNote("docker", n.Ref.Repository(), latest))
		case push && errors.Is(err, build.ErrNotFound):
			fmt.Fprintln(stderr, commands.PushMissingNote("docker", pos[0]))
		}
		return 1
	}
	switch {
	case f.Quiet || !push:
		fmt.Fprintln(stdout, n.Ref.String())
	default:
		fmt.Fprintf(stdout, "[layerlab] in the hub as %s:%s: classmates pull it with docker pull %s:%s\n",
			hub.Repo(n.Ref.Path()), n.Ref.Tag(), hub.Repo(n.Ref.Path()), n.Ref.Tag())
	}
	return 0
}

// terminalTransferNote is what the terminal's pull and push help adds to docker's.
const terminalTransferNote = `In this terminal: with the built-in hub only, which stands in for Docker Hub.
A pull of NAME reads your namespace first, then library/ (the official images'
stand-ins: docker search lists them); a push goes into your namespace.`

// hubName is what `docker pull|push NAME` names in the built-in hub, for a workspace.
type hubName struct {
	name remote.Name
	hub  *remote.Hub
	// standIn: a pull of a public registry's image the stand-ins serve
	// (mcr.microsoft.com/dotnet/sdk:8.0): it comes from them, not from that host.
	standIn bool
}

// pull pulls the target: from the stand-ins or from the hub.
func (t *hubName) pull(ctx context.Context, ws *db.Workspace, opt remote.PullOptions) (*remote.PullResult, error) {
	if t.standIn {
		return remote.PullStandIn(ctx, ws, t.name, opt)
	}
	return remote.Pull(ctx, ws, t.hub, t.name.Ref, opt)
}

// hubTarget resolves NAME for the terminal's and the images page's pull and push: the
// built-in hub only (a browser must not make the server fetch from or send to an
// address of its choosing), and pushes into the workspace's own namespace. Its errors
// are what the terminal prints: Docker's text, then layerlab's word on what to do.
func (s *Server) hubTarget(ws *db.Workspace, push bool, arg string) (*hubName, error) {
	verb := "pull"
	if push {
		verb = "push"
	}
	n, err := remote.ParseName(arg)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format: %v", err)
	}
	if n.HasHost && !push && remote.ServedByStandIn(n) {
		return &hubName{name: n, hub: &remote.Hub{Store: s.store, Namespace: db.HubNamespace(ws.Name())}, standIn: true}, nil
	}
	if n.HasHost {
		//lint:ignore ST1005 a sentence the terminal prints as it is, under Docker's error line
		return nil, fmt.Errorf("[layerlab] in the browser, docker %s works with the built-in hub only: leave out the registry address (docker %s %s).",
			verb, verb, strings.TrimPrefix(n.Ref.Path(), "library/")+":"+n.Ref.Tag())
	}
	hub := &remote.Hub{Store: s.store, Namespace: db.HubNamespace(ws.Name())}
	if push && !strings.HasPrefix(hub.Repo(n.Ref.Path()), hub.Namespace+"/") {
		// remote.ErrDenied ("denied"): the hub's refusal, which the images page answers 403.
		//lint:ignore ST1005 a sentence the terminal prints as it is, under Docker's error line
		return nil, fmt.Errorf("%w: requested access to the resource is denied\n[layerlab] you push into your own namespace, %s: docker tag %s %s/IMAGE[:TAG] first, or push a name without a slash.",
			remote.ErrDenied, hub.Namespace, arg, hub.Namespace)
	}
	return &hubName{name: n, hub: hub}, nil
}
