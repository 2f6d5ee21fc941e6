package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"layerlab/internal/testenv"
)

// The corpus tests build real-world shaped Dockerfiles with the layerlab binary, three
// times each, as ../shared/corpus/dockerfiles/run.py does, and check the cache as
// Docker's classic builder would behave:
//
//  1. the first build succeeds;
//  2. the same build again: every step after its FROM is cached (ARGs before the
//     first FROM are not cache steps);
//  3. after appending one comment line to the case's edit file: the steps before the
//     first COPY that brings that file in are cached, that step is "changed", and the
//     later steps of its stage are rebuilt; steps named in also_rebuilt (a later
//     stage's COPY --from of an artefact built from the file) are rebuilt too.
//
// TestOwnCorpus runs the project's own cases (testdata/corpus: Dockerfiles written for
// layerlab in the shapes real projects use, one or more per ecosystem). TestPublicCorpus
// runs the 61 real public Dockerfiles of ../shared/corpus/dockerfiles from where they
// are: they belong to their authors and are never copied into the project.

// corpusCase is one case: a context directory and what its third build must show.
type corpusCase struct {
	name    string
	context string // directory copied to a temporary one before building
	// Edit is the context file the third build appends a comment line to.
	Edit string `json:"edit"`
	// FirstRebuilt is the classic builder's step number ("Step N/M") of the first COPY
	// or ADD whose sources cover Edit.
	FirstRebuilt int `json:"first_rebuilt"`
	// AlsoRebuilt are steps of later stages that must miss the cache too (a COPY
	// --from of an artefact whose bytes follow the edited source).
	AlsoRebuilt []int `json:"also_rebuilt"`
	// BuildKitOnly marks a Dockerfile the classic builder rejects: the first build
	// must fail, and FailsWith is in its error.
	BuildKitOnly bool   `json:"buildkit_only"`
	FailsWith    string `json:"fails_with"`
	// Limit marks a case that Docker builds but the sandbox cannot (README says why):
	// the first build must fail with FailsWith, so the limit stays plain and no other
	// failure hides behind it.
	Limit     bool   `json:"-"`
	Ecosystem string `json:"ecosystem"`
}

// publicSource is the part of a public case's source.json the test reads.
type publicSource struct {
	Ecosystem    string `json:"ecosystem"`
	BuildKitOnly bool   `json:"buildkit_only"`
	Edit         struct {
		File  string `json:"file"`
		First int    `json:"expect_first_rebuilt_step"`
	} `json:"edit"`
}

// rejected are the public cases that Docker 20.10's classic builder, or today's version
// of a tool they install, fails, with the text of the failure. The corpus flags six as
// BuildKit-only (RUN --mount, COPY ../x, two sources to a destination without /); four
// more start a stage with FROM --platform=$BUILDPLATFORM without declaring that ARG,
// which the classic builder rejects because only BuildKit defines it (recorded:
// testdata/conformance errors x70; the four boutique cases that declare
// ARG BUILDPLATFORM=linux/amd64 build), and two run Poetry commands that Poetry 2 (what `pip install poetry` installs
// since January 2025) no longer has or refuses.
var rejected = map[string]struct{ failsWith, why string }{
	"009": {"require BuildKit", "RUN --mount"},
	"010": {"require BuildKit", "RUN --mount"},
	"019": {"failed to parse platform", "FROM --platform=$BUILDPLATFORM (and RUN --mount)"},
	"030": {"failed to parse platform", "FROM --platform=$BUILDPLATFORM (and RUN --mount)"},
	"040": {"the destination must be a directory and end with a /", "COPY Gemfile* /app"},
	"050": {"forbidden path outside the build context", "COPY ../requirements.txt"},
	"003": {"failed to parse platform", "FROM --platform=${BUILDPLATFORM}"},
	"018": {"failed to parse platform", "FROM --platform=$BUILDPLATFORM"},
	"034": {"failed to parse platform", "FROM --platform=$BUILDPLATFORM"},
	"036": {"failed to parse platform", "FROM --platform=$BUILDPLATFORM"},
	"051": {"The requested command export does not exist", "poetry export: Poetry 2 ships without the export plugin"},
	"055": {"The current project could not be installed", "poetry install of a project without its package: an error since Poetry 2"},
}

// sandboxLimits are the public cases Docker builds and layerlab cannot, because they
// run a program the sandbox does not (README: "RUN's programs are simulated, not run").
var sandboxLimits = map[string]struct{ failsWith, why string }{
	"031": {"the layerlab sandbox does not run JavaScript", "npm run build-docker runs node scripts/build-prisma-client.js, build-geo.js ..."},
}

// minPublicCases and minOwnCases keep a missing or moved corpus from passing with
// nothing checked.
const (
	minPublicCases = 61
	minOwnCases    = 46
)

func TestOwnCorpus(t *testing.T) {
	root := filepath.Join(moduleRoot, "testdata", "corpus")
	dirs, err := filepath.Glob(filepath.Join(root, "*", "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < minOwnCases {
		t.Fatalf("%d cases in %s, want at least %d", len(dirs), root, minOwnCases)
	}
	var cases []corpusCase
	for _, f := range dirs {
		c := corpusCase{name: filepath.Base(filepath.Dir(f)), context: filepath.Join(filepath.Dir(f), "context")}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Edit == "" || c.FirstRebuilt == 0 || c.Ecosystem == "" {
			t.Fatalf("%s: edit, first_rebuilt and ecosystem are required", f)
		}
		cases = append(cases, c)
	}
	runCorpus(t, cases)
}

func TestPublicCorpus(t *testing.T) {
	root := filepath.Join(moduleRoot, "..", "shared", "corpus", "dockerfiles")
	_, err := os.Stat(filepath.Join(root, "run.py"))
	testenv.Need(t, err == nil, "the public corpus is not at "+root)
	dirs, err := filepath.Glob(filepath.Join(root, "*", "source.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < minPublicCases {
		t.Fatalf("%d cases in %s, want at least %d", len(dirs), root, minPublicCases)
	}
	var cases []corpusCase
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var src publicSource
		if err := json.Unmarshal(b, &src); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c := corpusCase{
			name: filepath.Base(filepath.Dir(f)), context: filepath.Join(filepath.Dir(f), "context"),
			Edit: src.Edit.File, FirstRebuilt: src.Edit.First, BuildKitOnly: src.BuildKitOnly,
			Ecosystem: src.Ecosystem,
		}
		num := strings.SplitN(c.name, "-", 2)[0]
		if r, ok := rejected[num]; ok {
			c.BuildKitOnly, c.FailsWith = true, r.failsWith
		}
		if r, ok := sandboxLimits[num]; ok {
			c.Limit, c.FailsWith = true, r.failsWith
		}
		cases = append(cases, c)
	}
	runCorpus(t, cases)
}

// runCorpus runs every case in one data directory (so base images are pulled once, as
// in a real store that builds many projects) and reports the score by ecosystem.
func runCorpus(t *testing.T, cases []corpusCase) {
	data := t.TempDir()
	pass := map[string][2]int{}
	var built, builds, rejectedOK, limitOK int
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) { runCase(t, data, c) })
		p := pass[c.Ecosystem]
		p[1]++
		if ok {
			p[0]++
		}
		pass[c.Ecosystem] = p
		switch {
		case c.Limit:
			limitOK += map[bool]int{true: 1}[ok]
		case c.BuildKitOnly:
			rejectedOK += map[bool]int{true: 1}[ok]
		default:
			builds++
			built += map[bool]int{true: 1}[ok]
		}
	}
	defer t.Logf("%d/%d that Docker's classic builder builds build and cache as it does; %d fail as it (or today's tool) fails them; %d stop at a documented sandbox limit",
		built, builds, rejectedOK, limitOK)
	var eco []string
	for e := range pass {
		eco = append(eco, e)
	}
	sort.Strings(eco)
	var total [2]int
	for _, e := range eco {
		t.Logf("%-10s %d/%d", e, pass[e][0], pass[e][1])
		total[0] += pass[e][0]
		total[1] += pass[e][1]
	}
	t.Logf("%d/%d cases behave as with Docker's classic builder", total[0], total[1])
}

func runCase(t *testing.T, data string, c corpusCase) {
	ctx := filepath.Join(t.TempDir(), "ctx")
	if out, err := exec.Command("cp", "-a", c.context, ctx).CombinedOutput(); err != nil {
		t.Fatalf("copy context: %v\n%s", err, out)
	}
	tag := "corpus-" + strings.ToLower(strings.SplitN(c.name, "-", 2)[0]) + ":latest"

	first := corpusBuild(t, data, ctx, tag)
	if c.BuildKitOnly || c.Limit {
		if first.err == nil && c.Limit {
			t.Fatalf("built, but it runs a program the sandbox cannot run: take it out of sandboxLimits and check its cache")
		}
		if first.err == nil {
			t.Fatalf("built, but Docker's classic builder rejects this Dockerfile (it needs BuildKit)")
		}
		if c.FailsWith != "" && !strings.Contains(first.failure, c.FailsWith) {
			t.Fatalf("failed with %q, want it to contain %q", first.failure, c.FailsWith)
		}
		return
	}
	if first.err != nil {
		t.Fatalf("first build: %v: %s", first.err, first.failure)
	}
	stage := stagesOf(first.instr)

	again := corpusBuild(t, data, ctx, tag)
	if again.err != nil {
		t.Fatalf("unchanged rebuild: %v: %s", again.err, again.failure)
	}
	for _, n := range first.order {
		if isFrom(first.instr[n]) || stage[n] < 0 {
			continue
		}
		if again.state[n] != "cached" {
			t.Fatalf("unchanged rebuild: step %d %q is %q, want cached", n, first.instr[n], again.state[n])
		}
	}

	appendComment(t, filepath.Join(ctx, c.Edit))
	edited := corpusBuild(t, data, ctx, tag)
	if edited.err != nil {
		t.Fatalf("rebuild after editing %s: %v: %s", c.Edit, edited.err, edited.failure)
	}
	also := map[int]bool{}
	for _, n := range c.AlsoRebuilt {
		also[n] = true
	}
	for _, n := range first.order {
		st, in := edited.state[n], first.instr[n]
		switch {
		case n < c.FirstRebuilt:
			if !isFrom(in) && stage[n] >= 0 && st != "cached" {
				t.Errorf("after editing %s: step %d %q is %q, want cached", c.Edit, n, in, st)
			}
		case n == c.FirstRebuilt:
			if st != "changed" {
				t.Errorf("after editing %s: step %d %q is %q, want changed", c.Edit, n, in, st)
			}
		case stage[n] == stage[c.FirstRebuilt] || also[n]:
			if st == "cached" || st == "" {
				t.Errorf("after editing %s: step %d %q is %q, want rebuilt", c.Edit, n, in, st)
			}
		}
	}
}

// buildRun is one `layerlab build --progress=json`: each step's instruction and state.
type buildRun struct {
	order   []int
	instr   map[int]string
	state   map[int]string
	err     error
	failure string // the build.failed event's error, else the last line of output
}

func corpusBuild(t *testing.T, data, ctx, tag string) buildRun {
	t.Helper()
	cmd := exec.Command(binPath, "build", "--progress=json", "-t", tag, ".")
	cmd.Dir = ctx
	cmd.Env = append(os.Environ(), "LAYERLAB_DATA="+data)
	out, err := cmd.Output()
	r := buildRun{instr: map[int]string{}, state: map[int]string{}, err: err}
	logs := map[int][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Type        string `json:"type"`
			Step        *int   `json:"step"`
			State       string `json:"state"`
			Instruction string `json:"instruction"`
			Error       string `json:"error"`
			Text        string `json:"text"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "step.done" && ev.Step != nil:
			if _, seen := r.instr[*ev.Step]; !seen {
				r.order = append(r.order, *ev.Step)
			}
			r.instr[*ev.Step], r.state[*ev.Step] = ev.Instruction, ev.State
		case ev.Type == "step.log" && ev.Step != nil:
			logs[*ev.Step] = append(logs[*ev.Step], strings.TrimSpace(ev.Text))
		case ev.Type == "build.failed":
			r.failure = ev.Error
			if ev.Step != nil {
				// The last lines of the failing step's output say why.
				l := logs[*ev.Step]
				r.failure += " | " + strings.Join(l[max(0, len(l)-4):], " | ")
			}
		}
	}
	if err != nil && r.failure == "" {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		r.failure = strings.TrimSpace(stderr + " " + lastLine(string(out)))
	}
	sort.Ints(r.order)
	return r
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func isFrom(instr string) bool { return strings.HasPrefix(strings.ToUpper(instr), "FROM ") }

// stagesOf maps each step to its stage: FROM opens a stage; ARGs before the first FROM
// are stage -1.
func stagesOf(instr map[int]string) map[int]int {
	var steps []int
	for n := range instr {
		steps = append(steps, n)
	}
	sort.Ints(steps)
	out, st := map[int]int{}, -1
	for _, n := range steps {
		if isFrom(instr[n]) {
			st++
		}
		out[n] = st
	}
	return out
}

// appendComment appends one comment line in the file's own syntax, as run.py does.
func appendComment(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	line := "# layerlab corpus: edited\n"
	switch strings.ToLower(filepath.Ext(file)) {
	case ".html", ".htm", ".md", ".xml", ".vue", ".svelte", ".cshtml":
		line = "<!-- layerlab corpus: edited -->\n"
	case ".css":
		line = "/* layerlab corpus: edited */\n"
	case ".json":
		line = "\n"
	case ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".rs", ".cs", ".php", ".c", ".scss", ".gradle":
		line = "// layerlab corpus: edited\n"
	case ".sql":
		line = "-- layerlab corpus: edited\n"
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		line = "\n" + line
	}
	if err := os.WriteFile(file, append(b, line...), 0o644); err != nil {
		t.Fatalf("edit: %v", err)
	}
}
