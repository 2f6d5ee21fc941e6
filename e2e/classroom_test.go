package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestClassroom is issue 13's class, end to end in one Chromium at a projector's
// 1280x720: the teacher opens the teacher link and creates a class; three students,
// each in a browser context of their own, join by the code the page shows (a taken name
// is refused); each builds, and the teacher's dashboard shows each build finished
// within 1 s of the student's page showing it; a lesson task done (a build named with
// -t) shows done on the dashboard's matrix; a prediction is scored; a student following
// the teacher sees the teacher's Dockerfile edit and build; presenter mode and replay.
// Screenshots: classroom-join, -dashboard, -student, -presenter.
func TestClassroom(t *testing.T) {
	srv := startServer(t)
	link := teacherLink(t, srv)

	// The teacher: the link, then a class.
	teacher := newClassBrowser(t, srv)
	teacher.do("open the teacher link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-testid="teach-page"]`)))
	teacher.fill(`[data-testid="teach-name"]`, "Docker 101")
	teacher.do("choose the lesson", chromedp.SetValue(chromedp.CSS(`[data-testid="teach-lesson"]`), "docker-images"))
	teacher.follow(`[data-testid="teach-create"]`)
	code := trimCode(wait[string](teacher, "the class's join code", `(document.querySelector('[data-testid="class-code"]') || {textContent: ""}).textContent`))
	if len(code) != 6 || strings.ContainsAny(code, "01258BILOSZ") {
		t.Fatalf("the join page shows the code %q: want 6 characters without look-alikes", code)
	}
	teacher.viewportScreenshot("classroom-join.png")
	teacher.follow(`[data-testid="class-dashboard-link"]`)
	wait[bool](teacher, "the dashboard's live updates", `document.getElementById("dashboard").dataset.live === "1"`)
	eval[bool](teacher, dashboardWatchJS)

	// Three students join by the code; a name taken (in another case) is refused.
	names := []string{"Ana", "Ben", "Chloé"}
	students := make([]*browser, len(names))
	for i, name := range names {
		s := teacher.person()
		if i == 2 {
			if got := s.join(code, "ana"); !strings.Contains(got, "taken") {
				t.Errorf("joining as \"ana\" with Ana in the class: the page says %q, want that the name is taken", got)
			}
		}
		if got := s.join(code, name); got != "joined" {
			s.fatalf("%s's join: %s", name, got)
		}
		s.openPlayground()
		students[i] = s
	}
	wait[bool](teacher, "three cards on the dashboard (Chloé's joined after her refused name)", `document.querySelectorAll('[data-testid="student-card"]').length === 3`)
	workspaces := map[string]string{}
	for _, name := range names {
		workspaces[name] = teacher.cardWorkspace(name)
	}

	// Each student builds; the dashboard's card shows the build finished within 1 s of
	// the student's page showing it (both times taken by polling the DOM every 50 ms).
	for i, s := range students {
		id, doneAt := s.buildTimed()
		seenAt := int64(wait[float64](teacher, names[i]+"'s build on the dashboard", fmt.Sprintf(`window.__e2eSeen[%s] || 0`, jsString(id+" succeeded"))))
		lag := seenAt - doneAt
		t.Logf("dashboard: %s's build %s shown finished %d ms after the student's page showed it (negative: the dashboard was first)", names[i], id, lag)
		if lag > 1000 {
			t.Errorf("%s's build %s reached the dashboard %d ms after the student's page showed it done, want within 1000 ms", names[i], id, lag)
		}
		card := fmt.Sprintf(`[data-testid="student-card"][data-workspace=%s] [data-testid="card-build"]`, jsString(workspaces[names[i]]))
		if got := eval[string](teacher, fmt.Sprintf(`(document.querySelector(%s) || {dataset: {}}).dataset.build || ""`, jsString(card))); got != id {
			t.Errorf("%s's card shows the build %q, want %s", names[i], got, id)
		}
	}
	teacher.screenshot("classroom-dashboard.png")

	// The matrix's columns are the class's lesson's tasks: a dashboard opened before
	// the students joined (as a teacher does) must show them without a reload.
	if eval[bool](teacher, `!!document.querySelector('[data-testid="dash-reload"]') || !document.querySelector('[data-testid="progress-matrix"]')`) {
		t.Errorf("the dashboard, opened before the students joined, shows no progress matrix until it is reloaded (%q): its columns should come from the class's lesson",
			strings.TrimSpace(teacher.text(`[data-testid="dash-reload"]`)))
		dash := eval[string](teacher, `location.pathname`)
		teacher.open(dash, `[data-testid="dashboard"]`)
		wait[bool](teacher, "the dashboard's live updates", `document.getElementById("dashboard").dataset.live === "1"`)
	}

	// A lesson task: Ana builds and names the image with -t; her panel and the
	// dashboard's matrix show the task done.
	ana := students[0]
	ana.do("open the build options", chromedp.Evaluate[chromedp.Void](`document.getElementById("build-opts").open = true`))
	ana.fill(`[data-testid="opt-tags"]`, "my_image:v1")
	ana.buildOnPage()
	wait[bool](ana, "the lesson panel to mark name-tag done", `!!document.querySelector('[data-testid="lesson-task-name-tag"][data-state="done"]')`)
	ana.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	ana.viewportScreenshot("classroom-student.png")
	if covered := eval[[]string](ana, coveredJS); len(covered) > 0 {
		t.Errorf("at 1280x720 the lesson panel covers the playground's controls (what is drawn at their centre and right edge instead): %q", covered)
	}
	const nameTag = "Name and tag an image with -t"
	cls := wait[string](teacher, "Ana's name-tag cell done on the matrix", fmt.Sprintf(`(() => {
		const ths = [...document.querySelectorAll('[data-testid="progress-matrix"] thead th')];
		const i = ths.findIndex(th => th.title === %s);
		const row = document.querySelector('[data-testid="progress-row"][data-workspace=' + JSON.stringify(%s) + ']');
		return i > 0 && row && row.children[i] && row.children[i].classList.contains("p-done") ? row.children[i].className : "";
	})()`, jsString(nameTag), jsString(workspaces["Ana"])))
	t.Logf("dashboard matrix: Ana's %q cell is %q", nameTag, cls)

	// A prediction: Ben predicts the next build (step 2 rebuilt), builds, and his panel
	// and the matrix show the score.
	ben := students[1]
	eval[bool](ben, `window.layerlab.api("POST", "/api/lesson/predict", {task: "predict", steps: [2]}).then(() => true)`)
	ben.buildOnPage()
	score := wait[string](ben, "the panel to show the prediction's score", `(document.querySelector('[data-testid="lesson-score-predict"]') || {textContent: ""}).textContent`)
	if !strings.Contains(score, "right") {
		t.Errorf("the panel shows the prediction's score as %q, want \"N of M right\"", score)
	}
	const predict = "Predict the rebuild"
	cell := wait[string](teacher, "Ben's prediction score on the matrix", fmt.Sprintf(`(() => {
		const ths = [...document.querySelectorAll('[data-testid="progress-matrix"] thead th')];
		const i = ths.findIndex(th => th.title === %s);
		const row = document.querySelector('[data-testid="progress-row"][data-workspace=' + JSON.stringify(%s) + ']');
		return i > 0 && row && row.children[i] && row.children[i].classList.contains("p-score") ? row.children[i].textContent.trim() : "";
	})()`, jsString(predict), jsString(workspaces["Ben"])))
	t.Logf("prediction: Ben's panel says %q, the matrix %q", strings.TrimSpace(score), cell)

	// Follow the teacher: Chloé's /class/live shows the teacher's edit and build.
	chloe := students[2]
	chloe.open("/class/live", `[data-testid="follow"]`)
	wait[bool](chloe, "the live view to connect", `!!document.querySelector('[data-testid="follow-live"]')`)
	desk := teacher.newTab()
	desk.openPlayground()
	desk.replaceInEditor("WORKDIR /code", "WORKDIR /code\nENV SHOWN_LIVE=1")
	desk.waitSaved()
	wait[bool](chloe, "the teacher's edit in the live view", `document.querySelector('[data-testid="follow-file"]').textContent.includes("SHOWN_LIVE=1")`)
	desk.buildOnPage()
	wait[bool](chloe, "the teacher's build done in the live view", `!!document.querySelector('[data-testid="follow-build-done"]') && document.querySelectorAll('[data-testid^="follow-layer-"]').length > 0`)

	// Presenter mode and replay at 1280x720, on a student's playground.
	ana.open("/?present=1", `[data-testid="playground"]`)
	wait[bool](ana, "the last build in presenter mode", `document.documentElement.classList.contains("present") && !!document.body.dataset.shown && !document.getElementById("replay-btn").disabled`)
	n := eval[int](ana, `document.querySelectorAll('li[data-testid^="layer-"]').length`)
	ana.viewportScreenshot("classroom-presenter.png")
	ana.do("press R", chromedp.KeyEvent("r"))
	wait[bool](ana, "the replay to start", `!document.getElementById("replay-bar").hidden && document.querySelectorAll('li[data-testid^="layer-"]').length === 0`)
	ana.do("Space", chromedp.KeyEvent(" "))
	wait[bool](ana, "the replay's first step", `document.querySelectorAll('li[data-testid^="layer-"]').length === 1 && document.getElementById("narration").textContent.startsWith("Step 1")`)
	ana.do("Escape", chromedp.KeyEvent(kb.Escape))
	wait[bool](ana, "the replay to end", fmt.Sprintf(`document.getElementById("replay-bar").hidden && document.querySelectorAll('li[data-testid^="layer-"]').length === %d`, n))
}
