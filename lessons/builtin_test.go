package lessons

import (
	"regexp"
	"strings"
	"testing"
)

// A student's workspace through the docker-images lesson, as the engine reports it:
// the first build, the v1 tag, the cached rebuild, the app edit, the reorder and the
// edit after it (each edit leaves the previous my_image:latest dangling).
var (
	dImg      = Image{ID: "sha256:d1", Tags: []string{"my_image:latest"}, Layers: 23, WorkingDir: "/code", Env: []string{"PATH=/usr/local/bin:/usr/bin", "PYTHONUNBUFFERED=1"}, Size: 1_010_000_000}
	dV1       = Image{ID: "sha256:d0", Tags: []string{"my_image:v1"}, Layers: 23, WorkingDir: "/code", Size: 1_010_000_000}
	dInter    = Image{ID: "sha256:i1", Intermediate: true}
	dDangling = Image{ID: "sha256:x1", Dangling: true}

	bFirst   = build("b1", 1, "my_image:latest", steps(starterInstr, StateNew, StateNew, StateNew, StateNew, StateNew))
	bV1      = build("b2", 2, "my_image:v1", steps(starterInstr, StateCached, StateCached, StateCached, StateCached, StateCached))
	bCached  = build("b3", 3, "my_image:latest", steps(starterInstr, StateCached, StateCached, StateCached, StateCached, StateCached))
	bEdited  = build("b4", 4, "my_image:latest", steps(starterInstr, StateCached, StateCached, StateChanged, StateDownstream, StateDownstream))
	bReorder = build("b5", 5, "my_image:latest", steps(reorderedInstr, StateCached, StateCached, StateChanged, StateDownstream, StateNew, StateNew))
	bAppEdit = build("b6", 6, "my_image:latest", steps(reorderedInstr, StateCached, StateCached, StateCached, StateCached, StateChanged, StateDownstream))
)

// TestDockerImagesTasks: each task of the built-in lesson is done with the state a
// right solution produces, and not with a wrong one.
func TestDockerImagesTasks(t *testing.T) {
	l := mustLesson(t, "docker-images")
	tests := []struct {
		name, task string
		right      State
		wrong      State
	}{
		{"history count right", "layers",
			State{Images: []Image{dImg}, Commands: []Command{cmd(2, "docker history my_image:latest", 0)}, Answers: map[string]string{"layers": "23"}},
			State{Images: []Image{dImg}, Commands: []Command{cmd(2, "docker history my_image:latest", 0)}, Answers: map[string]string{"layers": "6"}}},
		{"history not run", "layers",
			State{Images: []Image{dImg}, Commands: []Command{cmd(2, "docker image history my_image", 0)}, Answers: map[string]string{"layers": "23 entries"}},
			State{Images: []Image{dImg}, Answers: map[string]string{"layers": "23"}}},
		{"name and tag", "name-tag",
			State{Builds: newest(bFirst, bV1), Images: []Image{dImg, dV1}},
			State{Builds: newest(bFirst), Images: []Image{dImg}}},
		{"cache", "cache",
			State{Builds: newest(bFirst, bV1, bCached)},
			State{Builds: newest(bFirst, bV1)}},
		{"change a copied file", "change-file",
			State{Builds: newest(bFirst, bCached, bEdited)},
			State{Builds: newest(bFirst, bCached, bReorder)}},
		{"predict", "predict",
			State{Predictions: map[string]Prediction{"predict": {Predicted: []int{4, 5, 6}, Rebuilt: []int{4, 5, 6}, Right: 5, Total: 5}}},
			State{Predictions: map[string]Prediction{"change-file": {}}}},
		{"reorder: an app edit reuses pip install", "reorder",
			State{Builds: newest(bFirst, bEdited, bReorder, bAppEdit)},
			// Reordered, but no app edit after it yet: pip install ran again.
			State{Builds: newest(bFirst, bEdited, bReorder)}},
		{"reorder: the starter's order never reuses pip install on an edit", "reorder",
			State{Builds: newest(bAppEdit)},
			State{Builds: newest(bEdited, build("b9", 9, "my_image:latest", steps(starterInstr, StateCached, StateCached, StateChanged, StateDownstream, StateDownstream)))}},
		{"intermediate images", "intermediate",
			State{Images: []Image{dImg, dInter}, Commands: []Command{cmd(7, "docker image ls -a", 0)}},
			State{Images: []Image{dImg, dInter}, Commands: []Command{cmd(7, "docker image ls", 0)}}},
		{"intermediate with -qa", "intermediate",
			State{Images: []Image{dImg, dInter}, Commands: []Command{cmd(7, "docker image ls -qa", 0)}},
			State{Images: []Image{dImg, dInter}, Commands: []Command{cmd(7, "docker image ls -q --filter dangling=true", 0)}}},
		{"intermediate with --all", "intermediate",
			State{Images: []Image{dImg, dInter}, Commands: []Command{cmd(7, "docker images --all", 0)}},
			State{Images: []Image{dImg}, Commands: []Command{cmd(7, "docker images --all", 0)}}},
		{"tag and rm -f", "tag-rm",
			State{Images: []Image{dImg}, Commands: []Command{cmd(7, "docker tag my_image:latest my_image:v2", 0), cmd(8, "docker image rm -f my_image:v2", 0)}},
			State{Images: []Image{dImg}, Commands: []Command{cmd(7, "docker tag my_image:latest my_image:v2", 0), cmd(8, "docker image rm my_image:v2", 0)}}},
		{"tag and rm with -f after the name", "tag-rm",
			State{Images: []Image{dImg}, Commands: []Command{cmd(7, "docker tag my_image:latest my_image:v2", 0), cmd(8, "docker rmi my_image:v2 --force", 0)}},
			// Removed before it was tagged: the order is wrong.
			State{Images: []Image{dImg}, Commands: []Command{cmd(6, "docker rmi -f my_image:v2", 0), cmd(7, "docker tag my_image:latest my_image:v2", 0)}}},
		{"tag and rm -f, the tag still there", "tag-rm",
			State{Images: []Image{dImg}, Commands: []Command{cmd(7, "docker tag my_image my_image:v2", 0), cmd(8, "docker rmi -f my_image:v2", 0)}},
			State{Images: []Image{dImg, {ID: "sha256:d1", Tags: []string{"my_image:v2"}}}, Commands: []Command{cmd(7, "docker tag my_image my_image:v2", 0), cmd(8, "docker rmi -f my_image:v2", 1)}}},
		{"prune after a dangling image", "prune",
			State{Builds: newest(bFirst, bEdited), Images: []Image{dImg, dInter}, Commands: []Command{cmd(9, "docker image prune -f", 0)}},
			// Prune without -f: the web terminal answers its question no, nothing goes.
			State{Builds: newest(bFirst, bEdited), Images: []Image{dImg, dInter, dDangling}, Commands: []Command{cmd(9, "docker image prune", 0)}}},
		{"prune before any dangling image", "prune",
			State{Builds: newest(bFirst, bEdited), Commands: []Command{cmd(3, "docker image prune -f", 0), cmd(9, "docker image prune -f", 0)}},
			State{Builds: newest(bFirst, bEdited), Commands: []Command{cmd(3, "docker image prune -f", 0)}}},
		{"inspect workdir", "inspect",
			State{Images: []Image{dImg}, Commands: []Command{cmd(9, "docker image inspect my_image:latest", 0)}, Answers: map[string]string{"inspect": "/code"}},
			State{Images: []Image{dImg}, Commands: []Command{cmd(9, "docker image inspect my_image:latest", 0)}, Answers: map[string]string{"inspect": "/app"}}},
		{"push and pull", "push-pull",
			State{Namespace: "amber-fox", Pushed: []string{"amber-fox/my_image:latest"}, Pulled: []string{"blue-owl/my_image:latest"}},
			State{Namespace: "amber-fox", Pushed: []string{"amber-fox/my_image:latest"}, Pulled: []string{"amber-fox/my_image:latest", "library/python:3.9"}}},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := mustTask(t, l, tc.task)
			covered[tc.task] = true
			if r := task.Evaluate(&tc.right); !r.Done {
				t.Errorf("right state: not done: %s", r.Detail)
			}
			r := task.Evaluate(&tc.wrong)
			if r.Done {
				t.Fatal("wrong state: done")
			}
			if r.Detail == "" || !strings.HasSuffix(r.Detail, ".") {
				t.Errorf("detail %q is not a sentence", r.Detail)
			}
			t.Logf("wrong state: %s", r.Detail)
		})
	}
	for _, task := range l.Tasks {
		if !covered[task.ID] {
			t.Errorf("task %q has no case", task.ID)
		}
	}
}

// TestDockerImagesShape: at least 10 tasks, in the order, one of them a
// predict task; the starter copies everything before installing (what "reorder" fixes).
func TestDockerImagesShape(t *testing.T) {
	l := mustLesson(t, "docker-images")
	want := []string{"layers", "name-tag", "cache", "change-file", "predict", "reorder", "intermediate", "tag-rm", "prune", "inspect", "push-pull"}
	var got []string
	for _, task := range l.Tasks {
		got = append(got, task.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tasks = %v, want %v", got, want)
	}
	if !mustTask(t, l, "predict").Predict {
		t.Error("task predict is not a predict task")
	}
	df := l.Starter["Dockerfile"]
	if !strings.Contains(df, "COPY . .") || strings.Index(df, "COPY . .") > strings.Index(df, "RUN pip install") {
		t.Errorf("the starter must copy everything before pip install:\n%s", df)
	}
	for _, f := range []string{"requirements.txt", "app/main.py", "app/__init__.py"} {
		if _, ok := l.Starter[f]; !ok {
			t.Errorf("starter has no %s", f)
		}
	}
}

// TestDockerImagesCoversSeed: the lesson shows every command the seed lesson teaches.
func TestDockerImagesCoversSeed(t *testing.T) {
	l := mustLesson(t, "docker-images")
	var all []string
	for _, task := range l.Tasks {
		all = append(all, task.Commands...)
	}
	text := strings.Join(all, "\n")
	seed := []struct{ name, re string }{
		{"history", `(?m)^docker (image )?history `},
		{"build -t", `(?m)^docker (image )?build -t `},
		{"image ls -a", `(?m)^docker image ls -a`},
		{"image rm -f", `(?m)^docker image rm -f `},
		{"image prune", `(?m)^docker image prune`},
		{"inspect", `(?m)^docker (image )?inspect `},
		{"push", `(?m)^docker (image )?push `},
		{"pull", `(?m)^docker (image )?pull `},
	}
	for _, s := range seed {
		if !regexp.MustCompile(s.re).MatchString(text) {
			t.Errorf("no task shows %s", s.name)
		}
	}
}

// TestCommandChecksMatchTheirCommands: a command check's expression matches one of the
// commands its task shows, so a student who runs what the task shows is done, and
// the check's sentence can name the command.
func TestCommandChecksMatchTheirCommands(t *testing.T) {
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range s.All() {
		for _, task := range l.Tasks {
			task.Check.walk(func(c *Check) {
				if c.Kind != "command" {
					return
				}
				for _, cmd := range task.Commands {
					if c.command.matches.MatchString(cmd) {
						return
					}
				}
				t.Errorf("%s/%s: %s matches none of %q", l.ID, task.ID, c.command.matches, task.Commands)
			})
		}
	}
}

// TestMultiStageTasks: the second lesson, with the sizes engine/build gives the
// example (hello:single 799 MB, hello:multi 10.8 MB).
func TestMultiStageTasks(t *testing.T) {
	l := mustLesson(t, "multi-stage")
	single := Image{ID: "sha256:s", Tags: []string{"hello:single"}, Size: 799_051_148}
	multi := Image{ID: "sha256:m", Tags: []string{"hello:multi"}, Size: 10_781_818}
	goSingle := []string{"FROM golang:1.22", "WORKDIR /src", "COPY go.mod ./", "RUN go mod download", "COPY . .", "RUN go build -o /out/hello .", `ENTRYPOINT ["/out/hello"]`}
	multiDF := "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\nRUN go build -o /out/hello .\n\nFROM alpine:3.20\nCOPY --from=build /out/hello /usr/local/bin/hello\nENTRYPOINT [\"/usr/local/bin/hello\"]\n"
	bSingle := build("s1", 1, "hello:single", steps(goSingle, StateNew, StateNew, StateNew, StateNew, StateNew, StateNew))
	bSingle.Dockerfile = l.Starter["Dockerfile"]
	bMulti := Build{ID: "m1", State: BuildSucceeded, Tags: []string{"hello:multi"}, Dockerfile: multiDF, Created: at(2)}
	bMultiWrong := Build{ID: "m2", State: BuildSucceeded, Tags: []string{"hello:multi"}, Dockerfile: l.Starter["Dockerfile"], Created: at(2)}
	both := []Image{single, multi}
	tests := []struct {
		name, task string
		right      State
		wrong      State
	}{
		{"single", "single", State{Builds: newest(bSingle)}, State{Builds: newest(bMulti)}},
		{"single size", "single-size", State{Images: both, Commands: []Command{cmd(2, "docker image ls hello", 0)}}, State{Images: both}},
		{"multi", "multi", State{Builds: newest(bSingle, bMulti)}, State{Builds: newest(bSingle, bMultiWrong)}},
		{"compare by tag", "compare", State{Images: both, Answers: map[string]string{"compare": "hello:multi"}}, State{Images: both, Answers: map[string]string{"compare": "hello:single"}}},
		{"compare by the tag part", "compare", State{Images: both, Answers: map[string]string{"compare": " Multi "}}, State{Images: both, Answers: map[string]string{"compare": "hello"}}},
		{"ratio", "ratio", State{Images: both, Answers: map[string]string{"ratio": "74x"}}, State{Images: both, Answers: map[string]string{"ratio": "10"}}},
		{"ratio from the rounded sizes", "ratio", State{Images: both, Answers: map[string]string{"ratio": "about 80 times"}}, State{Images: both, Answers: map[string]string{"ratio": "0.0135"}}},
		{"ratio before the images exist", "ratio", State{Images: both, Answers: map[string]string{"ratio": "74,1"}}, State{Images: []Image{single}, Answers: map[string]string{"ratio": "74"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := mustTask(t, l, tc.task)
			if r := task.Evaluate(&tc.right); !r.Done {
				t.Errorf("right state: not done: %s", r.Detail)
			}
			r := task.Evaluate(&tc.wrong)
			if r.Done {
				t.Fatal("wrong state: done")
			}
			t.Logf("wrong state: %s", r.Detail)
		})
	}
}
