package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/build"
)

// stepOutcome is what one step of a build did, from its stored events.
type stepOutcome struct {
	Step        int     `json:"step"`
	Line        int     `json:"line"`
	EndLine     int     `json:"end_line"`
	Instruction string  `json:"instruction"`
	State       string  `json:"state"`
	Reason      string  `json:"reason,omitempty"` // the engine's
	Why         string  `json:"why,omitempty"`    // the page's wording of it (see why)
	Size        int64   `json:"size"`
	Ms          float64 `json:"ms"`
	Image       string  `json:"image,omitempty"`
}

// outcome is a build's steps and totals, read back from its events.
type outcome struct {
	Steps  []stepOutcome `json:"steps"`
	Size   int64         `json:"size"` // bytes of the layers the build's steps made or reused
	Ms     float64       `json:"ms"`
	Failed int           `json:"failed,omitempty"` // the step that failed; 0: none (or before any step)
}

func readOutcome(ctx context.Context, ws *db.Workspace, id string) (*outcome, error) {
	o := &outcome{Steps: []stepOutcome{}}
	// The events are read a page at a time (a build's log can be long); log lines,
	// most of them, say nothing of the outcome.
	err := ws.EachEvent(ctx, id, 0, func(_ int64, data []byte) error {
		if bytes.Contains(data, []byte(`"type":"step.log"`)) {
			return nil
		}
		var e build.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return err
		}
		switch e.Type {
		case build.EventStepDone:
			if e.Trigger {
				return nil
			}
			so := stepOutcome{Step: e.Step, Line: e.Line, EndLine: e.EndLine, Instruction: e.Instruction,
				State: e.State, Reason: e.Reason, Ms: e.Ms, Image: e.Image}
			if e.Size != nil {
				so.Size = *e.Size
				o.Size += *e.Size
			}
			o.Steps = append(o.Steps, so)
		case build.EventBuildFailed:
			// The failed step has most often had its own step.done (state failed) already;
			// the build's end repeats it, and a step is listed once.
			o.Failed = e.Step
			if e.Step > 0 && !slices.ContainsFunc(o.Steps, func(s stepOutcome) bool { return s.Step == e.Step }) {
				o.Steps = append(o.Steps, stepOutcome{Step: e.Step, Line: e.Line, EndLine: e.EndLine,
					Instruction: e.Instruction, State: build.StateFailed, Reason: e.Error})
			}
			o.Ms = e.Ms
			if o.Ms == 0 {
				// A failed build's end carries no time: it took what its steps took.
				for _, s := range o.Steps {
					o.Ms += s.Ms
				}
			}
		case build.EventBuildDone:
			o.Ms = e.Ms
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// stepDiff sets one step of a build beside the same step of the previous build.
type stepDiff struct {
	Step         int          `json:"step"`
	Now          *stepOutcome `json:"now,omitempty"`
	Before       *stepOutcome `json:"before,omitempty"`
	TextChanged  bool         `json:"text_changed"`  // the instruction's text differs
	StateChanged bool         `json:"state_changed"` // it was cached and is not now, etc.
	// NotRun: the build failed at an earlier step, so this one (of the previous build)
	// did not run at all; it was neither cached nor rebuilt.
	NotRun bool `json:"not_run,omitempty"`
	// Position says what stood at this step's place in the previous build when the text
	// differs: "moved from step 5" (the same instruction was at another step) or
	// "step 3 was COPY . . before".
	Position string `json:"position,omitempty"`
}

// fileDiff is a context file whose checksum changed between the builds.
type fileDiff struct {
	Path   string `json:"path"`
	Change string `json:"change"` // added, removed, changed
}

// argDiff is a build arg that differs.
type argDiff struct {
	Name   string `json:"name"`
	Now    string `json:"now"`
	Before string `json:"before"`
}

type comparison struct {
	Build     buildJSON  `json:"build"`
	Previous  *buildJSON `json:"previous"` // nil: no earlier build of the same tag
	Steps     []stepDiff `json:"steps"`
	Files     []fileDiff `json:"files"`
	Args      []argDiff  `json:"args"`
	SizeNow   int64      `json:"size_now"`
	SizeThen  int64      `json:"size_before"`
	MsNow     float64    `json:"ms_now"`
	MsThen    float64    `json:"ms_before"`
	Reasoning string     `json:"summary"`
	Failed    int        `json:"failed_step,omitempty"` // the step this build failed at
}

// previousBuild is the latest finished build of the workspace before b with the same
// first tag (or, for an untagged build, the latest untagged one); found is false when
// there is none.
func previousBuild(ctx context.Context, ws *db.Workspace, b *db.Build) (prev *db.Build, found bool, err error) {
	bs, err := ws.Builds(ctx, 200)
	if err != nil {
		return nil, false, err
	}
	first := func(x *db.Build) string {
		if len(x.Tags) == 0 {
			return ""
		}
		return x.Tags[0]
	}
	for _, x := range bs {
		if x.ID == b.ID || !x.Created.Before(b.Created) || x.State == db.BuildRunning {
			continue
		}
		if first(x) == first(b) {
			return x, true, nil
		}
	}
	return nil, false, nil
}

func (s *Server) compareBuild(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	b, err := ws.Build(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := compare(r.Context(), ws, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func compare(ctx context.Context, ws *db.Workspace, b *db.Build) (*comparison, error) {
	now, err := readOutcome(ctx, ws, b.ID)
	if err != nil {
		return nil, err
	}
	explain(now.Steps)
	c := &comparison{Build: toBuildJSON(b), Steps: []stepDiff{}, Files: []fileDiff{}, Args: []argDiff{},
		SizeNow: now.Size, MsNow: now.Ms, Failed: now.Failed}
	prev, found, err := previousBuild(ctx, ws, b)
	if err != nil {
		return nil, err
	}
	if !found {
		for i := range now.Steps {
			c.Steps = append(c.Steps, stepDiff{Step: now.Steps[i].Step, Now: &now.Steps[i]})
		}
		c.Reasoning = "no earlier build of this tag to compare with"
		if now.Failed > 0 {
			c.Reasoning += "; " + failedSentence(now)
		}
		return c, nil
	}
	pj := toBuildJSON(prev)
	c.Previous = &pj
	then, err := readOutcome(ctx, ws, prev.ID)
	if err != nil {
		return nil, err
	}
	explain(then.Steps)
	c.SizeThen, c.MsThen = then.Size, then.Ms
	byStep := map[int]*stepOutcome{}
	for i := range then.Steps {
		byStep[then.Steps[i].Step] = &then.Steps[i]
	}
	seen := map[int]bool{}
	for i := range now.Steps {
		n := &now.Steps[i]
		d := stepDiff{Step: n.Step, Now: n, Before: byStep[n.Step]}
		if d.Before != nil {
			d.TextChanged = d.Before.Instruction != n.Instruction
			d.StateChanged = d.Before.State != n.State
		}
		if d.Before == nil || d.TextChanged {
			d.Position = position(n, d.Before, then.Steps)
			moved := strings.HasPrefix(d.Position, "moved")
			switch {
			case d.Position == "" || n.State == build.StateCached || n.State == build.StateFailed:
			case moved && n.State == build.StateNew:
				// The engine's "no earlier build had this step" is true only at this
				// place: the cache is keyed by the layers before a step.
				n.Why = d.Position + ": the steps before it differ now, so the cache has nothing for it here"
			default:
				n.Why = d.Position + "; " + n.Why
			}
		}
		seen[n.Step] = true
		c.Steps = append(c.Steps, d)
	}
	for i := range then.Steps {
		if !seen[then.Steps[i].Step] {
			// A step of the previous build with no outcome now either did not run (this
			// build failed before it) or is gone from the Dockerfile.
			c.Steps = append(c.Steps, stepDiff{Step: then.Steps[i].Step, Before: &then.Steps[i], StateChanged: true,
				NotRun: now.Failed > 0 && then.Steps[i].Step > now.Failed})
		}
	}
	sort.SliceStable(c.Steps, func(i, j int) bool { return c.Steps[i].Step < c.Steps[j].Step })

	var in, pin buildInputs
	_ = json.Unmarshal(b.Inputs, &in)
	_ = json.Unmarshal(prev.Inputs, &pin)
	for p, sum := range in.Files {
		switch old, ok := pin.Files[p]; {
		case !ok:
			c.Files = append(c.Files, fileDiff{Path: p, Change: "added"})
		case old != sum:
			c.Files = append(c.Files, fileDiff{Path: p, Change: "changed"})
		}
	}
	for p := range pin.Files {
		if _, ok := in.Files[p]; !ok {
			c.Files = append(c.Files, fileDiff{Path: p, Change: "removed"})
		}
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	for k, v := range in.Args {
		if pv, ok := pin.Args[k]; !ok || pv != v {
			c.Args = append(c.Args, argDiff{Name: k, Now: v, Before: pin.Args[k]})
		}
	}
	for k, v := range pin.Args {
		if _, ok := in.Args[k]; !ok {
			c.Args = append(c.Args, argDiff{Name: k, Before: v})
		}
	}
	sort.Slice(c.Args, func(i, j int) bool { return c.Args[i].Name < c.Args[j].Name })
	c.Reasoning = summarize(c, now)
	return c, nil
}

// firstBuildWhy is what a step built with nothing before it in the cache says: the
// engine's "no earlier build had this step (step 2 was rebuilt)" reads, on a first
// build, as if step 2 had been built before.
const firstBuildWhy = "first build of this step: nothing in the cache yet"

// explain sets each step's Why: the engine's reason, except that a new step with no
// cached, changed or rebuilt step before it in its build (a first build, or the first
// build since --no-cache or a new base) says it is a first build.
func explain(steps []stepOutcome) {
	reused := false // a step before this one came from, or replaced, an earlier build's
	for i := range steps {
		s := &steps[i]
		s.Why = s.Reason
		switch s.State {
		case build.StateCached, build.StateChanged, build.StateDownstream:
			reused = true
		case build.StateNew:
			if !reused && !strings.HasPrefix(s.Reason, "--no-cache") {
				s.Why = firstBuildWhy
			}
		}
	}
}

// position says what stood at step n's place in the previous build, when its text is
// not what stood there: the engine calls a moved or inserted line "new" (its parent
// image differs, so nothing was cached for it), where an edited one is "changed
// (was: ...)"; this names the move or what it replaced.
func position(n, before *stepOutcome, then []stepOutcome) string {
	if n.Instruction == "" {
		return ""
	}
	for _, t := range then {
		if t.Step != n.Step && t.Instruction == n.Instruction {
			return "moved from step " + itoa(t.Step)
		}
	}
	if before != nil && before.Instruction != n.Instruction {
		return "step " + itoa(n.Step) + " was " + before.Instruction + " before"
	}
	return ""
}

// failedSentence says where a build failed and how many steps after it did not run.
func failedSentence(o *outcome) string {
	msg := "step " + itoa(o.Failed)
	for _, s := range o.Steps {
		if s.Step == o.Failed {
			msg += " (" + s.Instruction + ") failed"
			if s.Reason != "" {
				msg += ": " + s.Reason
			}
			break
		}
	}
	return msg
}

// summarize says in one sentence what changed, naming the first step that was not
// cached; a failed build says which step failed and that the later ones did not run.
func summarize(c *comparison, now *outcome) string {
	if now.Failed > 0 {
		notRun := 0
		for _, d := range c.Steps {
			if d.NotRun {
				notRun++
			}
		}
		msg := failedSentence(now)
		switch notRun {
		case 0:
		case 1:
			msg += "; the step after it did not run"
		default:
			msg += "; the " + itoa(notRun) + " steps after it did not run"
		}
		return msg
	}
	for i, d := range c.Steps {
		if d.Now == nil {
			continue
		}
		switch d.Now.State {
		case build.StateChanged, build.StateNew:
			msg := "step " + itoa(d.Step) + " (" + d.Now.Instruction + ") " + d.Now.State
			if d.Now.Why != "" {
				msg += ": " + d.Now.Why
			}
			// In one stage every step after a miss is rebuilt; another stage's may not be.
			later, rebuilt := 0, 0
			for _, e := range c.Steps[i+1:] {
				if e.Now == nil {
					continue
				}
				later++
				if e.Now.State != build.StateCached && e.Now.State != build.StateBase && e.Now.State != build.StateMeta {
					rebuilt++
				}
			}
			switch {
			case later == 0:
			case rebuilt == later:
				msg += "; every later step was rebuilt"
			default:
				msg += "; " + itoa(rebuilt) + " of the " + itoa(later) + " later steps were rebuilt"
			}
			return msg
		}
	}
	return "nothing changed: every step came from the cache"
}
