package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// serveOptions are the changes to the hub's download path to try.
type serveOptions struct {
	sndbuf  int // SO_SNDBUF of each accepted connection; 0: autotuned
	lowat   int // TCP_NOTSENT_LOWAT; 0: unset
	copyBuf int // > 0: send through a user-space buffer of this size, not sendfile
}

var (
	standInBlob     = regexp.MustCompile(`^/v2/.+/blobs/sha256:([0-9a-f]{64})$`)
	standInManifest = regexp.MustCompile(`^/v2/.+/manifests/[^/]+$`)
)

// serve is a read-only stand-in registry over dir (files named by their sha256 hex):
// GET /v2/ answers 200 (no token needed), every manifest request gets the manifest
// file, and blobs are sent as the hub sends them (handlers/registry_blobs.go:
// http.ServeContent of the opened file) unless opt says otherwise. It prints
// "hubbench: serving on ADDR" and runs until SIGTERM or SIGINT.
func serve(dir, addr, manifest string, opt serveOptions) error {
	if len(manifest) > 7 && manifest[:7] == "sha256:" {
		manifest = manifest[7:]
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifest))
	if err != nil {
		return fmt.Errorf("-manifest: %w", err)
	}
	lc := net.ListenConfig{}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		p := r.URL.Path
		if p == "/v2/" || p == "/v2" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		if standInManifest.MatchString(p) {
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Header().Set("Docker-Content-Digest", "sha256:"+manifest)
			w.Write(raw)
			return
		}
		m := standInBlob.FindStringSubmatch(p)
		if m == nil {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(dir, m[1]))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		if opt.copyBuf <= 0 {
			http.ServeContent(w, r, "", time.Time{}, f)
			return
		}
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
		w.WriteHeader(http.StatusOK)
		// Hide ReadFrom and WriteTo, so nothing sendfiles: a plain read/write loop.
		io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{f}, make([]byte, opt.copyBuf))
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		tc, ok := c.(*net.TCPConn)
		if s != http.StateNew || !ok {
			return
		}
		if opt.sndbuf > 0 {
			tc.SetWriteBuffer(opt.sndbuf) // SO_SNDBUF; the kernel doubles it and stops autotuning
		}
		if opt.lowat > 0 {
			if rc, err := tc.SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) {
					syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, 25 /* TCP_NOTSENT_LOWAT */, opt.lowat)
				})
			}
		}
	}
	fmt.Printf("hubbench: serving on %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
