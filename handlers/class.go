package handlers

// The class: the teacher's pages (/teach, a class's join page for the projector), the
// students' /join, and the teacher's actions on a student (rename, remove, reset,
// quota) and on the class (close).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	qrcode "github.com/skip2/go-qrcode"

	"layerlab/db"
	"layerlab/engine/sandbox"
	"layerlab/examples"
	"layerlab/web"
)

func (s *Server) classRoutes(r chi.Router) {
	r.Get("/teach/login", s.teachLogin)
	r.With(s.requireTeacher).Get("/teach", s.teachPage)
	r.With(s.requireTeacher).Post("/teach/classes", s.createClass)
	r.With(s.requireClassTeacher).Get("/teach/{class}/join", s.classJoinPage)
	r.With(s.requireClassTeacher).Post("/teach/{class}/close", s.closeClass)
	r.With(s.requireClassTeacher).Post("/teach/{class}/students/{workspace}/{action}", s.studentAction)
	r.Get("/join", s.joinPage)
	r.Post("/join", s.join)
}

// lessonChoices are the lessons a class can follow: the server's (built in, and
// --lessons DIR's).
func (s *Server) lessonChoices() []web.LessonChoice {
	var out []web.LessonChoice
	for _, l := range s.lessons.All() {
		out = append(out, web.LessonChoice{ID: l.ID, Title: l.Title})
	}
	return out
}

// lessonTitle is the title of the lesson id, or the id itself when the server does
// not have it (a lesson directory removed since the class was made).
func (s *Server) lessonTitle(id string) string {
	if l, ok := s.lessons.Get(id); ok {
		return l.Title
	}
	return id
}

// lessonStarter is the context a student of the lesson starts from; false when the
// lesson has none (the workspace then keeps what it has).
func (s *Server) lessonStarter(id string) ([]db.ContextFile, bool) {
	l, ok := s.lessons.Get(id)
	if !ok || len(l.Starter) == 0 {
		return nil, false
	}
	files := make([]db.ContextFile, 0, len(l.Starter))
	for p, c := range l.Starter {
		files = append(files, db.ContextFile{Path: p, Data: []byte(c)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, true
}

// starterFiles is what a reset workspace of the lesson starts from: the lesson's
// starter files, else the example a new workspace gets (storeWorkspace).
func (s *Server) starterFiles(lesson string) ([]db.ContextFile, error) {
	if files, ok := s.lessonStarter(lesson); ok {
		return files, nil
	}
	files, ok := examples.Files(examples.All[0].Dir)
	if !ok {
		return nil, fmt.Errorf("starter files: example %s: %w", examples.All[0].Dir, db.ErrNotFound)
	}
	out := make([]db.ContextFile, 0, len(files))
	for _, f := range files {
		out = append(out, db.ContextFile{Path: f.Path, Data: f.Data})
	}
	return out, nil
}

// ---- /teach ----

func (s *Server) teachPage(w http.ResponseWriter, r *http.Request) {
	s.renderTeach(w, r, http.StatusOK, web.TeachView{Notice: s.takeNotice(w, r)})
}

func (s *Server) renderTeach(w http.ResponseWriter, r *http.Request, code int, v web.TeachView) {
	teacher, _ := s.teacherOf(r)
	classes, err := s.store.ClassesOf(r.Context(), teacher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range classes {
		members, err := s.store.Members(r.Context(), c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Classes = append(v.Classes, web.ClassRow{ID: c.ID, Name: c.Name, Code: c.Code, Lesson: s.lessonTitle(c.Lesson),
			Students: len(members), Closed: !c.Closed.IsZero(), Created: c.Created})
	}
	v.Lessons = s.lessonChoices()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.TeachPage(s.page(r, "Your classes", "teach"), v).Render(r.Context(), w)
}

func (s *Server) createClass(w http.ResponseWriter, r *http.Request) {
	teacher, _ := s.teacherOf(r)
	form, err := actionForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, lesson := form["name"], form["lesson"]
	known := false
	for _, l := range s.lessonChoices() {
		known = known || l.ID == lesson
	}
	var c *db.Class
	if !known {
		err = errBadRequest(fmt.Sprintf("no lesson %q on this server: choose one of the list", lesson))
	} else {
		c, err = s.store.CreateClass(r.Context(), teacher, name, lesson)
		if errors.Is(err, db.ErrInvalid) {
			err = invalidName(err, "create class: ")
		}
	}
	if err != nil {
		code, msg, internal := status(err)
		if internal {
			s.fail(w, r, err)
			return
		}
		if wantsJSON(r) {
			writeJSON(w, code, map[string]string{"error": msg})
			return
		}
		s.renderTeach(w, r, code, web.TeachView{Name: name, Lesson: lesson, Error: msg})
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusCreated, classJSON(c, s.joinLink(r, c)))
		return
	}
	http.Redirect(w, r, "/teach/"+c.ID+"/join", http.StatusSeeOther)
}

// classJSONView is a class as the JSON answers give it.
type classJSONView struct {
	ID     string `json:"id"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Lesson string `json:"lesson"`
	Closed bool   `json:"closed"`
	Join   string `json:"join_link"`
}

func classJSON(c *db.Class, link string) classJSONView {
	return classJSONView{ID: c.ID, Code: c.Code, Name: c.Name, Lesson: c.Lesson, Closed: !c.Closed.IsZero(), Join: link}
}

// joinLink is the link a student opens to join c.
func (s *Server) joinLink(r *http.Request, c *db.Class) string {
	return s.baseURL(r) + "/join?code=" + url.QueryEscape(c.Code)
}

// JoinInfo is what the join page and the dashboard's join card show of c.
func (s *Server) joinInfo(r *http.Request, c *db.Class) (web.JoinInfo, error) {
	link := s.joinLink(r, c)
	q, err := qrSVG(link)
	if err != nil {
		return web.JoinInfo{}, err
	}
	return web.JoinInfo{ClassID: c.ID, ClassName: c.Name, Code: c.Code, Link: link, QR: q,
		Closed: !c.Closed.IsZero(), Loopback: loopbackURL(link)}, nil
}

// loopbackURL reports whether link names this computer only (localhost, 127.x, ::1).
func loopbackURL(link string) bool {
	u, err := url.Parse(link)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// qrSVG is the QR code of text, for an inline SVG: medium error correction (15%: a
// projector's glare or a head in the way), dark modules as one path of runs.
func qrSVG(text string) (web.QR, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return web.QR{}, fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap() // with its quiet zone
	var b strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return web.QR{Size: len(bm), Path: b.String()}, nil
}

func (s *Server) classJoinPage(w http.ResponseWriter, r *http.Request) {
	j, err := s.joinInfo(r, classOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.ClassJoinPage(s.page(r, "Join "+classOf(r).Name, "teach"), j, s.takeNotice(w, r)).Render(r.Context(), w)
}

// ---- /join ----

func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	v := web.JoinFormView{Code: db.NormalizeCode(r.URL.Query().Get("code"))}
	if m, err := s.store.MemberOf(r.Context(), workspace(r).Name()); err == nil {
		// Already a student: the form rejoins the same class under the same name.
		if c, err := s.store.Class(r.Context(), m.Class); err == nil {
			v.Name = m.Name
			if v.Code == "" {
				v.Code = c.Code
			}
		}
	}
	s.renderJoin(w, r, http.StatusOK, v)
}

func (s *Server) renderJoin(w http.ResponseWriter, r *http.Request, code int, v web.JoinFormView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.JoinPage(s.page(r, "Join a class", "join"), v).Render(r.Context(), w)
}

// joinLimiter bounds the joins (right or wrong code) per client address: a class
// behind one address shares it, so it is the new-workspace limit (a join is what
// starts a student's workspace), which also stops a script guessing codes.
func (s *Server) joinLimiter() *rateLimiter {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if s.teach.joins == nil {
		n := s.limits.NewWorkspacesPerMinute
		s.teach.joins = newRateLimiter(n, s.now, func(client string) string {
			return fmt.Sprintf("this address (%s) has tried %d joins in the last minute, the most the server allows "+
				"(--new-workspaces-per-minute %d)", client, n, n)
		})
	}
	return s.teach.joins
}

// join makes the browser's workspace (stored by createWorkspace, as for any POST) a
// student of the class with the code typed.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	v := web.JoinFormView{Code: db.NormalizeCode(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	c, m, fresh, err := s.joinClass(r, v.Code, v.Name)
	if err != nil {
		code, msg, internal := status(err)
		if internal {
			s.fail(w, r, err)
			return
		}
		var le *limitError
		if errors.As(err, &le) {
			w.Header().Set("Retry-After", strconv.Itoa(int(le.retry.Seconds()+0.999)))
		}
		if wantsJSON(r) {
			writeJSON(w, code, map[string]string{"error": msg})
			return
		}
		v.Error = msg
		s.renderJoin(w, r, code, v)
		return
	}
	text := fmt.Sprintf("You joined %s as %s", c.Name, m.Name)
	if !fresh {
		text = fmt.Sprintf("You are back in %s as %s: your workspace is as you left it", c.Name, m.Name)
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"class": c.ID, "class_name": c.Name, "name": m.Name, "new": fresh, "message": text})
		return
	}
	s.setNotice(w, r, &web.Notice{OK: true, Text: text})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// joinClass does a join's work: the class by its code, the membership, and for a new
// student the lesson's starter files. fresh is false when the workspace was a student
// of the class already (its workspace and name are kept).
func (s *Server) joinClass(r *http.Request, code, name string) (c *db.Class, m *db.Member, fresh bool, err error) {
	ctx := r.Context()
	if err := s.joinLimiter().take(clientAddr(r)); err != nil {
		return nil, nil, false, err
	}
	if code == "" {
		return nil, nil, false, errBadRequest("type the class's code: your teacher shows it (6 letters and digits)")
	}
	c, err = s.store.ClassByCode(ctx, code)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, false, errNotFound(fmt.Sprintf("no open class has the code %s: check it with your teacher", code))
	}
	if err != nil {
		return nil, nil, false, err
	}
	ws := workspace(r)
	if c.Teacher == ws.Name() {
		return nil, nil, false, errConflict(fmt.Sprintf("this browser is the teacher of %s: a student joins from another browser (or a private window)", c.Name))
	}
	before, err := s.store.MemberOf(ctx, ws.Name())
	wasMember := err == nil && before.Class == c.ID
	m, err = s.store.JoinClass(ctx, c.ID, ws.Name(), name)
	switch {
	case errors.Is(err, db.ErrInvalid):
		return nil, nil, false, invalidName(err, "join class: ")
	case errors.Is(err, db.ErrExists):
		return nil, nil, false, errConflict(fmt.Sprintf("%s is taken in this class: choose another name", strings.TrimSpace(name)))
	case errors.Is(err, db.ErrClassClosed):
		return nil, nil, false, errForbidden(fmt.Sprintf("the class %s is closed: it takes no more students; ask your teacher", c.Name))
	case errors.Is(err, db.ErrClassFull):
		return nil, nil, false, errConflict(fmt.Sprintf("the class %s has %d students, layerlab's limit for one class: ask your teacher to open a second class", c.Name, db.MaxClassMembers))
	case errors.Is(err, db.ErrInAnotherClass):
		other := "another class"
		if before != nil {
			if oc, err := s.store.Class(ctx, before.Class); err == nil {
				other = oc.Name
			}
		}
		return nil, nil, false, errConflict(fmt.Sprintf("this browser is a student of %s already: ask that class's teacher to remove you, or join from another browser", other))
	case err != nil:
		return nil, nil, false, err
	}
	if !wasMember {
		if files, ok := s.lessonStarter(c.Lesson); ok {
			if err := ws.ReplaceContext(ctx, files); err != nil {
				return nil, nil, false, err
			}
			s.classChanged(ws.Name(), "files")
		}
		s.memberChanged(ws.Name(), "online")
	}
	return c, m, !wasMember, nil
}

// invalidName is the store's refusal of a name as the form shows it: what is wrong
// with it, without the operation's prefix and the sentinel's words.
func invalidName(err error, prefix string) error {
	msg := strings.TrimPrefix(err.Error(), prefix)
	msg = strings.TrimSuffix(msg, ": "+db.ErrInvalid.Error())
	return errBadRequest(msg)
}

// ---- teacher's actions ----

// actionDone answers a teacher's action: JSON for a fetch, else back to the class's
// dashboard with the outcome.
func (s *Server) actionDone(w http.ResponseWriter, r *http.Request, c *db.Class, text string, extra map[string]any) {
	if wantsJSON(r) {
		out := map[string]any{"ok": true, "message": text}
		for k, v := range extra {
			out[k] = v
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.setNotice(w, r, &web.Notice{OK: true, Text: text})
	http.Redirect(w, r, "/teach/"+c.ID, http.StatusSeeOther)
}

// actionFailed answers a refused action: JSON for a fetch; a form post goes back to the
// dashboard with the reason (an internal error is the error page).
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, c *db.Class, err error) {
	_, msg, internal := status(err)
	if internal || wantsJSON(r) {
		s.fail(w, r, err)
		return
	}
	s.setNotice(w, r, &web.Notice{Text: msg})
	http.Redirect(w, r, "/teach/"+c.ID, http.StatusSeeOther)
}

func (s *Server) closeClass(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	if err := s.store.CloseClass(r.Context(), c.ID); err != nil {
		s.actionFailed(w, r, c, err)
		return
	}
	s.actionDone(w, r, c, fmt.Sprintf("%s is closed: it takes no more joins; its students keep their workspaces", c.Name), nil)
}

// actionForm reads a field of an action: the form's, or a JSON body's.
func actionForm(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]string
		if r.ContentLength == 0 {
			return map[string]string{}, nil
		}
		if err := decodeJSON(w, r, maxFormBytes, &body); err != nil {
			return nil, err
		}
		return body, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errBadRequest("bad form: " + err.Error())
	}
	out := map[string]string{}
	for k := range r.PostForm {
		out[k] = r.PostForm.Get(k)
	}
	return out, nil
}

// studentAction is a teacher's change to one student of the class: rename, remove,
// reset (the workspace as new, running builds cancelled) or quota.
func (s *Server) studentAction(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	ctx := r.Context()
	name := chi.URLParam(r, "workspace")
	m, err := s.store.MemberOf(ctx, name)
	if err != nil || m.Class != c.ID {
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			s.actionFailed(w, r, c, err)
			return
		}
		s.actionFailed(w, r, c, errNotFound(fmt.Sprintf("no student with the workspace %s in %s", name, c.Name)))
		return
	}
	form, err := actionForm(w, r)
	if err != nil {
		s.actionFailed(w, r, c, err)
		return
	}
	switch chi.URLParam(r, "action") {
	case "rename":
		to := strings.TrimSpace(form["name"])
		if err := s.store.RenameMember(ctx, c.ID, name, to); err != nil {
			switch {
			case errors.Is(err, db.ErrExists):
				err = errConflict(fmt.Sprintf("%s is taken in this class: choose another name", to))
			case errors.Is(err, db.ErrInvalid):
				err = invalidName(err, "rename student: ")
			}
			s.actionFailed(w, r, c, err)
			return
		}
		s.memberChanged(name, "online")
		s.actionDone(w, r, c, fmt.Sprintf("%s is now called %s", m.Name, to), map[string]any{"name": to})
	case "remove":
		if err := s.store.RemoveMember(ctx, c.ID, name); err != nil {
			s.actionFailed(w, r, c, err)
			return
		}
		s.memberChanged(name, "online")
		s.actionDone(w, r, c, fmt.Sprintf("%s is no longer in %s: the browser keeps its workspace, outside the class", m.Name, c.Name), nil)
	case "reset":
		cancelled, err := s.resetWorkspace(ctx, name, c.Lesson)
		if err != nil {
			s.actionFailed(w, r, c, err)
			return
		}
		s.memberChanged(name, "build")
		s.memberChanged(name, "files")
		s.memberChanged(name, "progress")
		s.memberChanged(name, "usage")
		text := fmt.Sprintf("%s's workspace is reset: images, builds and progress deleted, the lesson's starting files back", m.Name)
		if cancelled {
			text += " (the running build was cancelled first)"
		}
		s.actionDone(w, r, c, text, map[string]any{"cancelled": cancelled})
	case "quota":
		raw := strings.TrimSpace(form["quota"])
		bytes, err := parseQuota(raw)
		if err != nil {
			s.actionFailed(w, r, c, err)
			return
		}
		if err := s.store.SetMemberQuota(ctx, c.ID, name, bytes); err != nil {
			s.actionFailed(w, r, c, err)
			return
		}
		s.memberChanged(name, "usage")
		text := fmt.Sprintf("%s may now store %s", m.Name, sandbox.SizeText(bytes))
		if bytes == 0 {
			text = fmt.Sprintf("%s has the server's quota again (%s, --workspace-quota)", m.Name, sandbox.SizeText(s.limits.WorkspaceQuota))
		}
		s.actionDone(w, r, c, text, map[string]any{"quota": bytes})
	default:
		s.actionFailed(w, r, c, errNotFound(fmt.Sprintf("no action %q on a student: rename, remove, reset or quota", chi.URLParam(r, "action"))))
	}
}

// memberChanged tells the dashboards that a student's membership or workspace changed,
// and drops the hub's cached membership (classhub.go) first, so they see the new one.
func (s *Server) memberChanged(workspace, what string) {
	s.forgetMember(workspace)
	s.classChanged(workspace, what)
}

// resetStopWait bounds how long a reset waits for a cancelled build to record its end.
const resetStopWait = 30 * time.Second

// resetWorkspace empties a student's workspace: its running build is cancelled and
// waited for first (a build holds its images: Reset refuses while it runs), then the
// workspace starts again from the lesson's starter files (else the default example).
func (s *Server) resetWorkspace(ctx context.Context, name, lesson string) (cancelled bool, err error) {
	ws, err := s.store.ExistingWorkspace(ctx, name)
	if err != nil {
		return false, err
	}
	s.builds.mu.Lock()
	rb := s.builds.running[name]
	s.builds.mu.Unlock()
	if rb != nil && !rb.ended.Load() && rb.ID != "" {
		cancelled = s.builds.cancel(ws, rb.ID)
		wctx, cancel := context.WithTimeout(ctx, resetStopWait)
		select {
		case <-rb.done: // its end is recorded and its holds released
		case <-wctx.Done():
		}
		cancel()
		select {
		case <-rb.done:
		default:
			if ctx.Err() != nil {
				return cancelled, ctx.Err()
			}
			return cancelled, errConflict(fmt.Sprintf("the workspace's build did not stop within %s of being cancelled: try the reset again", resetStopWait))
		}
	}
	files, err := s.starterFiles(lesson)
	if err != nil {
		return cancelled, err
	}
	if err := ws.Reset(ctx, files); err != nil {
		if errors.Is(err, db.ErrHeld) {
			return cancelled, errConflict("a build or a pull of this workspace still holds its images: wait a moment and reset again")
		}
		return cancelled, err
	}
	return cancelled, nil
}

// parseQuota reads a quota as the serve flags take it: 1GiB, 512MiB, 2GB, 2g or bytes;
// "default" (or 0) gives the student the server's quota back.
func parseQuota(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "default" || t == "0" {
		return 0, nil
	}
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := quotaUnits[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, errBadRequest(fmt.Sprintf("quota %q: want a size such as 1GiB, 512MiB, 2GB, or default for the server's", s))
	}
	n := v * mult
	if n < 1 || n > math.MaxInt64/2 || math.IsNaN(n) {
		return 0, errBadRequest(fmt.Sprintf("quota %q: must be at least 1 byte and at most 4 EiB", s))
	}
	return int64(n), nil
}

// quotaUnits are the serve flags' units, and "bytes" as sandbox.SizeText (the
// dashboard's quota field) writes a size that is no whole KiB.
var quotaUnits = map[string]float64{
	"": 1, "b": 1, "byte": 1, "bytes": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ---- notices ----

const noticeCookie = "layerlab_notice"

// setNotice carries n to the next page in a cookie signed with the session key and
// bound to the session (as the images page's flash), so a page shows only notices the
// server wrote for this browser.
func (s *Server) setNotice(w http.ResponseWriter, r *http.Request, n *web.Notice) {
	s.putSigned(w, r, signedCookie{name: noticeCookie, path: "/", purpose: "notice"}, n)
}

// takeNotice reads and clears the notice; nil when there is none or it is not the
// server's for this session.
func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request) *web.Notice {
	var n web.Notice
	if !s.takeSigned(w, r, signedCookie{name: noticeCookie, path: "/", purpose: "notice"}, &n) || n.Text == "" {
		return nil
	}
	return &n
}

// classState is the server's part of the classes: the limiter of joins per address.
type classState struct {
	joins *rateLimiter
}
