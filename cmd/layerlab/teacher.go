package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"layerlab/db"
	"layerlab/handlers"
)

const teacherUsage = `Usage:  layerlab teacher link [--rotate] [--public-url URL]

Print the teacher link of this data directory's server: opening it in a browser makes
that browser the teacher (it creates classes at /teach). Keep it secret.

Options:
      --public-url URL   The server's URL as the teacher's browser reaches it
                         (default http://127.0.0.1:8080, serve's default --addr)
      --rotate           Make a new secret: every earlier teacher link and every
                         teacher's browser stops working (open the new link again)
`

// teacherLinkLine is how serve and `teacher link` print the link.
func teacherLinkLine(link string) string {
	return "teacher link (keep it secret; layerlab teacher link --rotate replaces it): " + link
}

// teacher runs `layerlab teacher link`.
func (c *cli) teacher(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(c.stdout, teacherUsage)
		return nil
	}
	if args[0] != "link" {
		return &exitError{code: 1, msg: fmt.Sprintf("layerlab teacher: unknown command %q\nSee 'layerlab teacher --help'.", args[0])}
	}
	rotate, base := false, "http://127.0.0.1:8080"
	for rest := args[1:]; len(rest) > 0; rest = rest[1:] {
		a := rest[0]
		switch {
		case a == "--rotate":
			rotate = true
		case a == "-h" || a == "--help":
			fmt.Fprint(c.stdout, teacherUsage)
			return nil
		case a == "--public-url" && len(rest) > 1:
			base, rest = rest[1], rest[1:]
		case strings.HasPrefix(a, "--public-url="):
			base = strings.TrimPrefix(a, "--public-url=")
		case a == "--data-dir" && len(rest) > 1:
			c.dataDir, rest = rest[1], rest[1:]
		case strings.HasPrefix(a, "--data-dir="):
			c.dataDir = strings.TrimPrefix(a, "--data-dir=")
		default:
			return &exitError{code: 125, msg: fmt.Sprintf("unknown flag or missing value: %s\nSee 'layerlab teacher --help'.", a)}
		}
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return &exitError{code: 125, msg: fmt.Sprintf("invalid --public-url %q: want the server's root URL as the teacher's browser reaches it, such as http://10.0.0.5:8080", base)}
	}
	store, err := db.Open(ctx, c.dataDir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", c.dataDir, err)
	}
	c.store = store
	if rotate {
		if _, err := store.RotateSecret(ctx, handlers.TeacherSecret); err != nil {
			return err
		}
	}
	link, err := handlers.TeacherLink(ctx, store, base)
	if err != nil {
		return err
	}
	if rotate {
		fmt.Fprintln(c.stdout, "layerlab: a new teacher secret: every earlier teacher link and teacher's browser stops working now (a running server checks it at each request); open the new link")
	}
	fmt.Fprintln(c.stdout, teacherLinkLine(link))
	return nil
}
