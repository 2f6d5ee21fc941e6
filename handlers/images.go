package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/go-chi/chi/v5"
	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/changes"
	"layerlab/engine/commands"
	"layerlab/engine/image"
	"layerlab/web"
)

// Limits on what the image pages accept.
const (
	maxImageFormBytes = 16 << 10 // a tag, rm or prune form, or its JSON
	maxRefLen         = 512      // an image reference as typed
	maxCmdOutput      = 64 << 20 // the pages parse image ls and history output: 1,000 images are ~300 KB
	maxFlashOutput    = 1000     // bytes of a command's output carried to the next page
)

// imageRoutes: the images, history and inspect pages and their actions.
//
// The pages run the same docker commands as the terminal (engine/commands), so what
// they show (rows, sizes, times, errors) is what `docker image ls`, `docker history`
// and `docker inspect` print.
func (s *Server) imageRoutes(r chi.Router) {
	r.Get("/images", s.imagesPage)
	r.Post("/images/tag", s.tagImage)
	r.Post("/images/rm", s.removeImage)
	r.Get("/images/prune", s.prunePage)
	r.Post("/images/prune", s.pruneImages)
	r.Get("/images/history", s.historyPage) // ?ref=, for references a path cannot carry
	r.Get("/images/inspect", s.inspectPage) // ?ref=
	r.Get("/images/{ref}/history", s.historyPage)
	r.Get("/images/{ref}/inspect", s.inspectPage)

	r.Get("/api/images", s.imagesJSON)
	r.Post("/api/images/tag", s.tagImage)
	r.Post("/api/images/rm", s.removeImage)
	r.Get("/api/images/prune", s.prunePreview)
	r.Post("/api/images/prune", s.pruneImages)
	r.Post("/api/inspect/format", s.inspectFormat)
}

// dockerRun is one docker command run through engine/commands, as the terminal runs it.
type dockerRun struct {
	Cmd    string `json:"cmd"`    // the command line as a user would type it
	Output string `json:"output"` // stdout
	Error  string `json:"error,omitempty"`
	Code   int    `json:"exit_code"`
	// err is the error of a failed run: the command's own, whose class (engine/commands'
	// sentinels) status() maps to the HTTP status, or one found before running anything.
	err error
	// status, when set, is the HTTP status of a failure found before running anything.
	status int
}

// ok reports whether the command succeeded.
func (d *dockerRun) ok() bool { return d.Code == 0 }

// failure is the error of a failed run. A run that failed without an error value (a
// transfer that ended without one) is an error of no class: an internal one.
func (d *dockerRun) failure() error {
	if d.err != nil {
		return d.err
	}
	return fmt.Errorf("%s: %s", d.Cmd, d.Error)
}

// httpStatus is the HTTP status of a failed run, as status() maps its error; an
// internal failure is logged, once, here.
func (s *Server) httpStatus(d *dockerRun) int {
	if d.status != 0 {
		return d.status
	}
	code, _, internal := status(d.failure())
	if internal {
		s.log.Error("docker command failed", "cmd", d.Cmd, "err", d.failure())
	}
	return code
}

// limitedBuffer keeps the first max bytes written to it and notes that it cut the rest.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); room < len(p) {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		b.cut = true
		return n, nil
	}
	b.buf.Write(p)
	return n, nil
}

func (b *limitedBuffer) String() string {
	if b.cut {
		return b.buf.String() + fmt.Sprintf("\n[layerlab] output cut at %d KiB\n", b.max>>10)
	}
	return b.buf.String()
}

// docker runs argv (without the program name) over the workspace, as the terminal
// would, and returns its output. display is the command line shown to the user.
func (s *Server) docker(ctx context.Context, ws *db.Workspace, display string, argv ...string) *dockerRun {
	out := &limitedBuffer{max: maxCmdOutput}
	errb := &limitedBuffer{max: maxCmdOutput}
	env := &commands.Env{Store: ws, Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Now: s.now, Prog: "docker"}
	code, err := commands.Run(ctx, env, argv)
	return &dockerRun{Cmd: display, Output: out.String(), Error: strings.TrimRight(errb.String(), "\n"), Code: code, err: err}
}

// imageLink is the URL of an image's page ("history", "inspect"): the reference (or
// ID) as one escaped path segment, so "bench/app:v1" stays one segment.
func imageLink(ref, page string) string {
	return "/images/" + url.PathEscape(ref) + "/" + page
}

// refParam is the image reference of a history or inspect request: the path segment
// (unescaped: chi gives it raw when the path was escaped) or, else, ?ref=.
func refParam(r *http.Request) (string, error) {
	ref := chi.URLParam(r, "ref")
	if ref == "" {
		ref = r.URL.Query().Get("ref")
	} else if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return "", errBadRequest("no image named: give an image ID or a name such as demo:v1")
	case len(ref) > maxRefLen:
		return "", errBadRequest(fmt.Sprintf("image reference longer than %d bytes", maxRefLen))
	}
	return ref, nil
}

// lookupImage finds the image a page is about, with Docker's words when there is none:
// a malformed reference is a 400 with the daemon's message, an unknown image a 404 that
// says what to do.
func (s *Server) lookupImage(ctx context.Context, ws *db.Workspace, ref string) (*image.Record, error) {
	if _, err := reference.ParseAnyReference(ref); err != nil {
		// The daemon's own wording ("invalid reference format: repository name must be
		// lowercase", as Docker 20.10 put it), from the command that would have been
		// typed; its error is an ErrInvalid.
		res := s.docker(ctx, ws, "", "history", "--", ref)
		if res.ok() {
			return nil, fmt.Errorf("history %q: the command took a reference the parser refused (%v)", ref, err)
		}
		return nil, res.failure()
	}
	rec, err := ws.Lookup(ctx, ref)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errNotFound(fmt.Sprintf("Error: No such image: %s. Your workspace has no image by that name or ID: "+
			"pick one on the Images page (docker image ls -a lists them all) or build it in the playground.", ref))
	case errors.Is(err, db.ErrAmbiguous):
		return nil, errBadRequest(fmt.Sprintf("%s is the start of more than one image ID: type more of the ID", ref))
	case err != nil:
		return nil, err
	}
	return rec, nil
}

// ---- the images page ----

// imagesArgs is the `image ls` command line for the page's toggles.
func imagesArgs(all, dangling bool) []string {
	args := []string{"image", "ls"}
	if all {
		args = append(args, "-a")
	}
	if dangling {
		args = append(args, "--filter", "dangling=true")
	}
	return args
}

// listImageRows is the `image ls` table as rows, exactly as the command computes it,
// each with what the page adds: whether an untagged row is intermediate or dangling.
// The returned run holds the command line and the text it prints. The images are
// listed once, for both.
func (s *Server) listImageRows(ctx context.Context, ws *db.Workspace, all, dangling bool) ([]web.ImageRow, *dockerRun, error) {
	args := imagesArgs(all, dangling)
	table := &dockerRun{Cmd: "docker " + strings.Join(args, " ")}
	t, err := commands.ListImageTable(ctx, ws, commands.ImageTableOptions{All: all, Dangling: dangling}, s.now())
	if err != nil {
		return nil, table, fmt.Errorf("image ls: Error response from daemon: %w", err)
	}
	out := &limitedBuffer{max: maxCmdOutput}
	io.WriteString(out, t.Text)
	table.Output = out.String()
	var rows []web.ImageRow
	for _, j := range t.Rows {
		id := j.ID.String()
		row := web.ImageRow{Repository: j.Repository, Tag: j.Tag, ID: id, ShortID: image.ShortID(j.ID),
			CreatedSince: j.CreatedSince, CreatedAt: j.CreatedAt, Size: j.Size}
		switch {
		case j.Untagged:
			row.Ref = row.ShortID
			if j.Intermediate {
				row.Kind = "intermediate"
			} else {
				row.Kind = "dangling"
			}
		case j.Tag == "<none>":
			row.Ref = row.ShortID // a repository known only by digest
		default:
			row.Ref = j.Repository + ":" + j.Tag
		}
		row.HistoryURL = imageLink(row.Ref, "history")
		row.InspectURL = imageLink(row.Ref, "inspect")
		rows = append(rows, row)
	}
	return rows, table, nil
}

func queryFlag(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || v == "true" || v == "on"
}

// imagesView gathers the images page: the table for the toggles, the forms prefilled.
func (s *Server) imagesView(r *http.Request) (web.ImagesView, error) {
	ws := workspace(r)
	v := web.ImagesView{All: queryFlag(r, "all"), Dangling: queryFlag(r, "dangling")}
	if sel := r.URL.Query().Get("select"); len(sel) <= maxRefLen {
		v.Selected = sel
	}
	rows, table, err := s.listImageRows(r.Context(), ws, v.All, v.Dangling)
	if err != nil {
		return v, err
	}
	v.Rows, v.Cmd, v.CLI = rows, table.Cmd, table.Output
	ns, token, err := ws.HubToken(r.Context(), false)
	if err != nil {
		return v, err
	}
	v.Hub = web.HubInfo{Host: r.Host, Namespace: ns, Token: token}
	for _, row := range rows {
		if row.Kind == "" && row.Tag != "<none>" {
			v.Sources = append(v.Sources, row.Ref)
		}
	}
	return v, nil
}

// imagesPage is `docker image ls` as a page, with tag, rm and prune.
func (s *Server) imagesPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.imagesView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Flash = takeFlash(w, r)
	s.renderImages(w, r, http.StatusOK, v)
}

func (s *Server) renderImages(w http.ResponseWriter, r *http.Request, code int, v web.ImagesView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.ImagesPage(s.page(r, "Images", "images"), v).Render(r.Context(), w)
}

// imagesJSON is the page's table as JSON (the rows image ls prints, for scripts).
func (s *Server) imagesJSON(w http.ResponseWriter, r *http.Request) {
	rows, table, err := s.listImageRows(r.Context(), workspace(r), queryFlag(r, "all"), queryFlag(r, "dangling"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []web.ImageRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cmd": table.Cmd, "output": table.Output, "images": rows})
}

// ---- actions: tag, rm, prune ----

// actionInput is what an action form (or its JSON) carries.
type actionInput struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Ref    string `json:"ref"`
	Force  bool   `json:"force"`
	All    bool   `json:"all"`
	// Back is the images page query to return to ("all=1"), forms only.
	Back string `json:"-"`
	// Form is the form Ref came from when it is not the remove form's: pull or push.
	Form string `json:"-"`
}

// readAction reads an action's input from a form or a JSON body, within the size limit.
func readAction(w http.ResponseWriter, r *http.Request) (actionInput, error) {
	var in actionInput
	if r.ContentLength > maxImageFormBytes {
		return in, errTooLarge(fmt.Sprintf("request too large: the limit is %s", humanBytes(maxImageFormBytes)))
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := decodeJSON(w, r, maxImageFormBytes, &in); err != nil {
			return in, err
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxImageFormBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, err
			}
			return in, errBadRequest("bad form: " + err.Error())
		}
		f := r.PostForm
		in = actionInput{Source: f.Get("source"), Target: f.Get("target"), Ref: f.Get("ref"),
			Force: formBool(f.Get("force")), All: formBool(f.Get("all")), Back: f.Get("back")}
	}
	in.Source, in.Target, in.Ref = strings.TrimSpace(in.Source), strings.TrimSpace(in.Target), strings.TrimSpace(in.Ref)
	for _, v := range []string{in.Source, in.Target, in.Ref} {
		if len(v) > maxRefLen {
			return in, errTooLarge(fmt.Sprintf("image reference longer than %d bytes", maxRefLen))
		}
	}
	return in, nil
}

func formBool(v string) bool { return v == "1" || v == "on" || v == "true" }

// backQuery keeps only the images page's own toggles from a form's "back" field.
func backQuery(back string) string {
	q, _ := url.ParseQuery(back)
	out := url.Values{}
	for _, k := range []string{"all", "dangling"} {
		if formBool(q.Get(k)) {
			out.Set(k, "1")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "?" + out.Encode()
}

// answerAction ends an action: JSON for fetch, else a redirect back to the images page
// with the result (post/redirect/get) or, when the command failed, the images page again
// with Docker's error and the status Docker's API would give.
func (s *Server) answerAction(w http.ResponseWriter, r *http.Request, in actionInput, res *dockerRun) {
	code := http.StatusOK
	if !res.ok() {
		code = s.httpStatus(res)
	}
	if wantsJSON(r) || strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, code, res)
		return
	}
	flash := &web.Flash{Cmd: res.Cmd, Output: strings.TrimRight(res.Output, "\n"), Error: res.Error, OK: res.ok()}
	if res.ok() {
		setFlash(w, flash)
		http.Redirect(w, r, "/images"+backQuery(in.Back), http.StatusSeeOther)
		return
	}
	// Re-render the page the form came from, with the error and the forms as typed.
	q, _ := url.ParseQuery(in.Back)
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/images", RawQuery: q.Encode()}
	v, err := s.imagesView(r2)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Flash = flash
	v.TagSource, v.TagTarget, v.RmForce, v.PruneAll = in.Source, in.Target, in.Force, in.All
	switch in.Form {
	case "pull":
		v.PullRef = in.Ref
	case "push":
		v.PushRef = in.Ref
	default:
		v.RmRef = in.Ref
	}
	s.renderImages(w, r, code, v)
}

// tagImage is `docker tag SOURCE TARGET`.
func (s *Server) tagImage(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Source == "" || in.Target == "" {
		s.answerAction(w, r, in, &dockerRun{Cmd: "docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", Code: 1, err: commands.ErrUsage,
			Error: "\"docker tag\" requires exactly 2 arguments: give the image to tag and the new name, e.g. demo:v2"})
		return
	}
	cmd := "docker tag " + shellQuote(in.Source) + " " + shellQuote(in.Target)
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), cmd, "tag", "--", in.Source, in.Target))
}

// removeImage is `docker image rm [-f] REF`.
func (s *Server) removeImage(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Ref == "" {
		s.answerAction(w, r, in, &dockerRun{Cmd: "docker image rm IMAGE", Code: 1, err: commands.ErrUsage,
			Error: "\"docker image rm\" requires at least 1 argument: give an image name or ID"})
		return
	}
	args := []string{"image", "rm"}
	if in.Force {
		args = append(args, "-f")
	}
	cmd := "docker " + strings.Join(args, " ") + " " + shellQuote(in.Ref)
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), cmd, append(args, "--", in.Ref)...))
}

// pruneImages is `docker image prune [-a] -f`: the page asked first (the preview).
func (s *Server) pruneImages(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	args := []string{"image", "prune"}
	if in.All {
		args = append(args, "-a")
	}
	args = append(args, "-f")
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), "docker "+strings.Join(args, " "), args...))
}

// prunePreview is what `docker image prune [-a]` would remove, as JSON, for the
// confirmation dialog.
func (s *Server) prunePreview(w http.ResponseWriter, r *http.Request) {
	p, err := planPrune(r.Context(), workspace(r), queryFlag(r, "all"), s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// prunePage is the confirmation as a page, for a browser without JavaScript.
func (s *Server) prunePage(w http.ResponseWriter, r *http.Request) {
	p, err := planPrune(r.Context(), workspace(r), queryFlag(r, "all"), s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.PrunePage(s.page(r, "Prune images", "images"), *p).Render(r.Context(), w)
}

// planPrune is what `docker image prune [-a]` would remove, and the space it would
// free, for the confirmation: the command's own dry run (engine/commands.PlanPrune),
// so the preview and the prune make one choice.
// (A layer another workspace shares stays on disk: the real prune reports what it freed.)
func planPrune(ctx context.Context, ws *db.Workspace, all bool, now time.Time) (*web.PrunePlan, error) {
	dry, err := commands.PlanPrune(ctx, ws, all, now)
	if err != nil {
		return nil, err
	}
	plan := &web.PrunePlan{All: true, Cmd: "docker image prune -a -f", Bytes: dry.Bytes,
		Images: []web.PruneItem{}, Untagged: append([]string{}, dry.Untagged...)}
	if !all {
		plan.All, plan.Cmd = false, "docker image prune -f"
	}
	for _, it := range dry.Images {
		rec := it.Record
		item := web.PruneItem{ID: rec.ID.String(), ShortID: image.ShortID(rec.ID), Refs: it.Refs,
			Size: humanBytes(rec.Size()), Created: rec.Created}
		switch {
		case it.ParentOf != "":
			item.Why = "untagged parent of " + image.ShortID(it.ParentOf)
		case len(it.Refs) > 0:
			item.Why = "tagged: untagged, then deleted"
		default:
			item.Why = "dangling"
		}
		plan.Images = append(plan.Images, item)
	}
	sort.Strings(plan.Untagged)
	plan.Space = humanBytes(plan.Bytes)
	return plan, nil
}

// ---- flash: an action's result, carried over the redirect ----

const flashCookie = "layerlab_flash"

func setFlash(w http.ResponseWriter, f *web.Flash) {
	// A browser drops a cookie over 4 KiB: cut the output until it fits.
	for limit := maxFlashOutput; limit >= 50; limit /= 2 {
		g := *f
		g.Output, g.Error = cutMiddle(f.Output, limit), cutMiddle(f.Error, limit/2)
		b, err := json.Marshal(&g)
		if err != nil {
			return
		}
		if v := base64.RawURLEncoding.EncodeToString(b); len(v) <= 3500 {
			http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v,
				Path: "/images", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			return
		}
	}
}

// cutMiddle keeps the first and last lines of a long output (the last line of prune's
// report is the space it freed), with a line saying how many were left out.
func cutMiddle(s string, max int) string {
	if len(s) <= max {
		return s
	}
	lines := strings.Split(s, "\n")
	tailN, n := 0, 0
	for tailN < 3 && tailN < len(lines) && n+len(lines[len(lines)-1-tailN])+1 <= max/2 {
		n += len(lines[len(lines)-1-tailN]) + 1
		tailN++
	}
	headN := 0
	for headN < len(lines)-tailN && n+len(lines[headN])+1 <= max {
		n += len(lines[headN]) + 1
		headN++
	}
	out := append([]string{}, lines[:headN]...)
	if cut := len(lines) - tailN - headN; cut > 0 {
		out = append(out, fmt.Sprintf("… %d more lines (run the command in the terminal to see them all)", cut))
	}
	out = append(out, lines[len(lines)-tailN:]...)
	s = strings.Join(out, "\n")
	if len(s) > max+100 { // one huge line
		s = strings.ToValidUTF8(s[:max], "") + " …"
	}
	return s
}

// takeFlash reads and clears the flash cookie; nil when there is none.
func takeFlash(w http.ResponseWriter, r *http.Request) *web.Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/images", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f web.Flash
	if json.Unmarshal(b, &f) != nil || f.Cmd == "" {
		return nil
	}
	return &f
}

// ---- history ----

// historyJSON is one row of `history --no-trunc --format '{{json .}}'`.
type historyJSON struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

// maxChangesShown bounds the file rows kept per layer for the page (counts and byte
// totals stay exact).
const maxChangesShown = 1000

// historyPage is `docker history` as a stack of layers, base at the top, each with the
// files it added, modified and deleted, and the image's wasted space.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	ref, err := refParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.historyView(r.Context(), ws, ref, rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.HistoryPage(s.page(r, "History of "+ref, "images"), v).Render(r.Context(), w)
}

func (s *Server) historyView(ctx context.Context, ws *db.Workspace, ref string, rec *image.Record) (web.HistoryView, error) {
	id := rec.ID.String()
	v := web.HistoryView{Ref: ref, ID: id, ShortID: image.ShortID(rec.ID), Size: humanBytes(rec.Size()),
		InspectURL: imageLink(ref, "inspect")}
	if tags, err := ws.TagsOf(ctx, rec.ID); err == nil {
		v.Tags = tags
	}
	cli := s.docker(ctx, ws, "docker history "+shellQuote(ref), "history", "--", id)
	if !cli.ok() {
		return v, fmt.Errorf("history %s: %w", ref, cli.failure())
	}
	v.Cmd, v.CLI = cli.Cmd, cli.Output
	js := s.docker(ctx, ws, "", "history", "--no-trunc", "--format", "{{json .}}", "--", id)
	if !js.ok() {
		return v, fmt.Errorf("history %s: %w", ref, js.failure())
	}
	var items []historyJSON // newest first, as docker prints them
	for _, line := range strings.Split(js.Output, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var h historyJSON
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			return v, fmt.Errorf("history row %q: %w", line, err)
		}
		items = append(items, h)
	}
	img, err := rec.ConfigFile(ctx)
	if err != nil {
		return v, fmt.Errorf("read config of %s: %w", id, err)
	}
	hist := img.History
	if len(items) != len(hist) {
		return v, fmt.Errorf("history %s: %d rows for %d history entries", ref, len(items), len(hist))
	}
	n := len(items)
	layer := 0
	var maxSize int64
	for i := 0; i < n; i++ {
		it, h := items[n-1-i], hist[i]
		row := web.HistoryRow{Step: i + 1, ID: it.ID, CreatedSince: it.CreatedSince, CreatedAt: it.CreatedAt,
			CreatedBy: it.CreatedBy, Comment: it.Comment, SizeText: it.Size, Empty: h.EmptyLayer, Layer: -1}
		if row.ID != "<missing>" {
			row.ID = image.ShortID(digest.Digest(row.ID))
		}
		if !h.EmptyLayer && layer < len(rec.Layers) {
			row.Layer = layer
			row.Size = rec.Layers[layer].Size
			row.DiffID = rec.Layers[layer].DiffID.String()
			layer++
			if row.Size > maxSize {
				maxSize = row.Size
			}
		}
		v.Rows = append(v.Rows, row)
	}
	for i := range v.Rows {
		if v.Rows[i].Layer >= 0 && maxSize > 0 {
			v.Rows[i].BarPct = max(float64(v.Rows[i].Size)*100/float64(maxSize), 0.5)
		}
	}

	open := func(ctx context.Context, d digest.Digest) (io.ReadCloser, error) { return ws.OpenBlob(ctx, d) }
	rep, err := changes.Analyze(ctx, rec.DiffIDs(), open, changes.Options{MaxChangesPerLayer: maxChangesShown})
	if err != nil {
		s.log.Warn("analyze layers", "image", id, "err", err)
		v.AnalysisError = "The layers' files could not be read, so the file lists are missing: " + err.Error()
		return v, nil
	}
	v.Total, v.Final, v.Wasted = humanBytes(rep.Total), humanBytes(rep.Final), humanBytes(rep.Wasted)
	v.WastedBytes = rep.Wasted
	v.Efficiency = fmt.Sprintf("%.1f%%", rep.Efficiency*100)
	if rep.Wasted > 0 && rep.Efficiency > 0.999 {
		v.Efficiency = "99.9%" // not 100.0%: some bytes are wasted
	}
	for i, wf := range rep.WastedFiles {
		if i == 20 {
			break
		}
		v.WastedFiles = append(v.WastedFiles, web.WastedFile{Path: wf.Path, Layers: wf.Layers, Size: humanBytes(wf.Bytes)})
	}
	for i := range v.Rows {
		k := v.Rows[i].Layer
		if k < 0 || k >= len(rep.Layers) {
			continue
		}
		l := rep.Layers[k]
		lv := &web.LayerFiles{Added: l.Added, Modified: l.Modified, Deleted: l.Deleted,
			AddedBytes: humanBytes(l.AddedBytes), ModifiedBytes: humanBytes(l.ModifiedBytes), DeletedBytes: humanBytes(l.DeletedBytes),
			Truncated: l.Truncated, Total: l.Added + l.Modified + l.Deleted}
		for _, c := range l.Changes {
			f := web.FileChange{Path: c.Path, Kind: string(c.Kind), Type: c.Type, Link: c.Link, Mode: c.Mode.String()}
			if c.Type == changes.TypeFile || c.Kind == changes.Deleted {
				f.Size = humanBytes(c.Size)
			}
			lv.Files = append(lv.Files, f)
		}
		v.Rows[i].Files = lv
	}
	return v, nil
}

// ---- inspect ----

const maxFormatLen = 4 << 10

// inspectPage is `docker inspect` as a tree and as text, with a --format box (a GET
// form: ?format=, so it works without JavaScript).
func (s *Server) inspectPage(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	ref, err := refParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw := s.docker(r.Context(), ws, "docker inspect "+shellQuote(ref), "inspect", "--", rec.ID.String())
	if !raw.ok() {
		s.fail(w, r, fmt.Errorf("inspect %s: %w", ref, raw.failure()))
		return
	}
	tree, err := jsonTree(raw.Output)
	if err != nil {
		s.fail(w, r, fmt.Errorf("inspect %s: %w", ref, err))
		return
	}
	v := web.InspectView{Ref: ref, ID: rec.ID.String(), ShortID: image.ShortID(rec.ID), Cmd: raw.Cmd, Raw: raw.Output,
		Tree: tree, HistoryURL: imageLink(ref, "history"), FormatCmd: inspectFormatCmd("{{.Config.Cmd}}", ref)}
	code := http.StatusOK
	if q := r.URL.Query(); q.Has("format") {
		f := q.Get("format")
		if len(f) > maxFormatLen {
			s.fail(w, r, errTooLarge(fmt.Sprintf("--format template longer than %d KiB", maxFormatLen>>10)))
			return
		}
		res := s.inspectWithFormat(r.Context(), ws, ref, rec, f)
		v.Format, v.FormatRan, v.FormatCmd, v.FormatOut, v.FormatErr = f, true, res.Cmd, res.Output, res.Error
		if !res.ok() {
			code = s.httpStatus(res)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.InspectPage(s.page(r, "Inspect "+ref, "images"), v).Render(r.Context(), w)
}

func inspectFormatCmd(format, ref string) string {
	if format == "" {
		return "docker inspect " + shellQuote(ref)
	}
	return "docker inspect --format " + shellQuote(format) + " " + shellQuote(ref)
}

func (s *Server) inspectWithFormat(ctx context.Context, ws *db.Workspace, ref string, rec *image.Record, format string) *dockerRun {
	args := []string{"inspect"}
	if format != "" {
		args = append(args, "--format", format)
	}
	return s.docker(ctx, ws, inspectFormatCmd(format, ref), append(args, "--", rec.ID.String())...)
}

// inspectFormat runs `docker inspect --format F REF` for the page's format box:
// {"cmd", "output", "exit_code"}, or Docker's template error with status 400.
func (s *Server) inspectFormat(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ref    string `json:"ref"`
		Format string `json:"format"`
	}
	if err := decodeJSON(w, r, maxImageFormBytes, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(in.Format) > maxFormatLen {
		s.fail(w, r, errTooLarge(fmt.Sprintf("--format template longer than %d KiB", maxFormatLen>>10)))
		return
	}
	ref := strings.TrimSpace(in.Ref)
	if ref == "" || len(ref) > maxRefLen {
		s.fail(w, r, errBadRequest("give the image to inspect (a name such as demo:v1 or an ID)"))
		return
	}
	ws := workspace(r)
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := s.inspectWithFormat(r.Context(), ws, ref, rec, in.Format)
	code := http.StatusOK
	if !res.ok() {
		code = s.httpStatus(res)
	}
	writeJSON(w, code, res)
}

// jsonTree decodes JSON into a tree for the page, keeping the keys in their order (the
// order docker prints them), every key and value as text for the template to escape.
func jsonTree(raw string) (*web.JSONNode, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	n, err := jsonNode(dec, "", 0)
	if err != nil {
		return nil, fmt.Errorf("decode inspect output: %w", err)
	}
	return n, nil
}

func jsonNode(dec *json.Decoder, key string, depth int) (*web.JSONNode, error) {
	if depth > 64 {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &web.JSONNode{Key: key, Depth: depth}
	switch t := tok.(type) {
	case json.Delim:
		n.Kind = "object"
		if t == '[' {
			n.Kind = "array"
		}
		for i := 0; dec.More(); i++ {
			k := fmt.Sprint(i)
			if n.Kind == "object" {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ = kt.(string)
			}
			c, err := jsonNode(dec, k, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		// As JSON, but with <, > and & as themselves (the page escapes them as HTML).
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(t)
		n.Kind, n.Value = "string", strings.TrimSuffix(b.String(), "\n")
	case json.Number:
		n.Kind, n.Value = "number", t.String()
	case bool:
		n.Kind, n.Value = "bool", fmt.Sprint(t)
	case nil:
		n.Kind, n.Value = "null", "null"
	}
	return n, nil
}
