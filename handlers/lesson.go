package handlers

// The guided lesson: its side panel in the playground (web/lesson.templ, static/lesson.js)
// and its API. A task is done when the server's check of the workspace's real state
// passes (its builds and their steps, images, tags, hub pushes and pulls, terminal
// commands): the browser sends only an answer's text and a prediction's step numbers,
// never that something was done.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/dockerfile"
	"layerlab/lessons"
	"layerlab/remote"
	"layerlab/web"
)

// Bounds of what a lesson's check is given.
const (
	// lessonBuilds is how many of the newest builds the checks see.
	lessonBuilds = 20
	// lessonConfigs bounds the image configs read for one evaluation (newest first):
	// an image past it is listed without its working directory, Env and history.
	lessonConfigs = 300
	// maxLessonBody bounds a lesson request's JSON: an answer (1 KiB) or at most
	// db.MaxPredictedSteps step numbers.
	maxLessonBody = 8 << 10
	// evaluateTimeout bounds one evaluation after a build or a command.
	evaluateTimeout = 30 * time.Second
	// evaluateYield is the longest a lesson check waits for the builds waiting for a
	// slot to start (evaluateLater): the panel and the dashboard are told a task is
	// done that much later at most.
	evaluateYield = 3 * time.Second
)

// lessonProgress is what a class's dashboard shows of one student's lesson: the tasks
// done and when, the current task (the first not done), and the predictions' scores.
type lessonProgress struct {
	Lesson       string
	Done         map[string]time.Time // task id -> when it was done
	Current      string               // the first task not done; "" when all are
	CurrentTitle string
	Scores       map[string][2]int // task id -> {right, total} of its scored prediction
	Tasks        []struct{ ID, Title string }
}

// lessonProgress reads the workspace's progress in lessonID from the store: what the
// server's checks recorded, never what a browser claimed. A lesson this server does not
// have lists no tasks.
func (s *Server) lessonProgress(ctx context.Context, ws *db.Workspace, lessonID string) (*lessonProgress, error) {
	p := &lessonProgress{Lesson: lessonID, Done: map[string]time.Time{}, Scores: map[string][2]int{}}
	done, err := ws.Progress(ctx, lessonID)
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	for _, d := range done {
		p.Done[d.Task] = d.At
	}
	preds, err := ws.Predictions(ctx, lessonID)
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	for task, pr := range preds {
		if pr.Scored() {
			p.Scores[task] = [2]int{pr.Right, pr.Total}
		}
	}
	if l, ok := s.lesson(lessonID); ok {
		for _, t := range l.Tasks {
			p.Tasks = append(p.Tasks, struct{ ID, Title string }{t.ID, t.Title})
			if _, ok := p.Done[t.ID]; !ok && p.Current == "" {
				p.Current, p.CurrentTitle = t.ID, t.Title
			}
		}
	}
	return p, nil
}

// setupLessons sets the server's lessons (nil: the built-in ones) and the evaluator.
func (s *Server) setupLessons(set *lessons.Set) {
	if set == nil {
		var err error
		if set, err = lessons.Builtin(); err != nil {
			// The built-in lessons are embedded and tested: this is a broken build.
			s.log.Error("built-in lessons", "err", err)
		}
	}
	s.lessons = set
	s.evals = newLessonEvals()
}

// lesson returns the lesson of that id the server has.
func (s *Server) lesson(id string) (*lessons.Lesson, bool) {
	if s.lessons == nil || id == "" {
		return nil, false
	}
	return s.lessons.Get(id)
}

// lessonChoice is the lesson a workspace follows.
type lessonChoice struct {
	Lesson *lessons.Lesson // nil: none (none chosen, or the class's is missing)
	Class  *db.Class       // the workspace's class; nil: it is in none
}

// lessonOf returns the lesson the workspace follows: its class's, else the one it chose.
func (s *Server) lessonOf(ctx context.Context, ws *db.Workspace) (lessonChoice, error) {
	var c lessonChoice
	m, err := s.store.MemberOf(ctx, ws.Name())
	switch {
	case err == nil:
		if c.Class, err = s.store.Class(ctx, m.Class); err != nil {
			return c, fmt.Errorf("lesson of %s: %w", ws.Name(), err)
		}
		c.Lesson, _ = s.lesson(c.Class.Lesson)
		return c, nil
	case !errors.Is(err, db.ErrNotFound):
		return c, fmt.Errorf("lesson of %s: %w", ws.Name(), err)
	}
	id, err := ws.ChosenLesson(ctx)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return c, nil
	case err != nil:
		return c, fmt.Errorf("lesson of %s: %w", ws.Name(), err)
	}
	c.Lesson, _ = s.lesson(id)
	return c, nil
}

// buildSteps keeps the steps of finished builds (workspace + " " + build id), read
// back from their events: a finished build's events never change, and every
// evaluation reads the last lessonBuilds builds. A class of 100 times lessonBuilds,
// twice over.
var buildSteps = &boundedCache[[]lessons.Step]{m: map[string][]lessons.Step{}, max: 4000}

// stepsOf returns a build's steps, as its events recorded them.
func stepsOf(ctx context.Context, ws *db.Workspace, b *db.Build) ([]lessons.Step, error) {
	key := ws.Name() + " " + b.ID
	if b.State != db.BuildRunning {
		if v, ok := buildSteps.get(key); ok {
			return v, nil
		}
	}
	o, err := readOutcome(ctx, ws, b.ID)
	if err != nil {
		return nil, fmt.Errorf("steps of build %s: %w", b.ID, err)
	}
	steps := make([]lessons.Step, 0, len(o.Steps))
	for _, st := range o.Steps {
		steps = append(steps, lessons.Step{Step: st.Step, Line: st.Line, Instruction: st.Instruction, State: st.State, Reason: st.Reason})
	}
	if b.State != db.BuildRunning {
		buildSteps.put(key, steps)
	}
	return steps, nil
}

// configSum is what the checks read of an image's config.
type configSum struct {
	layers  int // history entries
	workdir string
	env     []string
}

// configSums keeps configSum by image ID: an ID is the digest of its config, so what
// it names never changes, and every evaluation lists the workspace's images.
var configSums = &boundedCache[configSum]{m: map[string]configSum{}, max: 20000}

// boundedCache is a map for values that never change under their key, emptied when
// full (each is read again from the store: a few ms).
type boundedCache[V any] struct {
	mu  sync.Mutex
	m   map[string]V
	max int
}

func (c *boundedCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *boundedCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = v
}

// lessonState gathers what the lesson's checks look at, from the workspace as it is:
// its newest builds with their steps, its images (intermediate and dangling ones too),
// the terminal's commands, its hub pushes and pulls, and the answers and scored
// predictions of lessonID.
func (s *Server) lessonState(ctx context.Context, ws *db.Workspace, lessonID string) (*lessons.State, error) {
	st := &lessons.State{Namespace: db.HubNamespace(ws.Name()), Answers: map[string]string{}, Predictions: map[string]lessons.Prediction{}}
	builds, err := ws.Builds(ctx, lessonBuilds)
	if err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	for _, b := range builds {
		steps, err := stepsOf(ctx, ws, b)
		if err != nil {
			return nil, fmt.Errorf("lesson state: %w", err)
		}
		st.Builds = append(st.Builds, lessons.Build{ID: b.ID, State: string(b.State), Tags: b.Tags, Dockerfile: b.Dockerfile,
			Steps: steps, Error: b.Error, Created: b.Created})
	}
	if st.Images, err = lessonImages(ctx, ws); err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	cmds, err := ws.Commands(ctx)
	if err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	for _, c := range cmds {
		st.Commands = append(st.Commands, lessons.Command{Cmd: c.Cmd, Exit: c.Exit, At: c.At})
	}
	if st.Pushed, err = s.store.HubTagsIn(ctx, st.Namespace); err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	st.Pulled = s.pulledRefs(ws.Name(), st.Namespace, cmds)
	if st.Answers, err = ws.Answers(ctx, lessonID); err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	preds, err := ws.Predictions(ctx, lessonID)
	if err != nil {
		return nil, fmt.Errorf("lesson state: %w", err)
	}
	for task, p := range preds {
		if p.Scored() {
			st.Predictions[task] = lessons.Prediction{Predicted: p.Steps, Rebuilt: p.Rebuilt, Right: p.Right, Total: p.Total, Mistakes: p.Mistakes}
		}
	}
	return st, nil
}

// lessonImages lists the workspace's images as `docker image ls -a` sees them: tags in
// docker's short form ("my_image:latest"); an untagged image is intermediate when
// another image has it as parent, else dangling.
func lessonImages(ctx context.Context, ws *db.Workspace) ([]lessons.Image, error) {
	recs, err := ws.ImageList(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := ws.AllTags(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string][]string{}
	for _, t := range tags {
		byID[t.ID.String()] = append(byID[t.ID.String()], t.Ref)
	}
	parents := map[string]bool{}
	for _, r := range recs {
		if r.Parent != "" {
			parents[r.Parent.String()] = true
		}
	}
	out := make([]lessons.Image, 0, len(recs))
	for i, r := range recs {
		id := r.ID.String()
		img := lessons.Image{ID: id, Tags: byID[id], Parent: r.Parent.String(), Size: r.Size(), Created: r.Created}
		if len(img.Tags) == 0 {
			img.Intermediate = parents[id]
			img.Dangling = !parents[id]
		}
		if i < lessonConfigs {
			sum, ok := configSums.get(id)
			if !ok {
				cfg, err := r.ConfigFile(ctx)
				if err != nil {
					return nil, fmt.Errorf("image %s: %w", id, err)
				}
				sum.layers = len(cfg.History)
				if cfg.Config != nil {
					sum.workdir, sum.env = cfg.Config.WorkingDir, cfg.Config.Env
				}
				configSums.put(id, sum)
			}
			img.Layers, img.WorkingDir, img.Env = sum.layers, sum.workdir, slices.Clone(sum.env)
		}
		out = append(out, img)
	}
	return out, nil
}

// pulledRefs are the hub references the workspace pulled from another namespace
// ("ns/name:tag"): from the terminal's successful `docker pull` commands, and from the
// images page's pulls the server still remembers. library/ (the official images) and
// the workspace's own namespace are not another's.
func (s *Server) pulledRefs(wsName, ns string, cmds []db.TerminalCommand) []string {
	var out []string
	add := func(arg string) {
		n, err := remote.ParseName(arg)
		if err != nil || n.HasHost {
			return
		}
		path := n.Ref.Path()
		if strings.HasPrefix(path, "library/") || strings.HasPrefix(path, ns+"/") {
			return
		}
		ref := path + ":" + n.Ref.Tag()
		if d := n.Ref.Digest(); d != "" {
			ref = path + "@" + d
		}
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	for _, c := range cmds {
		if c.Exit != 0 {
			continue
		}
		words, err := splitWords(c.Cmd)
		if err != nil || len(words) < 2 || words[0] != "docker" {
			continue
		}
		args := words[1:]
		if args[0] == "image" {
			args = args[1:]
		}
		if len(args) == 0 || args[0] != "pull" {
			continue
		}
		_, pos, err := commands.ParseTransferFlags(false, args[1:])
		if err == nil && len(pos) == 1 {
			add(pos[0])
		}
	}
	s.transfers.mu.Lock()
	var refs []string
	for _, t := range s.transfers.byID {
		if t.workspace == wsName && t.Kind == "pull" {
			if e := t.end(); e != nil && e.OK {
				refs = append(refs, t.Ref)
			}
		}
	}
	s.transfers.mu.Unlock()
	sort.Strings(refs)
	for _, r := range refs {
		add(r)
	}
	return out
}

// evaluateLesson scores the pending predictions the newest builds answer and records
// the tasks of the workspace's lesson whose checks now pass. It reports whether
// anything was recorded; a class's dashboard is told.
func (s *Server) evaluateLesson(ctx context.Context, ws *db.Workspace) (bool, error) {
	c, err := s.lessonOf(ctx, ws)
	if err != nil || c.Lesson == nil {
		return false, err
	}
	l := c.Lesson
	st, err := s.lessonState(ctx, ws, l.ID)
	if err != nil {
		return false, err
	}
	changed, err := s.scorePredictions(ctx, ws, l, st)
	if err != nil {
		return false, err
	}
	done, err := ws.Progress(ctx, l.ID)
	if err != nil {
		return false, err
	}
	isDone := map[string]bool{}
	for _, d := range done {
		isDone[d.Task] = true
	}
	for _, t := range l.Tasks {
		if isDone[t.ID] {
			continue
		}
		if r := t.Evaluate(st); r.Done {
			added, err := ws.MarkTaskDone(ctx, l.ID, t.ID, r.Detail)
			if err != nil {
				return changed, err
			}
			changed = changed || added
		}
	}
	if changed {
		s.classChanged(ws.Name(), "progress")
	}
	return changed, nil
}

// predictionBuild is the build that answers a prediction made at `at`: the first to
// end after it. ok is false while none has.
func predictionBuild(st *lessons.State, at time.Time) (b lessons.Build, ok bool) {
	// st.Builds is newest first: the last match is the first build after the prediction.
	for _, x := range st.Builds {
		if x.State != string(db.BuildRunning) && x.Created.After(at) {
			b, ok = x, true
		}
	}
	return b, ok
}

// staleText is why a pending prediction is not scored by the build after it.
const staleText = "the build after your prediction built another Dockerfile than the one you predicted for: tick the steps again for the Dockerfile as it is now, save, then build"

// scorePredictions scores each pending prediction of the lesson's predict tasks against
// the first build that ended after it, when that build built the Dockerfile the
// prediction was made against (the steps predicted are that file's), and adds the
// scores to st.
func (s *Server) scorePredictions(ctx context.Context, ws *db.Workspace, l *lessons.Lesson, st *lessons.State) (bool, error) {
	preds, err := ws.Predictions(ctx, l.ID)
	if err != nil {
		return false, err
	}
	changed := false
	for _, t := range l.Tasks {
		p := preds[t.ID]
		if !t.Predict || p == nil || p.Scored() {
			continue
		}
		b, ok := predictionBuild(st, p.At)
		if !ok || b.Dockerfile != p.Dockerfile {
			continue
		}
		score := lessons.Score(p.Steps, b.Steps)
		if err := ws.ScorePrediction(ctx, l.ID, t.ID, b.ID, score.Rebuilt, score.Right, score.Total, score.Mistakes); err != nil {
			if errors.Is(err, db.ErrNotFound) {
				continue // a new prediction replaced it meanwhile
			}
			return changed, err
		}
		st.Predictions[t.ID] = score
		changed = true
	}
	return changed, nil
}

// lessonEvals runs the evaluations after builds and commands, off their paths: one at
// a time per workspace, and a request made while one runs is coalesced into one more
// run after it (which sees everything up to then).
type lessonEvals struct {
	ctx  context.Context // cancelled by close
	stop context.CancelFunc
	wg   sync.WaitGroup
	mu   sync.Mutex
	// again is set for a workspace whose evaluation runs: true when another was asked
	// for meanwhile.
	again map[string]bool
	// onRun, when a test sets it, is called as each evaluation starts.
	onRun func(workspace string)
	// slots bounds the evaluations running at once, server-wide: a class's builds end
	// together (100 first builds in the first seconds), and an evaluation per workspace
	// at once held the store's connections the builds were waiting for.
	slots chan struct{}
}

// maxEvaluations is how many lesson evaluations run at once.
const maxEvaluations = 2

func newLessonEvals() *lessonEvals {
	ctx, stop := context.WithCancel(context.Background())
	return &lessonEvals{ctx: ctx, stop: stop, again: map[string]bool{}, slots: make(chan struct{}, maxEvaluations)}
}

// close stops the evaluations and waits for the running ones to end.
func (e *lessonEvals) close(ctx context.Context) error {
	e.stop()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("lesson evaluations: %w", ctx.Err())
	}
}

// evaluateLater evaluates the workspace's lesson soon, in the background; it never
// blocks.
func (s *Server) evaluateLater(ws *db.Workspace) {
	e := s.evals
	if e == nil {
		return
	}
	name := ws.Name()
	e.mu.Lock()
	if _, running := e.again[name]; running {
		e.again[name] = true
		e.mu.Unlock()
		return
	}
	if e.ctx.Err() != nil {
		e.mu.Unlock()
		return
	}
	e.again[name] = false
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		for {
			// A build is what the student waits for; the check after it is not. While
			// builds wait for a slot (a class's first builds come all at once), the
			// check waits for them, up to evaluateYield.
			yield := time.NewTimer(evaluateYield)
			select {
			case <-s.queue.quiet():
			case <-yield.C:
			case <-e.ctx.Done():
			}
			yield.Stop()
			select {
			case e.slots <- struct{}{}:
			case <-e.ctx.Done():
				e.mu.Lock()
				delete(e.again, name)
				e.mu.Unlock()
				return
			}
			if e.onRun != nil {
				e.onRun(name)
			}
			ctx, cancel := context.WithTimeout(e.ctx, evaluateTimeout)
			if _, err := s.evaluateLesson(ctx, ws); err != nil && e.ctx.Err() == nil {
				s.log.Error("evaluate lesson", "workspace", name, "err", err)
			}
			cancel()
			<-e.slots
			e.mu.Lock()
			if !e.again[name] || e.ctx.Err() != nil {
				delete(e.again, name)
				e.mu.Unlock()
				return
			}
			e.again[name] = false
			e.mu.Unlock()
		}
	}()
}

// logCommand records a terminal command and its exit status and evaluates the lesson
// after it. The command ran whatever the log's fate: a failure to record it is logged.
func (s *Server) logCommand(ctx context.Context, ws *db.Workspace, cmd string, exit int) {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return
	}
	if err := ws.LogCommand(context.WithoutCancel(ctx), cmd, exit); err != nil {
		s.log.Error("log terminal command", "workspace", ws.Name(), "err", err)
		return
	}
	s.evaluateLater(ws)
}

// lessonRoutes: the panel and its actions.
func (s *Server) lessonRoutes(r chi.Router) {
	r.Get("/api/lesson", s.getLesson)
	r.Get("/lesson/panel", s.lessonPanel)
	r.Post("/api/lesson/choose", s.chooseLesson)
	r.Post("/api/lesson/answer", s.answerLesson)
	r.Post("/api/lesson/predict", s.predictLesson)
	r.Post("/api/lesson/starter", s.copyStarter)
}

// lessonView is the panel as the workspace's state makes it. store is false for a
// request that may not write (a GET of a session not stored): a task whose check
// passes is then shown done without being recorded; otherwise it is recorded too, in
// the background.
func (s *Server) lessonView(ctx context.Context, ws *db.Workspace, store bool) (web.LessonView, error) {
	v := web.LessonView{Lessons: []web.LessonInfo{}, Tasks: []web.LessonTask{}, Starter: []string{}}
	c, err := s.lessonOf(ctx, ws)
	if err != nil {
		return v, err
	}
	if c.Class != nil {
		v.Class = c.Class.Name
		if c.Lesson == nil {
			v.Missing = c.Class.Lesson
		}
	} else if s.lessons != nil {
		for _, l := range s.lessons.All() {
			v.Lessons = append(v.Lessons, web.LessonInfo{ID: l.ID, Title: l.Title, Summary: l.Summary})
		}
	}
	l := c.Lesson
	if l == nil {
		return v, nil
	}
	v.Lesson = &web.LessonInfo{ID: l.ID, Title: l.Title, Summary: l.Summary}
	for path := range l.Starter {
		v.Starter = append(v.Starter, path)
	}
	sort.Strings(v.Starter)
	st, err := s.lessonState(ctx, ws, l.ID)
	if err != nil {
		return v, err
	}
	done, err := ws.Progress(ctx, l.ID)
	if err != nil {
		return v, err
	}
	doneAt := map[string]db.TaskDone{}
	for _, d := range done {
		doneAt[d.Task] = d
	}
	preds, err := ws.Predictions(ctx, l.ID)
	if err != nil {
		return v, err
	}
	unrecorded := false
	v.Total = len(l.Tasks)
	for _, t := range l.Tasks {
		lt := web.LessonTask{ID: t.ID, Title: t.Title, State: web.TaskTodo}
		var res lessons.Result
		if d, ok := doneAt[t.ID]; ok {
			lt.State, lt.DoneAt, lt.Detail = web.TaskDone, d.At.UTC().Format(time.RFC3339), d.Detail
		} else if res = t.Evaluate(st); res.Done {
			lt.State, lt.Detail = web.TaskDone, res.Detail
			unrecorded = true
		}
		if p := preds[t.ID]; p != nil && p.Scored() {
			lt.Score, lt.Mistakes = fmt.Sprintf("%d of %d right", p.Right, p.Total), p.Mistakes
		}
		if lt.State == web.TaskDone {
			v.Done++
		} else if v.Current == nil {
			lt.State = web.TaskCurrent
			lt.Detail = res.Detail
			cur, err := s.currentTask(ctx, ws, t, st, preds[t.ID])
			if err != nil {
				return v, err
			}
			cur.Detail = res.Detail
			v.Current = cur
		}
		v.Tasks = append(v.Tasks, lt)
	}
	if unrecorded && store {
		s.evaluateLater(ws)
	}
	return v, nil
}

// currentTask is the panel's view of the task to do now.
func (s *Server) currentTask(ctx context.Context, ws *db.Workspace, t *lessons.Task, st *lessons.State, p *db.Prediction) (*web.LessonCurrent, error) {
	c := &web.LessonCurrent{ID: t.ID, Title: t.Title, Text: t.Text, Commands: t.Commands, Starter: []string{}}
	if c.Commands == nil {
		c.Commands = []string{}
	}
	for path := range t.Starter {
		c.Starter = append(c.Starter, path)
	}
	sort.Strings(c.Starter)
	if t.Question != nil {
		c.Question = t.Question.Prompt
		c.Answer = st.Answers[t.ID]
	}
	if t.Predict {
		pv, err := s.predictView(ctx, ws, st, p)
		if err != nil {
			return nil, err
		}
		c.Predict = pv
	}
	return c, nil
}

// dockerfileSteps are the steps of the workspace's Dockerfile as `docker build`
// numbers them (Step i/N), and the Dockerfile's text.
func dockerfileSteps(ctx context.Context, ws *db.Workspace) ([]web.PredictStep, string, error) {
	files, err := ws.ContextFiles(ctx)
	if err != nil {
		return nil, "", err
	}
	var text string
	found := false
	for _, f := range files {
		if f.Path == "Dockerfile" {
			text, found = string(f.Data), true
		}
	}
	if !found {
		return nil, "", errBadRequest("the build context has no Dockerfile: add one (or load an example), then predict")
	}
	f, err := dockerfile.Parse([]byte(text))
	if err != nil {
		return nil, text, errBadRequest("the Dockerfile does not parse, so its steps cannot be listed: " + err.Error())
	}
	var steps []web.PredictStep
	add := func(in dockerfile.Instruction, base bool) {
		steps = append(steps, web.PredictStep{Step: in.Step, Line: in.Line, Instruction: in.Original, Base: base})
	}
	for _, in := range f.MetaArgs {
		add(in, false)
	}
	for _, stg := range f.Stages {
		add(stg.From, true)
		for _, in := range stg.Steps {
			add(in, false)
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Step < steps[j].Step })
	return steps, text, nil
}

// predictView is a predict task's part of the panel: the current Dockerfile's steps
// to tick and the last prediction, pending or scored.
func (s *Server) predictView(ctx context.Context, ws *db.Workspace, st *lessons.State, p *db.Prediction) (*web.LessonPredict, error) {
	pv := &web.LessonPredict{Steps: []web.PredictStep{}, BuildCmd: "docker build ."}
	if len(st.Builds) > 0 && len(st.Builds[0].Tags) > 0 {
		pv.BuildCmd = dockerBuildCommand(buildRequest{Tags: st.Builds[0].Tags})
	}
	steps, text, err := dockerfileSteps(ctx, ws)
	var he *httpError
	switch {
	case errors.As(err, &he):
		pv.Error = he.msg
	case err != nil:
		return nil, err
	}
	if p != nil {
		sp := &web.SavedPrediction{Steps: p.Steps, Pending: !p.Scored(), Build: p.Build, Right: p.Right, Total: p.Total,
			Rebuilt: p.Rebuilt, Mistakes: p.Mistakes}
		if sp.Pending {
			if b, ok := predictionBuild(st, p.At); ok && b.Dockerfile != p.Dockerfile {
				sp.Stale = staleText
			} else if err == nil && text != p.Dockerfile {
				sp.Stale = "you changed the Dockerfile since you predicted: the steps may have moved; tick them again and save before you build"
			}
		}
		if sp.Pending && sp.Stale == "" {
			for i := range steps {
				steps[i].Checked = slices.Contains(p.Steps, steps[i].Step)
			}
		}
		pv.Saved = sp
	}
	if steps != nil {
		pv.Steps = steps
	}
	return pv, nil
}

// getLesson is the panel's JSON.
func (s *Server) getLesson(w http.ResponseWriter, r *http.Request) {
	v, err := s.lessonView(r.Context(), workspace(r), sessionStored(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// lessonPanel is the panel's HTML, which lesson.js puts in place of its own.
func (s *Server) lessonPanel(w http.ResponseWriter, r *http.Request) {
	v, err := s.lessonView(r.Context(), workspace(r), sessionStored(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := web.LessonPanelBody(v).Render(r.Context(), w); err != nil {
		s.log.Error("render lesson panel", "err", err)
	}
}

// playgroundLesson is the lesson panel the playground page starts with (a failure
// shows the panel empty and is logged: the playground itself still works).
func (s *Server) playgroundLesson(r *http.Request) web.LessonView {
	v, err := s.lessonView(r.Context(), workspace(r), sessionStored(r))
	if err != nil {
		s.log.Error("lesson panel", "workspace", workspace(r).Name(), "err", err)
	}
	return v
}

// respondWithPanel evaluates the lesson now (an answer shows whether it was right at
// once) and answers with the panel's JSON.
func (s *Server) respondWithPanel(w http.ResponseWriter, r *http.Request, ws *db.Workspace) {
	if _, err := s.evaluateLesson(r.Context(), ws); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.lessonView(r.Context(), ws, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// taskOf finds the task of the workspace's lesson by its id.
func (s *Server) taskOf(ctx context.Context, ws *db.Workspace, id string) (*lessons.Lesson, *lessons.Task, error) {
	c, err := s.lessonOf(ctx, ws)
	if err != nil {
		return nil, nil, err
	}
	if c.Lesson == nil {
		return nil, nil, errConflict("no lesson is chosen: choose one in the lesson panel first")
	}
	for _, t := range c.Lesson.Tasks {
		if t.ID == id {
			return c.Lesson, t, nil
		}
	}
	return nil, nil, errNotFound(fmt.Sprintf("the lesson %q has no task %q", c.Lesson.ID, id))
}

// chooseLesson: {"lesson": id}; a class's student follows the class's lesson.
func (s *Server) chooseLesson(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lesson string `json:"lesson"`
	}
	if err := decodeJSON(w, r, maxLessonBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	if _, ok := s.lesson(req.Lesson); !ok {
		s.fail(w, r, errNotFound(fmt.Sprintf("no lesson %q on this server", req.Lesson)))
		return
	}
	if m, err := s.store.MemberOf(r.Context(), ws.Name()); err == nil {
		if c, err := s.store.Class(r.Context(), m.Class); err == nil {
			s.fail(w, r, errConflict(fmt.Sprintf("your class, %s, follows its teacher's lesson: the lesson cannot be changed here", c.Name)))
			return
		}
	} else if !errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	if err := ws.ChooseLesson(r.Context(), req.Lesson); err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondWithPanel(w, r, ws)
}

// answerLesson: {"task": id, "answer": text} for a question task.
func (s *Server) answerLesson(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Task   string `json:"task"`
		Answer string `json:"answer"`
	}
	if err := decodeJSON(w, r, maxLessonBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	l, t, err := s.taskOf(r.Context(), ws, req.Task)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.Question == nil {
		s.fail(w, r, errBadRequest(fmt.Sprintf("the task %q asks no question: it is checked from what you do", t.ID)))
		return
	}
	answer := strings.TrimSpace(req.Answer)
	if len(answer) > db.MaxAnswer {
		s.fail(w, r, errTooLarge(fmt.Sprintf("the answer is %d bytes: an answer may have up to %d bytes (1 KiB); shorten it", len(answer), db.MaxAnswer)))
		return
	}
	if err := ws.SaveAnswer(r.Context(), l.ID, t.ID, answer); err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondWithPanel(w, r, ws)
}

// predictLesson: {"task": id, "steps": [3, 4]}: the steps of the current Dockerfile
// that will rebuild at the next build.
func (s *Server) predictLesson(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Task  string `json:"task"`
		Steps []int  `json:"steps"`
	}
	if err := decodeJSON(w, r, maxLessonBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	l, t, err := s.taskOf(r.Context(), ws, req.Task)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !t.Predict {
		s.fail(w, r, errBadRequest(fmt.Sprintf("the task %q is not a predict-the-rebuild task", t.ID)))
		return
	}
	if len(req.Steps) > db.MaxPredictedSteps {
		s.fail(w, r, errTooLarge(fmt.Sprintf("%d steps predicted: a prediction may name up to %d", len(req.Steps), db.MaxPredictedSteps)))
		return
	}
	steps, text, err := dockerfileSteps(r.Context(), ws)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	known := map[int]bool{}
	for _, st := range steps {
		known[st.Step] = true
	}
	picked := []int{}
	for _, n := range req.Steps {
		if !known[n] {
			s.fail(w, r, errBadRequest(fmt.Sprintf("the Dockerfile has no step %d: it has steps 1 to %d", n, len(steps))))
			return
		}
		if !slices.Contains(picked, n) {
			picked = append(picked, n)
		}
	}
	slices.Sort(picked)
	if err := ws.SavePrediction(r.Context(), l.ID, t.ID, text, picked); err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondWithPanel(w, r, ws)
}

// copyStarter: {"task": id} (or "" for the lesson's own starter) copies the
// starter's files into the build context; files of the same paths are replaced, the
// others kept.
func (s *Server) copyStarter(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Task string `json:"task"`
	}
	if err := decodeJSON(w, r, maxLessonBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	var starter map[string]string
	if req.Task == "" {
		c, err := s.lessonOf(r.Context(), ws)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if c.Lesson == nil {
			s.fail(w, r, errConflict("no lesson is chosen: choose one in the lesson panel first"))
			return
		}
		starter = c.Lesson.Starter
	} else {
		_, t, err := s.taskOf(r.Context(), ws, req.Task)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		starter = t.Starter
	}
	if len(starter) == 0 {
		s.fail(w, r, errBadRequest("this task has no starter files"))
		return
	}
	files, err := ws.ContextFiles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	paths := make([]string, 0, len(starter))
	for p := range starter {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var add int64
	for _, p := range paths {
		clean, err := db.CleanContextPath(p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := checkRoom(files, clean, int64(len(starter[p]))); err != nil {
			s.fail(w, r, err)
			return
		}
		f := db.ContextFile{Path: clean, Data: []byte(starter[p])}
		if i := slices.IndexFunc(files, func(x db.ContextFile) bool { return x.Path == clean }); i >= 0 {
			f.Mode = files[i].Mode
			files[i] = f
		} else {
			files = append(files, f)
		}
		add += int64(len(f.Data))
	}
	if err := ws.CheckQuota(r.Context(), add, "the starter files"); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := ws.ReplaceContext(r.Context(), files); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files")
	v, err := s.lessonView(r.Context(), ws, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": paths, "lesson": v})
}
