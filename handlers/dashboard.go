package handlers

// The class dashboard (/teach/{class}): a card per student, kept live over
// /ws/teach/{class} (classhub.go sends the changed cards), the students x tasks
// progress matrix and its CSV, the read-only view of a student's workspace, and the
// presence websocket every page keeps open (static/presence.js) that makes a student
// "online".

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"layerlab/db"
	"layerlab/engine/sandbox"
	"layerlab/web"
)

// Bounds of the class's websockets, checked before the upgrade.
const (
	// presencePerWorkspace is the open presence websockets a workspace may hold: one
	// per open page, and a student rarely has more than a few tabs.
	presencePerWorkspace = 8
	// dashboardsPerClass is the open live dashboards of a class: the teacher's tabs
	// and a projector.
	dashboardsPerClass = 8
	// maxViewFileBytes is the most of one file the read-only view shows.
	maxViewFileBytes = 256 << 10
)

func (s *Server) dashboardRoutes(r chi.Router) {
	r.With(s.requireClassTeacher).Get("/teach/{class}", s.dashboardPage)
	r.With(s.requireClassTeacher).Get("/teach/{class}/progress.csv", s.progressCSV)
	r.With(s.requireClassTeacher).Get("/teach/{class}/students/{workspace}", s.studentViewPage)
	r.With(s.requireClassTeacher).Get("/ws/teach/{class}", s.dashboardSocket)
	r.Get("/ws/presence", s.presenceSocket)
}

// dashboardPage renders every card; dashboard.js then follows the live updates.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	cards, tasks, err := s.classCards(r.Context(), c, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	csrf := csrfOf(r)
	for i := range cards {
		cards[i].CSRF = csrf
	}
	v := web.ClassDashboard{ClassID: c.ID, ClassName: c.Name, Lesson: s.lessonTitle(c.Lesson), Closed: !c.Closed.IsZero(), Code: c.Code,
		Cards: cards, Tasks: tasks, Now: s.now()}
	if j, err := s.joinInfo(r, c); err == nil {
		v.Join = web.JoinCard(j)
	} else {
		s.log.Error("join card", "class", c.ID, "err", err)
	}
	if n := s.takeNotice(w, r); n != nil {
		v.Notice = web.NoticeBox(n)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.ClassDashboardPage(s.page(r, c.Name+" · dashboard", "teach"), v).Render(r.Context(), w)
}

// classCards computes the cards of the class's students (all when only is nil) and
// the matrix's task columns. A workspace of only that is no longer a student of the
// class is left out.
func (s *Server) classCards(ctx context.Context, c *db.Class, only []string) ([]web.StudentCard, []web.TaskColumn, error) {
	var members []*db.Member
	if only == nil {
		var err error
		if members, err = s.store.Members(ctx, c.ID); err != nil {
			return nil, nil, err
		}
	} else {
		for _, ws := range only {
			m, err := s.store.MemberOf(ctx, ws)
			if errors.Is(err, db.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			if m.Class == c.ID {
				members = append(members, m)
			}
		}
	}
	cards := make([]web.StudentCard, 0, len(members))
	progs := make([]*lessonProgress, 0, len(members))
	for _, m := range members {
		card, p, err := s.studentCard(ctx, c, m)
		if err != nil {
			return nil, nil, err
		}
		cards = append(cards, card)
		progs = append(progs, p)
	}
	tasks := taskColumns(progs)
	if len(tasks) == 0 {
		// No student yet (a teacher opens the dashboard before the class joins): the
		// columns are the class's lesson's tasks, as they will be once students join,
		// so the page need not be reloaded to show the matrix.
		if l, ok := s.lesson(c.Lesson); ok {
			for _, t := range l.Tasks {
				tasks = append(tasks, web.TaskColumn{ID: t.ID, Title: t.Title, Predict: t.Predict})
			}
		}
	}
	for i := range cards {
		cards[i].Progress = progressCells(tasks, progs[i])
	}
	return cards, tasks, nil
}

// taskColumns are the lesson's tasks in order; while the lesson's tasks are unknown
// (the progress holds none), the ids done or scored by any student, sorted.
func taskColumns(progs []*lessonProgress) []web.TaskColumn {
	scored := map[string]bool{}
	for _, p := range progs {
		for id := range p.Scores {
			scored[id] = true
		}
	}
	for _, p := range progs {
		if len(p.Tasks) > 0 {
			out := make([]web.TaskColumn, len(p.Tasks))
			for i, t := range p.Tasks {
				out[i] = web.TaskColumn{ID: t.ID, Title: t.Title, Predict: scored[t.ID]}
			}
			return out
		}
	}
	seen := map[string]bool{}
	var ids []string
	for _, p := range progs {
		for id := range p.Done {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		for id := range p.Scores {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	out := make([]web.TaskColumn, len(ids))
	for i, id := range ids {
		out[i] = web.TaskColumn{ID: id, Title: id, Predict: scored[id]}
	}
	return out
}

func progressCells(tasks []web.TaskColumn, p *lessonProgress) []web.ProgressCell {
	cells := make([]web.ProgressCell, len(tasks))
	for i, t := range tasks {
		cell := web.ProgressCell{Task: t.ID, Current: t.ID == p.Current}
		cell.At, cell.Done = p.Done[t.ID]
		if sc, ok := p.Scores[t.ID]; ok {
			cell.Score = fmt.Sprintf("%d/%d", sc[0], sc[1])
		}
		cells[i] = cell
	}
	return cells
}

// studentCard is one student's card, from the store and the hub's caches: the last
// three builds (one query), the last build's outcome (read once it has finished),
// the usage (counted again only when it may have changed), the queue and presence
// (memory), the lesson's progress.
func (s *Server) studentCard(ctx context.Context, c *db.Class, m *db.Member) (web.StudentCard, *lessonProgress, error) {
	h := s.classes
	card := web.StudentCard{ClassID: c.ID, Workspace: m.Workspace, Name: m.Name, LastActivity: m.Joined}
	ws, err := s.store.ExistingWorkspace(ctx, m.Workspace)
	if errors.Is(err, db.ErrNotFound) {
		ws, err = s.store.UnstoredWorkspace(m.Workspace) // reads as empty
	}
	if err != nil {
		return card, nil, fmt.Errorf("card of %s: %w", m.Workspace, err)
	}
	builds, err := ws.Builds(ctx, 3)
	if err != nil {
		return card, nil, fmt.Errorf("card of %s: %w", m.Workspace, err)
	}
	for _, b := range builds {
		if b.State == db.BuildFailed {
			card.Failures++
		}
		card.LastActivity = latest(card.LastActivity, b.Created, b.Finished)
	}
	card.Stuck = len(builds) == 3 && card.Failures == 3
	usageKey := ""
	if len(builds) > 0 {
		b := builds[0]
		if b.State != db.BuildRunning { // a running build's layers are counted once it ends
			usageKey = b.ID + " " + string(b.State)
		}
		o, err := h.outcomeOf(ctx, ws, b)
		if err != nil {
			return card, nil, fmt.Errorf("card of %s: %w", m.Workspace, err)
		}
		card.Build = cardBuild(b, o)
	}
	card.Used, err = h.usageOf(ctx, ws, usageKey)
	if err != nil {
		return card, nil, fmt.Errorf("card of %s: %w", m.Workspace, err)
	}
	card.Quota = ws.Quota()
	card.UsedText = humanBytes(card.Used)
	if card.Quota > 0 {
		card.QuotaText = sandbox.SizeText(card.Quota)
	}
	card.Waiting = s.queue.waitingOf(m.Workspace)
	card.Online = h.presenceCount(m.Workspace) > 0
	card.LastActivity = latest(card.LastActivity, h.lastActivity(m.Workspace))

	p, err := s.lessonProgress(ctx, ws, c.Lesson)
	if err != nil {
		return card, nil, fmt.Errorf("card of %s: %w", m.Workspace, err)
	}
	classify(&card, p, s.now())
	return card, p, nil
}

// classify fills what the filters select from the card and the lesson's progress:
// done (every task of the lesson done), idle (no activity for web.IdleAfter: builds,
// tasks done, the hub's changes, the join). Stuck (the last three builds failed) is
// set from the builds.
func classify(card *web.StudentCard, p *lessonProgress, now time.Time) {
	for _, at := range p.Done {
		card.LastActivity = latest(card.LastActivity, at)
	}
	card.TasksTotal, card.TasksDone = len(p.Tasks), 0
	for i, t := range p.Tasks {
		if _, ok := p.Done[t.ID]; ok {
			card.TasksDone++
		}
		if t.ID == p.Current {
			card.TaskIndex = i + 1
		}
	}
	card.Task, card.TaskTitle = p.Current, p.CurrentTitle
	card.AllDone = card.TasksTotal > 0 && p.Current == ""
	card.Idle = now.Sub(card.LastActivity) >= web.IdleAfter
}

func latest(t time.Time, more ...time.Time) time.Time {
	for _, u := range more {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// cardBuild is a build and its outcome as a card shows them.
func cardBuild(b *db.Build, o *outcome) *web.CardBuild {
	cb := &web.CardBuild{ID: b.ID, State: string(b.State), Error: b.Error, Created: b.Created, Tags: b.Tags}
	for _, st := range o.Steps {
		cb.Steps = append(cb.Steps, web.CardStep{Step: st.Step, Line: st.Line, State: st.State, Instruction: st.Instruction, Reason: st.Reason})
		if st.State == "failed" && cb.Line == 0 {
			cb.Line = st.Line
		}
	}
	if b.State == db.BuildRunning {
		cb.Steps = append(cb.Steps, web.CardStep{Step: len(o.Steps) + 1, State: "running", Instruction: "the next step"})
	}
	// The stored error often starts with the line ("line 4: ..."): the card says it once.
	if cb.Line > 0 {
		cb.Error = strings.TrimPrefix(cb.Error, fmt.Sprintf("line %d: ", cb.Line))
	}
	return cb
}

// outcomeOf is the build's outcome: a finished build's is read once and kept (the
// workspace's last one), a running build's is read again each time.
func (h *classHub) outcomeOf(ctx context.Context, ws *db.Workspace, b *db.Build) (*outcome, error) {
	h.mu.Lock()
	c, ok := h.outcomes[ws.Name()]
	h.mu.Unlock()
	if ok && c.build == b.ID {
		return c.o, nil
	}
	o, err := readOutcome(ctx, ws, b.ID)
	if err != nil {
		return nil, err
	}
	if b.State != db.BuildRunning {
		h.mu.Lock()
		h.outcomes[ws.Name()] = cachedOutcome{build: b.ID, o: o}
		h.mu.Unlock()
	}
	return o, nil
}

// usageOf is the workspace's storage use, counted again when key (its last finished
// build; "" while one runs: any) changed, after a "usage" change, or after usageMaxAge.
func (h *classHub) usageOf(ctx context.Context, ws *db.Workspace, key string) (int64, error) {
	now := h.s.now()
	h.mu.Lock()
	c, ok := h.usage[ws.Name()]
	h.mu.Unlock()
	// A count younger than usageMinAge stands even after another build: a class
	// builds every few seconds, and a count per build per student was a tenth of the
	// server's CPU under a class of 100 (pprof of loadtest -class), for a figure that
	// moves by kilobytes. A "usage" change (a reset, a new quota) drops the count.
	if ok && ((c.key == key || key == "") && now.Sub(c.at) < usageMaxAge || now.Sub(c.at) < usageMinAge) {
		return c.bytes, nil
	}
	n, err := ws.StorageUsed(ctx)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.usage[ws.Name()] = cachedUsage{key: key, bytes: n, at: now}
	h.mu.Unlock()
	return n, nil
}

// cardJSON is one card of a live update: the card and its matrix row rendered as the
// page renders them (one rendering, no template in the script), and its filter flags.
type cardJSON struct {
	Workspace string `json:"workspace"`
	Name      string `json:"name"`
	HTML      string `json:"html"`
	Row       string `json:"row"`
	Stuck     bool   `json:"stuck"`
	Idle      bool   `json:"idle"`
	Done      bool   `json:"done"`
	Online    bool   `json:"online"`
	// Build and BuildState are the last build's ID and state (running, succeeded,
	// failed; "" before any build): the load tool (cmd/loadtest -class) times from
	// them when a build's end reaches the dashboard.
	Build      string `json:"build"`
	BuildState string `json:"build_state"`
}

// dashMessage is what /ws/teach/{class} sends: the changed cards, or every card
// (Snapshot: a card not in it is a student no longer in the class); Gone lists the
// workspaces that left the class.
type dashMessage struct {
	Type     string     `json:"type"` // "cards"
	Snapshot bool       `json:"snapshot,omitempty"`
	Cards    []cardJSON `json:"cards"`
	Gone     []string   `json:"gone,omitempty"`
	Tasks    int        `json:"tasks"` // the matrix's columns: a page showing others reloads
}

// cardsMessage renders the cards of the workspaces (every student's when nil).
func (s *Server) cardsMessage(ctx context.Context, classID string, workspaces []string) ([]byte, error) {
	c, err := s.store.Class(ctx, classID)
	if err != nil {
		return nil, err
	}
	cards, tasks, err := s.classCards(ctx, c, workspaces)
	if err != nil {
		return nil, err
	}
	msg := dashMessage{Type: "cards", Snapshot: workspaces == nil, Cards: make([]cardJSON, 0, len(cards)), Tasks: len(tasks)}
	now := s.now()
	var buf bytes.Buffer
	present := map[string]bool{}
	for _, card := range cards {
		present[card.Workspace] = true
		buf.Reset()
		if err := web.StudentCardItem(card, now).Render(ctx, &buf); err != nil {
			return nil, err
		}
		cj := cardJSON{Workspace: card.Workspace, Name: card.Name, HTML: buf.String(),
			Stuck: card.Stuck, Idle: card.Idle, Done: card.AllDone, Online: card.Online}
		if card.Build != nil {
			cj.Build, cj.BuildState = card.Build.ID, card.Build.State
		}
		buf.Reset()
		if err := web.ProgressRow(card).Render(ctx, &buf); err != nil {
			return nil, err
		}
		cj.Row = buf.String()
		msg.Cards = append(msg.Cards, cj)
	}
	for _, ws := range workspaces {
		if !present[ws] {
			msg.Gone = append(msg.Gone, ws)
		}
	}
	return json.Marshal(msg)
}

// dashboardSocket streams the class's cards: every card first, then the changed ones
// (classhub.go). A dashboard too slow for the updates is dropped by the hub and gets
// every card again.
func (s *Server) dashboardSocket(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	release, err := s.classes.watchClass(c.ID)
	if err != nil {
		code, msg, _ := status(err)
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	defer release()
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()
	for {
		cl := s.classes.subscribe(c.ID)
		if cl == nil {
			return
		}
		snap, err := s.cardsMessage(r.Context(), c.ID, nil)
		if err != nil {
			s.classes.unsubscribe(cl)
			s.log.Error("class dashboard snapshot", "class", c.ID, "err", err)
			st.closeWith(websocket.CloseInternalServerErr, "the dashboard could not be read: reload the page")
			return
		}
		if !st.send(snap) {
			s.classes.unsubscribe(cl)
			return
		}
		dropped := followDashboard(r.Context(), st, cl)
		s.classes.unsubscribe(cl)
		if !dropped {
			return
		}
	}
}

// followDashboard forwards a dashboard's updates until the connection ends (false) or
// the hub drops the client as too slow (true).
func followDashboard(ctx context.Context, st *stream, cl *dashClient) bool {
	for {
		select {
		case msg, ok := <-cl.send:
			if !ok {
				return true
			}
			if !st.send(msg) {
				return false
			}
		case <-st.ping.C:
			if !st.pingNow() {
				return false
			}
		case <-st.gone:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// watchClass counts one more open dashboard of the class, or refuses it (429) past
// dashboardsPerClass.
func (h *classHub) watchClass(class string) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dashboards[class] >= dashboardsPerClass {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many open dashboards of this class: the limit is %d live dashboards per class; close another tab showing it and reload", dashboardsPerClass)}
	}
	h.dashboards[class]++
	done := false
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if done {
			return
		}
		done = true
		if h.dashboards[class]--; h.dashboards[class] <= 0 {
			delete(h.dashboards, class)
		}
	}, nil
}

// presenceNoWorkspace is the close code that tells presence.js this session has no
// stored workspace yet (it has changed nothing): there is no one to show online, and
// the page does not try again (the next page does).
const presenceNoWorkspace = 4001

// presenceSocket is held open by every page (static/presence.js): while a workspace
// has one, it is online on its class's dashboard.
func (s *Server) presenceSocket(w http.ResponseWriter, r *http.Request) {
	if !sessionStored(r) {
		// A close frame rather than a refused handshake: the browser logs no error.
		if st := openStream(w, r); st != nil {
			st.closeWith(presenceNoWorkspace, "no workspace yet")
			st.Close()
		}
		return
	}
	name := workspace(r).Name()
	ok, first := s.classes.takePresence(name)
	if !ok {
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf(
			"too many open pages in this workspace: the limit is %d pages showing presence per workspace; close other tabs of this playground and reload", presencePerWorkspace)})
		return
	}
	st := openStream(w, r)
	if st == nil {
		if s.classes.setOnline(name, -1) {
			s.classChanged(name, "online")
		}
		return
	}
	defer st.Close()
	if first {
		s.classChanged(name, "online")
	}
	defer func() {
		if s.classes.setOnline(name, -1) {
			s.classChanged(name, "online")
		}
	}()
	for {
		select {
		case <-st.ping.C:
			if !st.pingNow() {
				return
			}
		case <-st.gone:
			return
		case <-r.Context().Done():
			return
		case <-s.classes.done:
			st.closeWith(websocket.CloseGoingAway, "the server is stopping")
			return
		}
	}
}

// takePresence counts a presence websocket of workspace, unless it has
// presencePerWorkspace of them already (checked before the upgrade); first reports
// that it is the workspace's only one (it just came online).
func (h *classHub) takePresence(workspace string) (ok, first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.online[workspace] >= presencePerWorkspace {
		return false, false
	}
	h.online[workspace]++
	return true, h.online[workspace] == 1
}

// progressCSV is the progress matrix as CSV: a row per student, a column per task;
// a cell is the time the task was done (RFC 3339, UTC), "right/total" for a scored
// prediction, or empty.
func (s *Server) progressCSV(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	cards, tasks, err := s.classCards(r.Context(), c, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	head := []string{"student"}
	for _, t := range tasks {
		head = append(head, csvSafe(t.ID))
	}
	cw.Write(head)
	for _, card := range cards {
		row := []string{csvSafe(card.Name)}
		for _, cell := range card.Progress {
			switch {
			case cell.Score != "":
				row = append(row, cell.Score)
			case cell.Done:
				row = append(row, cell.At.UTC().Format(time.RFC3339))
			default:
				row = append(row, "")
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="progress-`+c.ID+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: a cell a student
// named "=HYPERLINK(...)" starts with a quote, as OWASP's CSV injection advice says
// (also for a tab or carriage return, which some spreadsheets skip before a formula).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// studentViewPage is the teacher's read-only view of a student's workspace: the
// files, the last build's steps with their reasons, the images, the usage.
func (s *Server) studentViewPage(w http.ResponseWriter, r *http.Request) {
	c := classOf(r)
	ctx := r.Context()
	name := chi.URLParam(r, "workspace")
	m, err := s.store.MemberOf(ctx, name)
	if (err == nil && m.Class != c.ID) || errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, errNotFound(fmt.Sprintf("no student with the workspace %s in %s", name, c.Name)))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ws, err := s.store.ExistingWorkspace(ctx, name)
	if errors.Is(err, db.ErrNotFound) {
		ws, err = s.store.UnstoredWorkspace(name)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := web.StudentView{ClassID: c.ID, ClassName: c.Name, Name: m.Name, Workspace: name}
	files, err := ws.ContextFiles(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The Dockerfile first, then the files by path, as the playground's tree.
	sort.SliceStable(files, func(i, j int) bool {
		if (files[i].Path == "Dockerfile") != (files[j].Path == "Dockerfile") {
			return files[i].Path == "Dockerfile"
		}
		return files[i].Path < files[j].Path
	})
	for _, f := range files {
		vf := web.ViewFile{Path: f.Path, Size: int64(len(f.Data))}
		switch {
		case !isText(f.Data):
			vf.Binary = true
		case len(f.Data) > maxViewFileBytes:
			vf.Text = string(f.Data[:maxViewFileBytes]) + fmt.Sprintf("\n… (the view shows the first %s of %s)", sandbox.SizeText(maxViewFileBytes), sandbox.SizeText(int64(len(f.Data))))
		default:
			vf.Text = string(f.Data)
		}
		v.Files = append(v.Files, vf)
	}
	builds, err := ws.Builds(ctx, 1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(builds) > 0 {
		o, err := s.classes.outcomeOf(ctx, ws, builds[0])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Build = cardBuild(builds[0], o)
		v.BuildMs = o.Ms
		v.Steps = v.Build.Steps
	}
	rows, run, err := s.listImageRows(ctx, ws, true, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Images, v.ImagesCmd = rows, run.Cmd
	used, err := ws.StorageUsed(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.UsedText = humanBytes(used)
	if q := ws.Quota(); q > 0 {
		v.QuotaText = sandbox.SizeText(q)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.StudentViewPage(s.page(r, m.Name+" · "+c.Name, "teach"), v).Render(ctx, w)
}
