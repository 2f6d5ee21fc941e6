package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/examples"
	"layerlab/web"
)

// lessonPanel is GET /api/lesson as the browser gets it.
func (b *browser) lessonPanel() web.LessonView {
	b.t.Helper()
	var v web.LessonView
	b.get("/api/lesson").wantCode(http.StatusOK).json(&v)
	return v
}

// settle waits for the lesson's background checks (after builds and commands) to end.
func (e *testEnv) settle() {
	e.t.Helper()
	e.Server.evals.wg.Wait()
}

// taskState is the panel's state of a task ("" when the panel has no such task).
func taskState(v web.LessonView, id string) string {
	for _, t := range v.Tasks {
		if t.ID == id {
			return t.State
		}
	}
	return ""
}

// exampleFiles is an example's files as setContext takes them.
func exampleFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	files, ok := examples.Files(name)
	if !ok {
		t.Fatalf("no example %s", name)
	}
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	return m
}

// The terminal logs each command and its exit status, and keeps the last
// db.MaxTerminalLog of them: at the bound and past it.
func TestLessonTerminalLogIsBounded(t *testing.T) {
	env := newTestServer(t)
	for i := range db.MaxTerminalLog + 2 {
		cmd := "help"
		if i%2 == 1 {
			cmd = fmt.Sprintf("nope %d", i)
		}
		term(env.browser, cmd)
		if i == db.MaxTerminalLog-1 {
			got, err := env.workspace().Commands(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != db.MaxTerminalLog || got[0].Cmd != "help" || got[0].Exit != 0 || got[1].Cmd != "nope 1" || got[1].Exit != 127 {
				t.Fatalf("at the bound: %d commands, first %+v, %+v", len(got), got[0], got[1])
			}
		}
	}
	term(env.browser, "   ") // an empty line is not a command
	env.settle()
	got, err := env.workspace().Commands(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != db.MaxTerminalLog {
		t.Fatalf("%d commands kept, want %d", len(got), db.MaxTerminalLog)
	}
	if got[0].Cmd != "help" || got[len(got)-1].Cmd != fmt.Sprintf("nope %d", db.MaxTerminalLog+1) {
		t.Errorf("kept %q .. %q: want the last %d", got[0].Cmd, got[len(got)-1].Cmd, db.MaxTerminalLog)
	}
}

// A browser with no lesson gets the lessons to choose from; a GET stores nothing.
func TestLessonPanelOffersTheLessons(t *testing.T) {
	env := newTestServer(t)
	v := env.lessonPanel()
	if v.Lesson != nil || len(v.Lessons) < 2 || v.Lessons[0].ID != "docker-images" {
		t.Fatalf("panel without a lesson: %+v", v)
	}
	if v.Current != nil || len(v.Tasks) != 0 {
		t.Errorf("tasks without a lesson: %+v", v)
	}
	page := env.get("/").wantCode(http.StatusOK)
	if len(page.find("lesson-panel")) != 1 || len(page.find("lesson-pick")) != 1 {
		t.Errorf("the playground has no lesson panel with a picker")
	}
	env.postJSON("/api/lesson/choose", map[string]string{"lesson": "nope"}).wantCode(http.StatusNotFound)
}

// putFile writes one file of the build context, as the editor does.
func (b *browser) putFile(path, content string) {
	b.t.Helper()
	b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": path, "content": content}).wantCode(http.StatusOK)
}

// run runs a terminal command that must succeed, and waits for the lesson's checks.
func (b *browser) run(cmd string) termResponse {
	b.t.Helper()
	out := term(b, cmd)
	if out.ExitCode != 0 {
		b.t.Fatalf("$ %s: exit %d\n%s", cmd, out.ExitCode, out.Output)
	}
	b.env.settle()
	return out
}

// wantTask checks a task's state in the panel (after the background checks ended).
func (b *browser) wantTask(id, state string) web.LessonView {
	b.t.Helper()
	b.env.settle()
	v := b.lessonPanel()
	if got := taskState(v, id); got != state {
		detail := ""
		if v.Current != nil {
			detail = v.Current.ID + ": " + v.Current.Detail
		}
		b.t.Fatalf("task %s is %q, want %q (current %s)", id, got, state, detail)
	}
	return v
}

// reorderedDockerfile is the lesson's Dockerfile with the dependencies installed before
// the app is copied (the task "reorder"'s solution).
const reorderedDockerfile = `FROM python:3.9
WORKDIR /code
ENV PYTHONUNBUFFERED=1
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "80"]
`

// The built-in lesson done through the real API, task by task: each task is not done
// after a wrong solution (or none) and done after the right one, from what the
// workspace really holds; the prediction is scored against the real rebuild, its
// mistakes explained.
func TestLessonBuiltinTasksFromRealState(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	ctx := context.Background()
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusOK)
	var started struct {
		Files []string `json:"files"`
	}
	b.postJSON("/api/lesson/starter", map[string]string{"task": ""}).wantCode(http.StatusOK).json(&started)
	if len(started.Files) < 3 {
		t.Fatalf("starter files copied: %v", started.Files)
	}
	v := b.wantTask("layers", web.TaskCurrent)
	if v.Lesson == nil || v.Lesson.ID != "docker-images" || v.Current == nil || v.Current.Question == "" {
		t.Fatalf("panel: %+v", v)
	}

	// layers: a question answered from docker history's real count.
	b.run("docker build -t my_image:latest .")
	rec, err := env.workspace().Lookup(ctx, "my_image:latest")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rec.ConfigFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := len(cfg.History)
	var res web.LessonView
	b.postJSON("/api/lesson/answer", map[string]string{"task": "layers", "answer": fmt.Sprint(count)}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "layers") == web.TaskDone {
		t.Fatal("layers is done with the right count but without docker history run")
	}
	b.postJSON("/api/lesson/answer", map[string]string{"task": "layers", "answer": fmt.Sprint(count + 1)}).wantCode(http.StatusOK).json(&res)
	b.run("docker history my_image:latest")
	if v := b.wantTask("layers", web.TaskCurrent); v.Current.Answer != fmt.Sprint(count+1) || v.Current.Detail == "" {
		t.Fatalf("layers after a wrong count (%d, history has %d): %+v", count+1, count, v.Current)
	}
	b.postJSON("/api/lesson/answer", map[string]string{"task": "layers", "answer": fmt.Sprint(count)}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "layers") != web.TaskDone {
		t.Fatalf("layers not done with the right count %d: %+v", count, res.Current)
	}

	// name-tag
	b.wantTask("name-tag", web.TaskCurrent)
	b.run("docker build -t my_image:v1 .")
	b.wantTask("name-tag", web.TaskDone)

	// cache: the first build of my_image:latest was not all from the cache.
	b.wantTask("cache", web.TaskCurrent)
	b.run("docker build -t my_image:latest .")
	b.wantTask("cache", web.TaskDone)

	// change-file: a build with nothing changed does not do it.
	b.run("docker build -t my_image:latest .")
	b.wantTask("change-file", web.TaskCurrent)
	b.putFile("app/main.py", "print('edited once')\n")
	b.run("docker build -t my_image:latest .")
	b.wantTask("change-file", web.TaskDone)

	// predict: the prediction stays pending until a build; it is scored against the
	// real rebuild: FROM(1) WORKDIR(2) ENV(3) COPY . .(4) RUN pip(5) CMD(6); an edit of
	// the app rebuilds 4 (changed), 5 and 6 (downstream). Predicting 4 and 5 misses 6.
	v = b.wantTask("predict", web.TaskCurrent)
	if v.Current.Predict == nil || len(v.Current.Predict.Steps) != 6 || !v.Current.Predict.Steps[0].Base {
		t.Fatalf("predict task's steps: %+v", v.Current.Predict)
	}
	b.postJSON("/api/lesson/predict", map[string]any{"task": "predict", "steps": []int{4, 5, 5}}).wantCode(http.StatusOK).json(&res)
	if res.Current == nil || res.Current.Predict == nil || res.Current.Predict.Saved == nil || !res.Current.Predict.Saved.Pending ||
		fmt.Sprint(res.Current.Predict.Saved.Steps) != "[4 5]" || taskState(res, "predict") != web.TaskCurrent {
		t.Fatalf("saved prediction: %+v", res.Current)
	}
	b.postJSON("/api/lesson/predict", map[string]any{"task": "predict", "steps": []int{9}}).wantCode(http.StatusBadRequest)
	b.postJSON("/api/lesson/predict", map[string]any{"task": "cache", "steps": []int{2}}).wantCode(http.StatusBadRequest)
	b.putFile("app/main.py", "print('edited twice')\n")
	b.run("docker build -t my_image:latest .")
	v = b.wantTask("predict", web.TaskDone)
	var score string
	for _, tk := range v.Tasks {
		if tk.ID == "predict" {
			score = tk.Score
		}
	}
	if score != "4 of 5 right" {
		t.Errorf("prediction score %q, want 4 of 5 right", score)
	}
	preds, err := env.workspace().Predictions(ctx, "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	p := preds["predict"]
	if p == nil || !p.Scored() || fmt.Sprint(p.Rebuilt) != "[4 5 6]" || len(p.Mistakes) != 1 || !strings.Contains(p.Mistakes[0], "6") {
		t.Fatalf("scored prediction: %+v", p)
	}
	if got := b.get("/lesson/panel").text("prediction-score"); !strings.Contains(got, "4 of 5 right") || !strings.Contains(got, p.Mistakes[0]) {
		t.Errorf("the panel's score reads %q", got)
	}

	// reorder: an app edit with the old order reinstalls the dependencies (not done);
	// with the dependencies installed first, it reuses them.
	b.wantTask("reorder", web.TaskCurrent)
	b.putFile("app/main.py", "print('edited thrice')\n")
	b.run("docker build -t my_image:latest .")
	b.wantTask("reorder", web.TaskCurrent)
	b.putFile("Dockerfile", reorderedDockerfile)
	b.run("docker build -t my_image:latest .")
	b.wantTask("reorder", web.TaskCurrent)
	b.putFile("app/main.py", "print('edited after the reorder')\n")
	b.run("docker build -t my_image:latest .")
	b.wantTask("reorder", web.TaskDone)

	// intermediate: docker image ls without -a does not show them.
	b.run("docker image ls")
	b.wantTask("intermediate", web.TaskCurrent)
	b.run("docker image ls -a")
	b.wantTask("intermediate", web.TaskDone)

	// tag-rm: a tag that stays is not a removal.
	b.run("docker tag my_image:latest my_image:v2")
	b.wantTask("tag-rm", web.TaskCurrent)
	b.run("docker image rm -f my_image:v2")
	b.wantTask("tag-rm", web.TaskDone)

	// prune: a rebuild of a changed app leaves the old image dangling until a prune.
	b.putFile("app/main.py", "print('edited for prune')\n")
	b.run("docker build -t my_image:latest .")
	b.wantTask("prune", web.TaskCurrent)
	b.run("docker image prune -f")
	b.wantTask("prune", web.TaskDone)

	// inspect: the answer is the image's real WorkingDir.
	b.run("docker image inspect my_image:latest")
	b.postJSON("/api/lesson/answer", map[string]string{"task": "inspect", "answer": "/app"}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "inspect") == web.TaskDone {
		t.Fatal("inspect is done with a wrong WorkingDir")
	}
	b.postJSON("/api/lesson/answer", map[string]string{"task": "inspect", "answer": "/code"}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "inspect") != web.TaskDone {
		t.Fatalf("inspect not done with /code: %+v", res.Current)
	}

	// push-pull: pulling one's own image or an official one is not a classmate's.
	// (A push of the python image gzips its stand-in's hundreds of MB: an alpine one
	// of the same name is pushed instead, which the check takes as well.)
	small := map[string]string{"Dockerfile": "FROM alpine:3.20\nCMD [\"echo\", \"small\"]\n"}
	mate := env.newBrowser()
	mate.setContext(small)
	mate.run("docker build -t my_image:latest .")
	mate.run("docker push my_image:latest")
	b.setContext(small)
	b.run("docker build -t my_image:small .")
	b.run("docker push my_image:small")
	ns := db.HubNamespace(env.workspace().Name())
	b.run("docker pull " + ns + "/my_image:small")
	b.run("docker pull alpine:3.20")
	b.wantTask("push-pull", web.TaskCurrent)
	b.run("docker pull " + db.HubNamespace(mate.workspace().Name()) + "/my_image:latest")
	v = b.wantTask("push-pull", web.TaskDone)
	if v.Current != nil || v.Done != v.Total {
		t.Errorf("after the last task: %d of %d done, current %+v", v.Done, v.Total, v.Current)
	}
	page := b.get("/").wantCode(http.StatusOK)
	if len(page.find("lesson-all-done")) != 1 || len(page.find("lesson-task-push-pull")) != 1 {
		t.Errorf("the playground's panel does not show the lesson done")
	}
}

// The browser sends an answer's text and a prediction's step numbers, nothing more:
// a claim that a task is done is refused, and no request marks a task done that the
// workspace's state does not show.
func TestLessonPanelIgnoresWhatTheBrowserClaims(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusOK)
	tests := []struct {
		name string
		path string
		body any
		code int
	}{
		{"a done flag", "/api/lesson/answer", map[string]any{"task": "cache", "answer": "x", "done": true}, http.StatusBadRequest},
		{"an answer to a task that asks none", "/api/lesson/answer", map[string]any{"task": "cache", "answer": "done"}, http.StatusBadRequest},
		{"an unknown task", "/api/lesson/answer", map[string]any{"task": "nope", "answer": "1"}, http.StatusNotFound},
		{"a prediction for a task that is not one", "/api/lesson/predict", map[string]any{"task": "name-tag", "steps": []int{1}}, http.StatusBadRequest},
		{"a score with the prediction", "/api/lesson/predict", map[string]any{"task": "predict", "steps": []int{2}, "right": 6}, http.StatusBadRequest},
		{"a state with the choice", "/api/lesson/choose", map[string]any{"lesson": "docker-images", "done": []string{"cache"}}, http.StatusBadRequest},
		{"an answer past 1 KiB", "/api/lesson/answer", map[string]any{"task": "layers", "answer": strings.Repeat("9", db.MaxAnswer+1)}, http.StatusRequestEntityTooLarge},
		{"an answer of 1 KiB", "/api/lesson/answer", map[string]any{"task": "layers", "answer": strings.Repeat("9", db.MaxAnswer)}, http.StatusOK},
		{"a prediction with no build to score it", "/api/lesson/predict", map[string]any{"task": "predict", "steps": []int{2, 3}}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := b.withT(t).postJSON(tc.path, tc.body).wantCode(tc.code)
			if tc.code == http.StatusRequestEntityTooLarge && !strings.Contains(res.Body, "1024 bytes") {
				t.Errorf("the refusal does not name the limit: %s", res.Body)
			}
		})
	}
	env.settle()
	v := b.lessonPanel()
	if v.Done != 0 {
		t.Errorf("%d tasks done with nothing built: %+v", v.Done, v.Tasks)
	}
	if p, err := env.workspace().Progress(context.Background(), "docker-images"); err != nil || len(p) != 0 {
		t.Errorf("progress stored: %+v %v", p, err)
	}
}

// A prediction is scored only by a build of the Dockerfile it was made for: an edit
// of the Dockerfile after predicting is said plainly and scores nothing.
func TestLessonPredictionOfAnotherDockerfileIsNotScored(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusOK)
	b.setContext(map[string]string{"Dockerfile": "FROM alpine:3.20\nRUN echo one > /one\nCMD [\"sh\"]\n"})
	b.run("docker build -t my_image:latest .")
	b.postJSON("/api/lesson/predict", map[string]any{"task": "predict", "steps": []int{2}}).wantCode(http.StatusOK)
	b.putFile("Dockerfile", "FROM alpine:3.20\nRUN echo two > /two\nCMD [\"sh\"]\n")
	preds, err := env.workspace().Predictions(context.Background(), "docker-images")
	if err != nil || preds["predict"] == nil || preds["predict"].Scored() {
		t.Fatalf("prediction: %+v %v", preds["predict"], err)
	}
	b.run("docker build -t my_image:latest .")
	preds, _ = env.workspace().Predictions(context.Background(), "docker-images")
	if preds["predict"].Scored() {
		t.Fatalf("a prediction for another Dockerfile was scored: %+v", preds["predict"])
	}
	st, err := env.Server.lessonState(context.Background(), env.workspace(), "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	pv, err := env.Server.predictView(context.Background(), env.workspace(), st, preds["predict"])
	if err != nil {
		t.Fatal(err)
	}
	if pv.Saved == nil || pv.Saved.Stale != staleText {
		t.Errorf("stale prediction's view: %+v", pv.Saved)
	}
}

// A class's student follows the class's lesson and cannot choose another.
func TestLessonOfAClassStudent(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	ws := env.workspace()
	c, err := env.Store.CreateClass(ctx, "teacher-ws", "Monday", "multi-stage")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.JoinClass(ctx, c.ID, ws.Name(), "Ada"); err != nil {
		t.Fatal(err)
	}
	v := env.lessonPanel()
	if v.Lesson == nil || v.Lesson.ID != "multi-stage" || v.Class != "Monday" || len(v.Lessons) != 0 {
		t.Fatalf("a student's panel: %+v", v)
	}
	res := env.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusConflict)
	if !strings.Contains(res.Body, "Monday") {
		t.Errorf("refusal: %s", res.Body)
	}
	page := env.get("/").wantCode(http.StatusOK)
	if len(page.find("lesson-class")) != 1 || len(page.find("lesson-pick")) != 0 || len(page.find("lesson-task-single")) != 1 {
		t.Errorf("the student's panel shows a picker or not the class's lesson")
	}
}

// Progress, answers and predictions are in the store: a restarted server shows them.
func TestLessonProgressSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	start := func() (*db.Store, *Server, *httptest.Server) {
		st, err := db.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		srv := New(Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		return st, srv, httptest.NewServer(srv)
	}
	stop := func(st *db.Store, srv *Server, hs *httptest.Server) {
		hs.Close()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}
	st, srv, hs := start()
	env := &testEnv{t: t, Store: st, Server: srv, HTTP: hs}
	b := env.newBrowser()
	env.browser = b
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusOK)
	b.postJSON("/api/lesson/starter", map[string]string{"task": ""}).wantCode(http.StatusOK)
	b.run("docker build -t my_image:latest .")
	b.run("docker build -t my_image:v1 .")
	b.postJSON("/api/lesson/answer", map[string]string{"task": "layers", "answer": "7"}).wantCode(http.StatusOK)
	before := b.wantTask("name-tag", web.TaskDone)
	stop(st, srv, hs)

	st, srv, hs = start()
	defer stop(st, srv, hs)
	env.Store, env.Server, env.HTTP = st, srv, hs
	after := b.lessonPanel() // the same browser: its cookie names the same workspace
	if after.Lesson == nil || after.Lesson.ID != "docker-images" || taskState(after, "name-tag") != web.TaskDone || after.Done != before.Done {
		t.Fatalf("after a restart: %+v", after)
	}
	if after.Current == nil || after.Current.ID != "layers" || after.Current.Answer != "7" {
		t.Errorf("the answer after a restart: %+v", after.Current)
	}
	// What the class dashboard reads.
	p, err := srv.lessonProgress(ctx, b.workspace(), "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Done["name-tag"]; !ok || len(p.Tasks) < 10 || p.Current != "layers" || p.CurrentTitle == "" {
		t.Errorf("lessonProgress after a restart: %+v", p)
	}
}

// The panel's HTML has what the page's script and the browser tests select.
func TestLessonPanelHTML(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "docker-images"}).wantCode(http.StatusOK)
	b.postJSON("/api/lesson/starter", map[string]string{"task": ""}).wantCode(http.StatusOK)
	page := b.get("/lesson/panel").wantCode(http.StatusOK)
	for _, id := range []string{"lesson-details", "lesson-current", "lesson-task-layers", "lesson-task-predict", "lesson-answer", "lesson-answer-submit", "lesson-cmd-0", "lesson-cmd-try-0", "lesson-msg", "lesson-starter-all"} {
		if len(page.find(id)) != 1 {
			t.Errorf("no data-testid=%q in the panel", id)
		}
	}
	if got := page.text("lesson-task-layers"); !strings.Contains(got, "now") || !strings.Contains(got, "→") {
		t.Errorf("the current task reads %q: want its icon and word", got)
	}
	if got := page.text("lesson-task-cache"); !strings.Contains(got, "to do") {
		t.Errorf("a task to do reads %q", got)
	}
	if strings.Contains(page.Body, "<script>") || strings.Contains(page.Body, " onclick=") {
		t.Errorf("inline script in the panel")
	}
}

// The checks after builds and commands run one at a time per workspace, and the
// requests made while one runs make one more run, not one each.
func TestLessonEvaluationsAreCoalesced(t *testing.T) {
	env := newTestServer(t)
	a, b := env.workspace(), env.newBrowser().workspace()
	var mu sync.Mutex
	runs, running, most := map[string]int{}, map[string]int{}, 0
	release := make(chan struct{})
	started := make(chan string, 10)
	env.Server.evals.onRun = func(ws string) {
		mu.Lock()
		runs[ws]++
		running[ws]++
		most = max(most, running[ws])
		mu.Unlock()
		started <- ws
		<-release
		mu.Lock()
		running[ws]--
		mu.Unlock()
	}
	env.Server.evaluateLater(a)
	<-started // a's first run holds; everything asked meanwhile waits for it
	for range 50 {
		env.Server.evaluateLater(a)
		env.Server.evaluateLater(b)
	}
	<-started // b runs beside a: another workspace does not wait
	close(release)
	env.settle()
	if runs[a.Name()] != 2 || runs[b.Name()] != 2 || most != 1 {
		t.Errorf("runs %v, at most %d at once per workspace: want 2 each (the first, then one for the 50 asked during it), one at a time", runs, most)
	}
}

// The second built-in lesson through the real API: one stage, then two, and the
// questions on their sizes answered from the images' real sizes.
func TestLessonMultiStageFromRealState(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	ctx := context.Background()
	b.postJSON("/api/lesson/choose", map[string]string{"lesson": "multi-stage"}).wantCode(http.StatusOK)
	b.postJSON("/api/lesson/starter", map[string]string{"task": ""}).wantCode(http.StatusOK)
	b.wantTask("single", web.TaskCurrent)
	b.run("docker build -t hello:single .")
	b.wantTask("single", web.TaskDone)
	b.run("docker image ls hello")
	b.wantTask("single-size", web.TaskDone)

	// A second single-stage build under the multi tag is not a multi-stage one.
	b.run("docker build -t hello:multi .")
	b.wantTask("multi", web.TaskCurrent)
	b.putFile("Dockerfile", exampleFiles(t, "go-multistage")["Dockerfile"])
	b.run("docker build -t hello:multi .")
	b.wantTask("multi", web.TaskDone)

	size := func(ref string) int64 {
		rec, err := env.workspace().Lookup(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Size()
	}
	single, multi := size("hello:single"), size("hello:multi")
	if single <= multi {
		t.Fatalf("the single-stage image (%d bytes) is not bigger than the multi-stage one (%d)", single, multi)
	}
	var res web.LessonView
	b.postJSON("/api/lesson/answer", map[string]string{"task": "compare", "answer": "hello:single"}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "compare") == web.TaskDone {
		t.Fatal("compare is done with the bigger image named")
	}
	b.postJSON("/api/lesson/answer", map[string]string{"task": "compare", "answer": "hello:multi"}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "compare") != web.TaskDone {
		t.Fatalf("compare not done with hello:multi: %+v", res.Current)
	}
	ratio := float64(single) / float64(multi)
	b.postJSON("/api/lesson/answer", map[string]string{"task": "ratio", "answer": fmt.Sprintf("%.1f", ratio*2)}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "ratio") == web.TaskDone {
		t.Fatalf("ratio is done with twice the ratio (%.1f)", ratio*2)
	}
	b.postJSON("/api/lesson/answer", map[string]string{"task": "ratio", "answer": fmt.Sprintf("%.1f", ratio)}).wantCode(http.StatusOK).json(&res)
	if taskState(res, "ratio") != web.TaskDone || res.Done != res.Total {
		t.Fatalf("ratio not done with %.1f: %+v", ratio, res.Current)
	}
}

// A pull counts as a classmate's when the terminal's docker pull succeeded and named a
// repository of another namespace: not one's own, not library/, not another registry.
func TestLessonPulledRefs(t *testing.T) {
	env := newTestServer(t)
	tests := []struct {
		name string
		cmd  string
		exit int
		want string // "" for none
	}{
		{"a classmate's", "docker pull ana/my_image:latest", 0, "ana/my_image:latest"},
		{"image pull, default tag", "docker image pull ana/app", 0, "ana/app:latest"},
		{"with -q", "docker pull -q ben/app:v1", 0, "ben/app:v1"},
		{"by digest", "docker pull ana/app@sha256:" + strings.Repeat("a", 64), 0, "ana/app@sha256:" + strings.Repeat("a", 64)},
		{"failed", "docker pull ana/nope:1", 1, ""},
		{"one's own", "docker pull me/my_image:latest", 0, ""},
		{"an official image", "docker pull alpine:3.20", 0, ""},
		{"library/ written out", "docker pull library/alpine:3.20", 0, ""},
		{"another registry", "docker pull ghcr.io/ana/app:1", 0, ""},
		{"a push", "docker push ana/app:1", 0, ""},
		{"not docker", "pull ana/app:1", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := env.Server.pulledRefs("w", "me", []db.TerminalCommand{{Cmd: tc.cmd, Exit: tc.exit}})
			if want := []string{tc.want}; (tc.want == "" && len(got) != 0) || (tc.want != "" && fmt.Sprint(got) != fmt.Sprint(want)) {
				t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
			}
		})
	}
}

// docker run and docker ps in the web terminal say that containers are not part of
// the playground (issue 13, item 10), and the log records them with their status.
func TestLessonTerminalContainerCommands(t *testing.T) {
	env := newTestServer(t)
	for _, cmd := range []string{"docker run alpine:3.20", "docker ps"} {
		out := term(env.browser, cmd)
		if out.ExitCode != 1 || !strings.Contains(out.Output, "containers are not part of the playground") || strings.Contains(out.Output, "is not a docker command") {
			t.Errorf("$ %s: exit %d\n%s", cmd, out.ExitCode, out.Output)
		}
	}
	env.settle()
	got, err := env.workspace().Commands(context.Background())
	if err != nil || len(got) != 2 || got[0].Cmd != "docker run alpine:3.20" || got[0].Exit != 1 {
		t.Errorf("log: %+v %v", got, err)
	}
}

// TestLessonEvaluationsBounded: however many workspaces' builds end together, at most
// maxEvaluations evaluations run at once; the others wait their turn and all run.
func TestLessonEvaluationsBounded(t *testing.T) {
	env := newTestServer(t)
	var mu sync.Mutex
	running, most, total := 0, 0, 0
	release := make(chan struct{})
	env.Server.evals.onRun = func(string) {
		mu.Lock()
		running++
		total++
		most = max(most, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	}
	const n = 6
	for range n {
		env.Server.evaluateLater(env.newBrowser().workspace())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		r := running
		mu.Unlock()
		if r == maxEvaluations || time.Now().After(deadline) {
			break
		}
	}
	close(release)
	env.settle()
	if most != maxEvaluations || total != n {
		t.Errorf("at most %d evaluations at once and %d in all; want %d at once and %d", most, total, maxEvaluations, n)
	}
}

// TestLessonEvaluationYieldsToBuilds: while a build waits for a slot, an evaluation
// waits for it to start; once none waits, the evaluation runs.
func TestLessonEvaluationYieldsToBuilds(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.MaxBuilds = 1 })
	ran := make(chan string, 1)
	env.Server.evals.onRun = func(ws string) { ran <- ws }
	ctx := context.Background()
	release, err := env.Server.queue.acquire(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan func(), 1)
	go func() {
		r, err := env.Server.queue.acquire(ctx, func(string) {})
		if err != nil {
			t.Error(err)
		}
		waiting <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		select {
		case <-env.Server.queue.quiet():
			if time.Now().After(deadline) {
				t.Fatal("the second build did not queue")
			}
			continue
		default: // the second build waits
		}
		break
	}
	ws := env.newBrowser().workspace()
	env.Server.evaluateLater(ws)
	select {
	case got := <-ran:
		t.Fatalf("the evaluation of %s ran while a build waited for a slot", got)
	case <-time.After(300 * time.Millisecond):
	}
	release() // the waiting build starts: nothing waits any more
	select {
	case got := <-ran:
		if got != ws.Name() {
			t.Errorf("evaluated %s, want %s", got, ws.Name())
		}
	case <-time.After(evaluateYield + 5*time.Second):
		t.Fatal("the evaluation did not run once no build waited")
	}
	(<-waiting)()
	env.settle()
}
