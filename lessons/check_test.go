package lessons

import (
	"os"
	"strings"
	"testing"
)

// TestCheckKinds: every check kind holds with a right state and not with a wrong one,
// and then says what is missing.
func TestCheckKinds(t *testing.T) {
	first := build("b1", 1, "my_image:latest", steps(starterInstr, StateNew, StateNew, StateNew, StateNew, StateNew))
	cached := build("b2", 2, "my_image:latest", steps(starterInstr, StateCached, StateCached, StateCached, StateCached, StateCached))
	edited := build("b3", 3, "my_image:latest", steps(starterInstr, StateCached, StateCached, StateChanged, StateDownstream, StateDownstream))
	reordered := build("b4", 4, "my_image:latest", steps(reorderedInstr, StateCached, StateCached, StateCached, StateCached, StateChanged, StateDownstream))
	failed := Build{ID: "f", State: BuildFailed, Tags: []string{"my_image:latest"}, Created: at(5),
		Steps: append(steps(starterInstr, StateCached, StateCached, StateChanged)[:4], Step{Step: 5, Instruction: starterInstr[4], State: StateFailed, Reason: "exit code 1"})}
	img := Image{ID: "sha256:aa", Tags: []string{"my_image:latest"}, Layers: 23, WorkingDir: "/code", Env: []string{"PATH=/usr/local/bin", "PYTHONUNBUFFERED=1"}, Size: 1e9}
	inter := Image{ID: "sha256:bb", Intermediate: true}
	dangl := Image{ID: "sha256:cc", Dangling: true}

	tests := []struct {
		name        string
		task        string
		right       State
		wrong       State
		wrongDetail string
	}{
		{"build succeeded with tag", "  - {id: a, title: A, check: {build: {tag: my_image}}}",
			State{Builds: newest(first)}, State{Builds: newest(build("x", 1, "other:latest", first.Steps))},
			"no build tagged my_image:latest has succeeded yet: run docker build -t my_image:latest ."},
		{"build with no builds", "  - {id: a, title: A, check: {build: {}}}",
			State{Builds: newest(first)}, State{}, "no build has run yet: run docker build ."},
		{"build failed", "  - {id: a, title: A, check: {build: {succeeded: false}}}",
			State{Builds: newest(first, failed)}, State{Builds: newest(first)}, "no build has failed yet"},
		{"build all cached", "  - {id: a, title: A, check: {build: {tag: my_image:latest, all_cached: true}}}",
			State{Builds: newest(first, cached)}, State{Builds: newest(first)},
			"the newest build tagged my_image:latest rebuilt step 2 (WORKDIR /code, new)"},
		{"build changed and downstream", "  - {id: a, title: A, check: {build: {changed: [COPY . .], downstream: [run pip install]}}}",
			State{Builds: newest(first, edited)}, State{Builds: newest(first, cached)},
			"has step 4, COPY . ., from the cache, where the task wants it rebuilt because its own input changed"},
		{"build rebuilt and cached", "  - {id: a, title: A, check: {build: {rebuilt: [COPY], cached: [WORKDIR]}}}",
			State{Builds: newest(edited)}, State{Builds: newest(cached)}, "where the task wants it rebuilt"},
		{"build new", "  - {id: a, title: A, check: {build: {new: [CMD]}}}",
			State{Builds: newest(first)}, State{Builds: newest(cached)}, "built for the first time"},
		{"build prefix names no step", "  - {id: a, title: A, check: {build: {cached: [COPY requirements.txt]}}}",
			State{Builds: newest(reordered)}, State{Builds: newest(cached)}, `has no step that starts with "COPY requirements.txt"`},
		{"build steps in order", "  - id: a\n    title: A\n    check: {build: {steps: [{instruction: RUN pip, state: cached}, {instruction: COPY, state: changed}]}}",
			State{Builds: newest(edited, reordered)}, State{Builds: newest(first, edited)}, "does not show, in this order"},
		{"build dockerfile", "  - {id: a, title: A, check: {build: {dockerfile: '(?m)^COPY --from='}}}",
			State{Builds: []Build{{State: BuildSucceeded, Dockerfile: "FROM a AS b\nFROM c\nCOPY --from=b /x /x\n", Created: at(1)}}},
			State{Builds: []Build{{State: BuildSucceeded, Dockerfile: "FROM a\n", Created: at(1)}}}, "does not match"},
		{"build retagged", "  - {id: a, title: A, check: {build: {tag: my_image:latest, retagged: true}}}",
			State{Builds: newest(first, edited)}, State{Builds: newest(first, cached)}, "did not take its tag from an older image"},
		{"image exists", "  - {id: a, title: A, check: {image: {tag: my_image}}}",
			State{Images: []Image{img}}, State{Images: []Image{inter}}, "there is no image tagged my_image:latest"},
		{"image removed", "  - {id: a, title: A, check: {image: {tag: my_image:latest, exists: false}}}",
			State{Images: []Image{inter}}, State{Images: []Image{img}}, "my_image:latest still exists: remove it with docker image rm"},
		{"image workdir", "  - {id: a, title: A, check: {image: {tag: my_image:latest, workdir: /code}}}",
			State{Images: []Image{img}}, State{Images: []Image{{Tags: []string{"my_image:latest"}, WorkingDir: "/"}}}, `has working directory "/" where the task wants "/code"`},
		{"image env", "  - {id: a, title: A, check: {image: {tag: my_image:latest, env: PYTHONUNBUFFERED=1}}}",
			State{Images: []Image{img}}, State{Images: []Image{{Tags: []string{"my_image:latest"}, Env: []string{"PYTHONUNBUFFERED=0"}}}}, "has no environment variable PYTHONUNBUFFERED=1"},
		{"image layers", "  - {id: a, title: A, check: {image: {tag: my_image:latest, layers: {min: 20}}}}",
			State{Images: []Image{img}}, State{Images: []Image{{Tags: []string{"my_image:latest"}, Layers: 3}}}, "lists 3 entries where the task wants at least 20"},
		{"dangling zero", "  - {id: a, title: A, check: {dangling: 0}}",
			State{Images: []Image{img, inter}}, State{Images: []Image{img, dangl}}, "there is 1 dangling image (<none>:<none>) where the task wants 0: remove them with docker image prune"},
		{"dangling at least one", "  - {id: a, title: A, check: {dangling: {min: 1}}}",
			State{Images: []Image{dangl}}, State{Images: []Image{img}}, "there are 0 dangling images"},
		{"intermediate", "  - {id: a, title: A, check: {intermediate: {min: 1}}}",
			State{Images: []Image{img, inter}}, State{Images: []Image{img}}, "the workspace has 0 intermediate images"},
		{"command", "  - {id: a, title: A, commands: [docker image ls -a], check: {command: {matches: '^docker (image ls|images)\\b.*-a'}}}",
			State{Commands: []Command{cmd(1, "docker image ls -a", 0)}}, State{Commands: []Command{cmd(1, "docker image ls", 0)}},
			"docker image ls -a has not run in the terminal yet"},
		{"command exit", "  - {id: a, title: A, commands: [docker image prune -f], check: {command: {matches: '^docker image prune'}}}",
			State{Commands: []Command{cmd(1, "docker image prune -f", 0)}}, State{Commands: []Command{cmd(1, "docker image prune -x", 125)}},
			"ended with exit status 125"},
		{"command any exit", "  - {id: a, title: A, check: {command: {matches: '^docker rmi', exit: any}}}",
			State{Commands: []Command{cmd(1, "docker rmi x", 1)}}, State{}, "has not run"},
		{"pushed", "  - {id: a, title: A, check: {pushed: {name: my_image}}}",
			State{Namespace: "ns1", Pushed: []string{"ns1/my_image:latest"}}, State{Namespace: "ns1", Pushed: []string{"ns1/other:latest"}},
			"nothing named my_image has been pushed to the hub yet"},
		{"pulled from another namespace", "  - {id: a, title: A, check: {pulled: {other_namespace: true}}}",
			State{Namespace: "ns1", Pulled: []string{"ns2/my_image:latest"}}, State{Namespace: "ns1", Pulled: []string{"ns1/my_image:latest"}},
			"no image of a classmate's namespace has been pulled yet"},
		{"prediction", "  - {id: a, title: A, predict: true, check: {prediction: {}}}",
			State{Predictions: map[string]Prediction{"a": {Right: 3, Total: 5}}}, State{Predictions: map[string]Prediction{"b": {}}},
			"no prediction has been scored yet"},
		{"prediction min right", "  - {id: a, title: A, predict: true, check: {prediction: {min_right: 4}}}",
			State{Predictions: map[string]Prediction{"a": {Right: 5, Total: 5}}}, State{Predictions: map[string]Prediction{"a": {Right: 3, Total: 5}}},
			"got 3 of 5 steps right where the task wants at least 4"},
		{"answer", "  - {id: a, title: A, question: {prompt: P, answer: {workdir: my_image}}, check: {answer: {}}}",
			State{Images: []Image{img}, Answers: map[string]string{"a": "/code/"}}, State{Images: []Image{img}, Answers: map[string]string{"a": "/app"}},
			`"/app" is not the working directory of my_image:latest`},
		{"all", "  - {id: a, title: A, check: {all: [{dangling: 0}, {intermediate: {min: 1}}]}}",
			State{Images: []Image{inter}}, State{Images: []Image{inter, dangl}}, "dangling"},
		{"any", "  - {id: a, title: A, check: {any: [{dangling: 1}, {intermediate: 1}]}}",
			State{Images: []Image{inter}}, State{Images: []Image{img}}, "there are 0 dangling images"},
		{"in_order", "  - {id: a, title: A, commands: [docker image prune -f], check: {in_order: [{build: {retagged: true}}, {command: {matches: '^docker image prune'}}]}}",
			State{Builds: newest(first, edited), Commands: []Command{cmd(9, "docker image prune -f", 0)}},
			State{Builds: newest(first, edited), Commands: []Command{cmd(2, "docker image prune -f", 0)}},
			"docker image prune -f has not run in the terminal yet: run it there (it counts only after what the task asks for before it)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := parseTask(t, tc.task+"\n")
			if r := task.Evaluate(&tc.right); !r.Done {
				t.Errorf("right state: not done: %s", r.Detail)
			}
			r := task.Evaluate(&tc.wrong)
			if r.Done {
				t.Fatalf("wrong state: done")
			}
			if !strings.Contains(r.Detail, tc.wrongDetail) {
				t.Errorf("detail = %q, want it to contain %q", r.Detail, tc.wrongDetail)
			}
		})
	}
}

// TestEveryKindTested keeps TestCheckKinds in step with CheckKinds.
func TestEveryKindTested(t *testing.T) {
	src, err := os.ReadFile("check_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range CheckKinds {
		if !strings.Contains(string(src), "{"+k+":") {
			t.Errorf("check kind %q has no case in TestCheckKinds", k)
		}
	}
}
