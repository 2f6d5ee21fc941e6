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

// serve runs the playground's HTTP server until ctx is done, then shuts down in order:
// stop accepting, let requests finish, cancel and record running builds, close the store.
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
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("layerlab: cannot listen on %s: %v\nPick another address with --addr HOST:PORT.", addr, err)}
	}
	ln = loopbackTunedListener{ln} // smaller send buffers for loopback peers (listener.go)
	log := slog.New(slog.NewTextHandler(c.stderr, nil))
	h := handlers.New(handlers.Deps{Store: store, Log: log})
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
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(c.stdout, "layerlab: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	serr := srv.Shutdown(sctx) // websockets are hijacked: Close cancels their builds' streams
	if err := h.Close(sctx); err != nil {
		serr = errors.Join(serr, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		serr = errors.Join(serr, err)
	}
	return serr
}
