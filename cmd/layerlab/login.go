package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"layerlab/engine/commands"
	"layerlab/remote"
)

const loginUsage = `Usage:  layerlab login [OPTIONS] SERVER

Log in to a registry (HOST:PORT): the credentials are checked against its /v2/ and
stored, unencrypted, in the data directory's credentials.json (mode 0600), for pull
and push to that registry.

Options:
  -p, --password string   Password
      --password-stdin    Take the password from stdin
  -u, --username string   Username
`

const logoutUsage = `Usage:  layerlab logout SERVER

Log out from a registry: forget the credentials 'layerlab login' stored for it.
`

// login runs `layerlab login`.
func (c *cli) login(ctx context.Context, args []string) error {
	fs := commands.NewFlagSet("login")
	userP := fs.String("username", "u", "", "")
	passP := fs.String("password", "p", "", "")
	passStdinP := fs.Bool("password-stdin", "", false, "")
	pos, help, err := c.parseFlags("login", loginUsage, fs, args)
	if help || err != nil {
		return err
	}
	user, pass, passSet, passStdin := *userP, *passP, fs.Changed("password"), *passStdinP
	if len(pos) > 1 {
		return &exitError{code: 1, msg: "\"layerlab login\" requires at most 1 argument.\nSee 'layerlab login --help'.\n\nUsage:  layerlab login [OPTIONS] SERVER\n\nLog in to a registry"}
	}
	if len(pos) == 0 {
		return &exitError{code: 1, msg: "layerlab login: give the registry's address (e.g. 127.0.0.1:5000): the built-in hub takes no login yet"}
	}
	if passSet {
		fmt.Fprintln(c.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if passStdin {
			return &exitError{code: 1, msg: "--password and --password-stdin are mutually exclusive"}
		}
	}
	if passStdin {
		if user == "" {
			return &exitError{code: 1, msg: "Must provide --username with --password-stdin"}
		}
		b, err := io.ReadAll(io.LimitReader(c.stdin, 1<<20))
		if err != nil {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	if user == "" || pass == "" {
		// Docker would prompt; layerlab never reads a terminal.
		return &exitError{code: 1, msg: "Error: Cannot perform an interactive login from a non TTY device"}
	}
	host := serverHost(pos[0])
	cred := remote.Credential{Username: user, Password: pass}
	if err := remote.Login(ctx, host, cred); err != nil {
		n, _ := remote.ParseName(host + "/x")
		return &exitError{code: 1, msg: registryMessage(&remote.DaemonError{Err: err}, n)}
	}
	creds := remote.CredentialsFile(c.dataDir)
	if err := creds.Set(host, cred); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "WARNING! Your password will be stored unencrypted in %s.\n\n", creds.Path)
	fmt.Fprintln(c.stdout, "Login Succeeded")
	return nil
}

// logout runs `layerlab logout`.
func (c *cli) logout(ctx context.Context, args []string) error {
	var pos []string
	for _, a := range args {
		switch {
		case a == "-h" || a == "--help":
			fmt.Fprint(c.stdout, logoutUsage)
			return nil
		case strings.HasPrefix(a, "-"):
			return &exitError{code: 125, msg: fmt.Sprintf("unknown flag: %s\nSee 'layerlab logout --help'.", a)}
		}
		pos = append(pos, a)
	}
	if len(pos) != 1 {
		return &exitError{code: 1, msg: "\"layerlab logout\" requires exactly 1 argument.\nSee 'layerlab logout --help'.\n\nUsage:  layerlab logout SERVER\n\nLog out from a registry"}
	}
	host := serverHost(pos[0])
	if _, err := remote.CredentialsFile(c.dataDir).Remove(host); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Removing login credentials for %s\n", host)
	return nil
}

// serverHost is the registry host of what a user gave login: Docker accepts a URL too.
func serverHost(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}
