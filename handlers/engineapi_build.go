package handlers

// POST /build through the Engine API: `docker build` (the classic builder, as Docker
// 20.10's CLI uses it and the 28.x CLI without buildx) sends its context as a tar and
// reads back the daemon's JSON stream (engine/build.DockerStream). The build is one of
// the workspace's builds, started by the same runner as the page's Build button: stored
// with its builds (the page lists it and can follow it), queued for a slot, bounded by
// the builds per minute and the storage quota; the tar is the build's context only, and
// the workspace's editor files stay as they are.

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"

	"layerlab/engine/build"
	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
)

// contextTarSlack is what a build context's tar may hold beyond its files' bytes:
// each entry's header, long-name records and padding (at most a few KiB an entry).
const contextTarSlack = (8 << 10) * (maxContextFiles + 2)

func (s *Server) engineBuild(w http.ResponseWriter, r *http.Request) {
	ws := engineWorkspace(r)
	req, quiet, err := engineBuildRequest(r)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	files, err := readBuildContext(r.Body)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	if !hasContextFile(files, req.File) {
		engineError(w, http.StatusInternalServerError, "Cannot locate specified Dockerfile: "+req.File)
		return
	}

	// The answer streams for as long as the build runs, past serve's ReadTimeout too:
	// net/http's deadline bounds reading the request, and the body is read by now
	// (checked: a handler streaming after its deadline is not cancelled).
	rc := http.NewResponseController(w)
	out := &frameQueue{ready: make(chan struct{}, 1)}
	stream := build.NewDockerStream(out.push)
	stream.Quiet = quiet
	stream.NoAux = versionLess(engineVersion(r), "1.30")
	stream.ForceRm = boolParam(r.URL.Query().Get("forcerm"))
	req.Via = viaEngine // the workspace's open pages say "docker build from a terminal" (workspacefeed.go)
	rb, err := s.builds.startFiles(ws, req, files, stream.Sink)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	// The build runs on whether or not the client stays (as the page's does); the
	// frames are written here, never from the build's goroutine, so a client that reads
	// slowly or goes away never holds the build up.
	wrote := false
	send := func() bool {
		frames := out.take()
		if len(frames) == 0 {
			return true
		}
		if !wrote {
			wrote = true
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
		}
		for _, f := range frames {
			if _, err := w.Write(f); err != nil {
				return false
			}
		}
		return rc.Flush() == nil
	}
	for done := false; !done; {
		select {
		case <-out.ready:
		case <-rb.done:
			done = true
		case <-r.Context().Done():
			out.drop()
			return
		}
		if !send() {
			out.drop()
			return
		}
	}
	send() // what came between the last send and the end
	if !wrote && rb.err != nil {
		// Failed before its first step (a parse error, an unknown --target): Docker
		// answers those as request errors.
		s.engineBuildFailed(w, r, rb.err)
	}
}

// engineBuildFailed answers a build that failed before it wrote anything, as the
// daemon does: a Dockerfile's mistake is a 400 with Docker's text, anything else its
// status(). layerlab's hints are left out, as in the stream (build.DockerStream): the
// CLI prints the message as the daemon's; the page watching the build shows them.
func (s *Server) engineBuildFailed(w http.ResponseWriter, r *http.Request, err error) {
	var pe *dockerfile.Error
	if errors.As(err, &pe) {
		engineError(w, http.StatusBadRequest, pe.Msg)
		return
	}
	if code, _, internal := status(err); internal || code == http.StatusInternalServerError {
		engineError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.engineFail(w, r, err)
}

// engineBuildRequest reads POST /build's query as the daemon does: every parameter the
// 20.10 CLI sends; the 28.x CLI leaves out the defaults (rm among them: true).
func engineBuildRequest(r *http.Request) (req buildRequest, quiet bool, err error) {
	q := r.URL.Query()
	if v := q.Get("version"); v == "2" {
		return req, false, errBadRequest("layerlab serves Docker's classic builder only, not BuildKit: build with DOCKER_BUILDKIT=0 " +
			"(docker build then sends the context to the classic builder)")
	}
	if remote := q.Get("remote"); remote != "" {
		return req, false, errBadRequest("layerlab builds only the context sent with the request: a remote context (" + remote +
			") is not fetched; clone or download it and build the directory")
	}
	seen := map[string]bool{}
	for _, t := range q["t"] {
		if t == "" {
			continue
		}
		ref, err := image.ParseRef(t)
		if err != nil {
			return req, false, &httpError{http.StatusInternalServerError, err.Error()}
		}
		if ref.Digest() != "" {
			return req, false, &httpError{http.StatusInternalServerError, "build tag cannot contain a digest"}
		}
		// The 28.x CLI may send docker.io/library/lesson: Docker stores lesson.
		name := familiarName(t)
		if !seen[ref.String()] {
			seen[ref.String()] = true
			req.Tags = append(req.Tags, name)
		}
	}
	req.File = strings.TrimPrefix(path.Clean("/"+q.Get("dockerfile")), "/")
	if req.File == "" {
		req.File = "Dockerfile"
	}
	if v := q.Get("buildargs"); v != "" {
		var args map[string]*string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			return req, false, errBadRequest("error reading build args: " + err.Error())
		}
		for k, v := range args {
			if v == nil {
				continue // --build-arg NAME with NAME unset where the CLI ran: no value
			}
			if req.BuildArgs == nil {
				req.BuildArgs = map[string]string{}
			}
			req.BuildArgs[k] = *v
		}
	}
	if v := q.Get("labels"); v != "" {
		var labels map[string]string
		if err := json.Unmarshal([]byte(v), &labels); err != nil {
			return req, false, errBadRequest("error reading labels: " + err.Error())
		}
		if len(labels) > 0 {
			return req, false, errBadRequest("layerlab does not apply docker build --label: put the labels in the Dockerfile (LABEL key=value) instead")
		}
	}
	if v := q.Get("cachefrom"); v != "" {
		var from []string
		if err := json.Unmarshal([]byte(v), &from); err != nil {
			return req, false, errBadRequest("error reading cache-from: " + err.Error())
		}
		if len(from) > 0 {
			return req, false, errBadRequest("layerlab does not take docker build --cache-from: its builds use the workspace's own images as the cache")
		}
	}
	// --network: the sandbox has no network whatever the mode, and the classic builder
	// records a step's container as the mode makes it (host: the daemon host's name as
	// the metadata steps' hostname), so a mode that would change the image is refused
	// rather than built differently.
	switch mode := q.Get("networkmode"); mode {
	case "", "default", "bridge", "none":
	default:
		return req, false, errBadRequest("layerlab does not take docker build --network " + mode +
			": its RUN steps are simulated with no network, as with the default mode; leave --network out")
	}
	if boolParam(q.Get("squash")) {
		return req, false, errBadRequest("squash is only supported with experimental mode")
	}
	req.Target = q.Get("target")
	req.NoCache = boolParam(q.Get("nocache"))
	// rm and forcerm (remove the intermediate containers) are accepted: a playground
	// build makes no containers to remove, and prints "Removing intermediate container"
	// as Docker does with rm's default, and with forcerm for a failed step too
	// (build.DockerStream.ForceRm).
	return req, boolParam(q.Get("q")), nil
}

// boolParam reads a boolean query parameter as the daemon does (httputils.BoolValue):
// anything but "", "0", "no", "false" and "none" is true.
func boolParam(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// readBuildContext reads POST /build's body, a tar (gzipped when docker build
// --compress sent it), within the page's context limits: maxContextFiles entries,
// maxFileBytes a file, maxContextBytes in all. A context past them is refused at the
// first header that passes, before the rest is read.
func readBuildContext(body io.Reader) ([]build.File, error) {
	limited := &io.LimitedReader{R: body, N: maxContextBytes + contextTarSlack}
	br := bufio.NewReader(limited)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, errBadRequest("the build context is not a tar archive: " + err.Error())
		}
		in = gz
	}
	tooLarge := func(what string) error {
		return errTooLarge(fmt.Sprintf("the build context %s: a layerlab playground takes contexts of up to %d files of up to %s each, %s in all, as its page's context; "+
			"leave files out with a .dockerignore", what, maxContextFiles, mib(maxFileBytes), mib(maxContextBytes)))
	}
	tr := tar.NewReader(in)
	var files []build.File
	var total int64
	seen := map[string]int{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			if limited.N <= 0 {
				return nil, tooLarge(fmt.Sprintf("is more than %s", mib(maxContextBytes)))
			}
			return nil, errBadRequest("the build context is not a tar archive: " + err.Error())
		}
		if len(files) >= maxContextFiles {
			return nil, tooLarge(fmt.Sprintf("has more than %d files", maxContextFiles))
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue // the context's own directory
		}
		// BareMode: the 28.x CLI's headers carry the permissions alone (0644), the 20.10
		// CLI's the file type too (0100644); Docker's COPY checksums differ by it.
		f := build.File{Path: name, Mode: fs.FileMode(h.Mode).Perm(), ModTime: h.ModTime, BareMode: h.Mode&^0o7777 == 0}
		switch h.Typeflag {
		case tar.TypeDir:
			f.Dir = true
		case tar.TypeSymlink:
			f.Symlink = h.Linkname
		case tar.TypeLink:
			// A hard link in the context: the file it names, again.
			i, ok := seen[strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")]
			if !ok {
				return nil, errBadRequest(fmt.Sprintf("the build context's %s links to %s, which comes nowhere before it", h.Name, h.Linkname))
			}
			f.Data = files[i].Data
			total += int64(len(f.Data))
		case tar.TypeReg:
			if h.Size > maxFileBytes {
				return nil, tooLarge(fmt.Sprintf("holds %s, of %d bytes", h.Name, h.Size))
			}
			if total+h.Size > maxContextBytes {
				return nil, tooLarge(fmt.Sprintf("is more than %s", mib(maxContextBytes)))
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, errBadRequest(fmt.Sprintf("the build context's %s: %v", h.Name, err))
			}
			f.Data = data
			total += int64(len(data))
		default:
			continue // devices, fifos: the CLI sends none, and a context holds no such thing
		}
		if total > maxContextBytes {
			return nil, tooLarge(fmt.Sprintf("is more than %s", mib(maxContextBytes)))
		}
		seen[name] = len(files)
		files = append(files, f)
	}
}

// mib is a limit in MiB, as the limits are set ("16 MiB").
func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// hasContextFile tells whether the context holds name as a file (or a link to one).
func hasContextFile(files []build.File, name string) bool {
	for _, f := range files {
		if f.Path == name && !f.Dir {
			return true
		}
	}
	return false
}

// frameQueue carries a build's frames from its goroutine (push never waits) to the
// request's (take). Its size is bounded by what a build may print (build.Budget's
// MaxOutput) and its steps' lines.
type frameQueue struct {
	mu      sync.Mutex
	frames  [][]byte
	dropped bool // the client went away: frames are no longer kept
	ready   chan struct{}
}

func (q *frameQueue) push(f []byte) {
	q.mu.Lock()
	if !q.dropped {
		q.frames = append(q.frames, f)
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *frameQueue) take() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.frames
	q.frames = nil
	return f
}

func (q *frameQueue) drop() {
	q.mu.Lock()
	q.dropped, q.frames = true, nil
	q.mu.Unlock()
}

// engineBuildPrune is POST /build/prune (docker builder prune): the classic builder
// keeps no build cache apart from its images (docker image prune removes those), so
// there is nothing to prune, and the answer is Docker's for that.
func (s *Server) engineBuildPrune(w http.ResponseWriter, r *http.Request) {
	engineJSON(w, http.StatusOK, map[string]any{"CachesDeleted": nil, "SpaceReclaimed": 0})
}
