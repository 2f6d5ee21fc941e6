package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"layerlab/handlers"
)

const contextUsage = `Usage:  layerlab context [--addr HOST:PORT] [--public-url URL] [--rotate]

Print the lines that make the real docker CLI a client of this data directory's
workspace (the one layerlab build, images, push ... use), through the Docker Engine
API of "layerlab serve" at HOST:PORT. A browser's workspace has its own lines, on its
playground page ("Use your own docker CLI").

The token in the lines is the workspace's secret: whoever has it can build, push and
delete its images. There are no containers (RUN is simulated; docker run, ps, exec are
refused). A docker CLI with buildx builds with BuildKit: set DOCKER_BUILDKIT=0. Docker
28.x CLIs print a DEPRECATED warning about the legacy builder: layerlab is that builder.

Options:
      --addr HOST:PORT   The server's address as the docker CLI reaches it
                         (default "127.0.0.1:8080", serve's default --addr)
      --public-url URL   The server's URL as clients reach it (serve's --public-url);
                         it wins over --addr
      --rotate           Make a new token: the old one stops working at once, also on
                         a running server (it checks the token at every request)
`

// contextCmd runs `layerlab context`.
func (c *cli) contextCmd(ctx context.Context, args []string) error {
	addr, publicURL, rotate := "127.0.0.1:8080", "", false
	usageErr := func(msg string) error {
		return &exitError{code: 125, msg: msg + "\nSee 'layerlab context --help'."}
	}
	for rest := args; len(rest) > 0; rest = rest[1:] {
		a := rest[0]
		switch {
		case a == "-h" || a == "--help":
			fmt.Fprint(c.stdout, contextUsage)
			return nil
		case a == "--rotate":
			rotate = true
		case a == "--addr" && len(rest) > 1:
			addr, rest = rest[1], rest[1:]
		case strings.HasPrefix(a, "--addr="):
			addr = strings.TrimPrefix(a, "--addr=")
		case a == "--public-url" && len(rest) > 1:
			publicURL, rest = rest[1], rest[1:]
		case strings.HasPrefix(a, "--public-url="):
			publicURL = strings.TrimPrefix(a, "--public-url=")
		case a == "--data-dir" && len(rest) > 1:
			c.dataDir, rest = rest[1], rest[1:]
		case strings.HasPrefix(a, "--data-dir="):
			c.dataDir = strings.TrimPrefix(a, "--data-dir=")
		case strings.HasPrefix(a, "-"):
			return usageErr("unknown flag or missing value: " + a)
		default:
			return usageErr(fmt.Sprintf("\"layerlab context\" accepts no arguments (got %q)", a))
		}
	}
	if err := checkContextAddr(addr); err != nil {
		return usageErr(err.Error())
	}
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return usageErr(fmt.Sprintf("invalid --public-url %q: want the server's root URL as clients reach it, such as http://10.0.0.5:8080", publicURL))
		}
	}
	ws, err := c.workspace(ctx)
	if err != nil {
		return err
	}
	var tok string
	if rotate {
		tok, err = ws.RotateEngineToken(ctx)
	} else {
		tok, err = ws.EngineToken(ctx)
	}
	if err != nil {
		return err
	}
	hp, tls := handlers.EngineHostPort(publicURL, addr, false)
	l := handlers.EngineCLILines(hp, tok, tls)
	// The comments start with # so that the whole output can be pasted into a shell.
	w := c.stdout
	fmt.Fprintf(w, "# The docker CLI on this data directory's workspace, through layerlab serve at %s\n", hp)
	fmt.Fprintln(w, "# (the token is the workspace's secret; no containers: RUN is simulated; with buildx set DOCKER_BUILDKIT=0):")
	fmt.Fprintln(w, l.Create)
	fmt.Fprintln(w, l.Build)
	fmt.Fprintln(w, "# or, for this shell only:")
	fmt.Fprintln(w, l.Export)
	if tls {
		fmt.Fprintln(w, "# The server's URL is https: the docker CLI speaks plain HTTP to a tcp:// host unless it is given TLS options, which these lines do not carry.")
	}
	if rotate {
		fmt.Fprintln(w, "# A new token: the old one stops working now. A docker context made with the old one takes the new one with:")
		fmt.Fprintln(w, l.Update)
	}
	return nil
}

// checkContextAddr refuses an address the docker CLI cannot dial: serve may listen on
// :8080 or 0.0.0.0:8080, but a client needs the host it reaches the server at.
func checkContextAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid --addr %q: want HOST:PORT as the docker CLI reaches the server, such as 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("invalid --addr %q: the port must be a number from 1 to 65535", addr)
	}
	if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		return fmt.Errorf("invalid --addr %q: a client cannot connect to %q: give the host the docker CLI reaches the server at, such as 127.0.0.1:%s", addr, host, port)
	}
	return nil
}

// contextCommand is the `layerlab context` command that prints the lines for a server
// listening on addr (or reached at publicURL) over c's data directory, as serve
// suggests it when it starts.
func (c *cli) contextCommand(addr, publicURL string) string {
	cmd := "layerlab"
	if c.dataDir != c.getenv("LAYERLAB_DATA") && c.dataDir != defaultDataDir(c.getenv) {
		cmd += " --data-dir " + c.dataDir
	}
	cmd += " context"
	switch _, port, _ := net.SplitHostPort(addr); {
	case publicURL != "":
		cmd += " --public-url " + publicURL
	case addr == "127.0.0.1:8080":
	case checkContextAddr(addr) != nil: // :8080, 0.0.0.0:8080: the host the docker CLI dials is not known here
		cmd += " --addr HOST:" + port + " (HOST: this machine's address as the docker CLI reaches it)"
	default:
		cmd += " --addr " + addr
	}
	return cmd
}
