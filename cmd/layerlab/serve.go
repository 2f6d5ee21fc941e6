package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"layerlab/db"
	"layerlab/handlers"
)

const serveUsage = `Usage:  layerlab serve [OPTIONS]

Serve the playground in the browser (what "layerlab" with no command does)

Options:
      --addr string   Address to listen on (default "127.0.0.1:8080")
`

// serve runs the playground's HTTP server until ctx is done (serveOn).
func (c *cli) serve(ctx context.Context, args []string) error {
	addr := "127.0.0.1:8080"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--addr" && i+1 < len(args):
			addr = args[i+1]
			i++
		case strings.HasPrefix(a, "--addr="):
			addr = strings.TrimPrefix(a, "--addr=")
		case a == "-h" || a == "--help":
			fmt.Fprint(c.stdout, serveUsage)
			return nil
		default:
			return &exitError{code: 125, msg: fmt.Sprintf("unknown flag or argument: %s\nSee 'layerlab serve --help'.", a)}
		}
	}
	store, err := db.Open(ctx, c.dataDir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", c.dataDir, err)
	}
	c.store = store
	ln, err := net.Listen("tcp", addr)
	if err != nil { // nothing started yet: run's cli.close closes the store
		return &exitError{code: 1, msg: fmt.Sprintf("layerlab: cannot listen on %s: %v\nPick another address with --addr HOST:PORT.", addr, err)}
	}
	return c.serveOn(ctx, loopbackTunedListener{ln}) // smaller send buffers for loopback peers (listener.go)
}

// serveOn serves the playground on ln with c.store until ctx is done or the server
// fails, and on either way out shuts down in order: stop accepting and let requests
// finish, cancel and record running builds and transfers, close the websocket fan-out
// (handlers' Close), then close the store. A failing server is no excuse to skip a
// step: the database must not close under a build that is still writing to it.
func (c *cli) serveOn(ctx context.Context, ln net.Listener) error {
	log := slog.New(slog.NewTextHandler(c.stderr, nil))
	h := handlers.New(handlers.Deps{Store: c.store, Log: log})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      0, // websockets stream for as long as a build runs; they set their own deadlines
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(c.stdout, "layerlab: the playground is at http://%s/ (data in %s; Ctrl+C stops)\n", ln.Addr(), c.dataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	served := false // Serve has returned (its error is in err)
	select {
	case serr := <-errc:
		err, served = fmt.Errorf("serve: %w", serr), true
	case <-ctx.Done():
		fmt.Fprintln(c.stdout, "layerlab: shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(err, srv.Shutdown(sctx)) // websockets are hijacked: h.Close cancels their builds' streams
	err = errors.Join(err, h.Close(sctx))
	if !served {
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("serve: %w", serr))
		}
	}
	if cerr := c.store.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	c.store = nil // closed: cli.close has nothing left to do
	return err
}
