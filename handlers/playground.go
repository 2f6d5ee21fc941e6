package handlers

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/dockerfile"
	"layerlab/examples"
	"layerlab/web"
)

// Limits on a workspace's build context, as edited in the browser.
const (
	maxFileBytes    = 1 << 20  // one file
	maxContextBytes = 16 << 20 // the whole context
	maxContextFiles = 500
	maxUploadBytes  = 16 << 20 // one upload request (files or a tar)
	maxJSONBytes    = 2 << 20  // a JSON request (a file's content, build options)
)

func (s *Server) playgroundRoutes(r chi.Router) {
	r.Get("/", s.playgroundPage)
	r.Get("/api/context", s.getContext)
	r.Put("/api/context/file", s.putContextFile)
	r.Delete("/api/context/file", s.deleteContextFile)
	r.Post("/api/context/rename", s.renameContextFile)
	r.Post("/api/context/upload", s.uploadContext)
	r.Post("/api/examples/{name}", s.loadExample)
	r.Post("/api/lint", s.lint)
	r.Post("/api/builds", s.startBuild)
	r.Get("/api/builds", s.listBuilds)
	r.Get("/api/builds/{id}", s.getBuild)
	r.Post("/api/builds/{id}/cancel", s.cancelBuild)
	r.Get("/api/builds/{id}/events", s.buildEvents)
	r.Get("/api/builds/{id}/compare", s.compareBuild)
	r.Get("/ws/builds/{id}", s.watchBuild)
	s.engineTokenRoutes(r) // the panel "Use your own docker CLI": its token (enginetoken.go)
	// Builds started anywhere in the workspace (workspacefeed.go).
	r.Get("/ws/workspace", s.workspaceFeedSocket)
}

func (s *Server) page(r *http.Request, title, active string) web.Page {
	p := web.Page{Title: title, Active: active, CSRF: csrfOf(r), Workspace: workspace(r).Name()}
	// A workspace not stored yet is in no class and no teacher's: a visit that only
	// looks costs no query.
	if info, _ := r.Context().Value(keySession).(*sessionInfo); info != nil && info.stored {
		_, p.Teacher = s.teacherOf(r)
		class, ok := s.classes.cachedClass(p.Workspace)
		if !ok {
			class = s.classes.lookupClass(p.Workspace)
		}
		p.InClass = class != ""
	}
	return p
}

// playgroundPage is the editor, the file tree, the build options and the live build.
func (s *Server) playgroundPage(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	files, err := s.contextFiles(r) // a workspace not stored yet shows the example it will start with
	if err != nil {
		s.fail(w, r, err)
		return
	}
	builds, err := ws.Builds(r.Context(), 10)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := web.PlaygroundView{Examples: examples.All, Lesson: s.playgroundLesson(r)}
	for _, f := range files {
		v.Files = append(v.Files, web.ContextFile{Path: f.Path, Size: int64(len(f.Data)), Text: isText(f.Data)})
	}
	for _, b := range builds {
		v.Builds = append(v.Builds, web.BuildRow{ID: b.ID, State: string(b.State), Tags: b.Tags, Created: b.Created, Error: b.Error, Image: b.Image.String()})
	}
	if len(builds) > 0 {
		last := builds[0]
		v.LastTags = strings.Join(last.Tags, " ")
		v.LastBuild = last.ID // the page shows it on load: a reload keeps the build in view
	} else {
		v.LastTags = "demo:v1"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	v.Notice = s.takeNotice(w, r)    // "You joined CLASS as NAME" after /join (class.go)
	v.EngineAPI = s.engineAPIView(r) // the panel "Use your own docker CLI" (enginetoken.go)
	web.PlaygroundPage(s.page(r, "Playground", "playground"), v).Render(r.Context(), w)
}

func isText(b []byte) bool { return utf8.Valid(b) && !bytes.ContainsRune(b, 0) }

// contextFileJSON is one file as the editor gets it: text files with their content.
type contextFileJSON struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Mode string `json:"mode"`
	Text bool   `json:"text"`
	Data string `json:"content,omitempty"`
}

func (s *Server) getContext(w http.ResponseWriter, r *http.Request) {
	files, err := s.contextFiles(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []contextFileJSON{}
	for _, f := range files {
		j := contextFileJSON{Path: f.Path, Size: int64(len(f.Data)), Mode: fmt.Sprintf("%04o", f.Mode.Perm()), Text: isText(f.Data)}
		if j.Text {
			j.Data = string(f.Data)
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": out})
}

// checkRoom refuses a change that would take the context past its limits; replacing
// the file at path (if any) frees its bytes first.
func checkRoom(files []db.ContextFile, path string, add int64) error {
	var total int64
	n := 0
	for _, f := range files {
		if f.Path == path {
			continue
		}
		total += int64(len(f.Data))
		n++
	}
	if add > maxFileBytes {
		return errTooLarge(fmt.Sprintf("%s is %s: a file in the playground may be up to %s", path, humanBytes(add), humanBytes(maxFileBytes)))
	}
	if n+1 > maxContextFiles {
		return errTooLarge(fmt.Sprintf("the build context already has %d files, the most the playground keeps: delete some first", n))
	}
	if total+add > maxContextBytes {
		return errTooLarge(fmt.Sprintf("the build context would be %s: the playground keeps up to %s; delete some files first", humanBytes(total+add), humanBytes(maxContextBytes)))
	}
	return nil
}

func (s *Server) putContextFile(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path    string `json:"path"`
		Content string `json:"content"`
		Mode    string `json:"mode"`
	}
	if err := decodeJSON(w, r, maxJSONBytes, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := db.CleanContextPath(req.Path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	files, err := ws.ContextFiles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkRoom(files, p, int64(len(req.Content))); err != nil {
		s.fail(w, r, err)
		return
	}
	mode := int64(0)
	if req.Mode != "" {
		if mode, err = strconv.ParseInt(req.Mode, 8, 32); err != nil || mode < 0 || mode > 0o777 {
			s.fail(w, r, errBadRequest(fmt.Sprintf("mode %q: give octal permission bits such as 0644 or 0755", req.Mode)))
			return
		}
	}
	if err := ws.PutContextFile(r.Context(), db.ContextFile{Path: p, Data: []byte(req.Content), Mode: fsMode(mode)}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files") // a class's live view of the teacher, the dashboard
	writeJSON(w, http.StatusOK, map[string]any{"path": p, "size": len(req.Content)})
}

func (s *Server) deleteContextFile(w http.ResponseWriter, r *http.Request) {
	p, ws := r.URL.Query().Get("path"), workspace(r)
	if err := ws.DeleteContextFile(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files") // a class's live view of the teacher, the dashboard
	writeJSON(w, http.StatusOK, map[string]any{"deleted": p})
}

func (s *Server) renameContextFile(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := decodeJSON(w, r, 8<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	if err := ws.RenameContextFile(r.Context(), req.From, req.To); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files") // a class's live view of the teacher, the dashboard
	to, _ := db.CleanContextPath(req.To)
	writeJSON(w, http.StatusOK, map[string]any{"path": to})
}

// uploadContext adds uploaded files (multipart field "files", each at dir/name) or the
// entries of an uploaded tar (field "tar") to the context; a file already there is
// replaced. Nothing is stored unless every file is acceptable.
func (s *Server) uploadContext(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+64<<10)
	if err := r.ParseMultipartForm(4 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, errTooLarge("the upload is larger than "+humanBytes(maxUploadBytes)+": upload fewer or smaller files"))
			return
		}
		s.fail(w, r, errBadRequest("read the upload: "+err.Error()))
		return
	}
	defer r.MultipartForm.RemoveAll()
	dir := strings.Trim(r.FormValue("dir"), "/")
	var add []db.ContextFile
	for _, fh := range r.MultipartForm.File["files"] {
		f, err := fh.Open()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
		f.Close()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name := path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
		if dir != "" {
			name = dir + "/" + name
		}
		add = append(add, db.ContextFile{Path: name, Data: b})
	}
	for _, fh := range r.MultipartForm.File["tar"] {
		f, err := fh.Open()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		got, err := readContextTar(f, dir)
		f.Close()
		if err != nil {
			s.fail(w, r, fmt.Errorf("%s: %w", fh.Filename, err))
			return
		}
		add = append(add, got...)
	}
	if len(add) == 0 {
		s.fail(w, r, errBadRequest("nothing uploaded: choose files, or a .tar of a build context"))
		return
	}
	ws := workspace(r)
	files, err := ws.ContextFiles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	merged := map[string]db.ContextFile{}
	for _, f := range files {
		merged[f.Path] = f
	}
	for _, f := range add {
		p, err := db.CleanContextPath(f.Path)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if int64(len(f.Data)) > maxFileBytes {
			s.fail(w, r, errTooLarge(fmt.Sprintf("%s is larger than %s, the most one file may be", p, humanBytes(maxFileBytes))))
			return
		}
		f.Path = p
		merged[p] = f
	}
	var all []db.ContextFile
	var total int64
	for _, f := range merged {
		all = append(all, f)
		total += int64(len(f.Data))
	}
	if len(all) > maxContextFiles || total > maxContextBytes {
		s.fail(w, r, errTooLarge(fmt.Sprintf("with the upload the context would hold %d files, %s: the playground keeps up to %d files, %s",
			len(all), humanBytes(total), maxContextFiles, humanBytes(maxContextBytes))))
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	if err := ws.ReplaceContext(r.Context(), all); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files") // a class's live view of the teacher, the dashboard
	var names []string
	for _, f := range add {
		names = append(names, f.Path)
	}
	writeJSON(w, http.StatusOK, map[string]any{"added": names})
}

// readContextTar reads the regular files of a tar (directories are implied; links,
// devices and the like are refused with a message) under dir.
func readContextTar(r io.Reader, dir string) ([]db.ContextFile, error) {
	tr := tar.NewReader(r)
	var out []db.ContextFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errBadRequest("not a tar archive (" + err.Error() + "): upload a .tar of the build context")
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
		default:
			return nil, errBadRequest(fmt.Sprintf("tar entry %q is a link or special file: the playground's context holds regular files only", h.Name))
		}
		if h.Size > maxFileBytes {
			return nil, errTooLarge(fmt.Sprintf("tar entry %q is %s: a file may be up to %s", h.Name, humanBytes(h.Size), humanBytes(maxFileBytes)))
		}
		if len(out) >= maxContextFiles {
			return nil, errTooLarge(fmt.Sprintf("the tar has more than %d files, the most the playground keeps", maxContextFiles))
		}
		p := name
		if dir != "" {
			p = dir + "/" + name
		}
		if _, err := db.CleanContextPath(p); err != nil {
			return nil, errBadRequest(fmt.Sprintf("tar entry %q: %v", h.Name, err))
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, errBadRequest(fmt.Sprintf("tar entry %q: %v", h.Name, err))
		}
		out = append(out, db.ContextFile{Path: p, Data: b, Mode: fsMode(h.Mode & 0o777)})
	}
}

// seedExample gives a new workspace the lesson's example (FastAPI) as its context.
func (s *Server) seedExample(ctx context.Context, ws *db.Workspace) error {
	files, err := ws.ContextFiles(ctx)
	if err != nil || len(files) > 0 {
		return err
	}
	return s.replaceWithExample(ctx, ws, examples.All[0].Dir)
}

func (s *Server) replaceWithExample(ctx context.Context, ws *db.Workspace, name string) error {
	files, ok := examples.Files(name)
	if !ok {
		return errNotFound(fmt.Sprintf("no example %q: the examples are fastapi, node and go-multistage", name))
	}
	var cf []db.ContextFile
	for _, f := range files {
		cf = append(cf, db.ContextFile{Path: f.Path, Data: f.Data})
	}
	return ws.ReplaceContext(ctx, cf)
}

func (s *Server) loadExample(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	if err := s.replaceWithExample(r.Context(), ws, chi.URLParam(r, "name")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files") // a class's live view of the teacher, the dashboard
	s.getContext(w, r)
}

// diagnostic is one parser error or linter warning at a Dockerfile line.
type diagnostic struct {
	Line     int    `json:"line"`
	EndLine  int    `json:"endLine"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// lint parses a Dockerfile as the build would and returns its error and warnings, for
// the editor to show as the user types.
func (s *Server) lint(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Dockerfile string `json:"dockerfile"`
	}
	if err := decodeJSON(w, r, maxJSONBytes, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out := []diagnostic{}
	f, err := dockerfile.Parse([]byte(req.Dockerfile))
	if err != nil {
		var pe *dockerfile.Error
		if !errors.As(err, &pe) {
			s.fail(w, r, err)
			return
		}
		msg := pe.Msg
		if pe.Hint != "" {
			msg += " (" + pe.Hint + ")"
		}
		line := pe.Line
		if line == 0 {
			line = 1
		}
		out = append(out, diagnostic{Line: line, EndLine: line, Severity: "error", Message: msg})
	} else {
		for _, wn := range f.Warnings {
			line, end := wn.Line, wn.EndLine
			if line == 0 {
				line = 1
			}
			if end < line {
				end = line
			}
			out = append(out, diagnostic{Line: line, EndLine: end, Severity: "warning", Message: wn.Rule + ": " + wn.Message})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"diagnostics": out})
}

func fsMode(m int64) fs.FileMode { return fs.FileMode(m) }
