package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"

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
	Reason      string  `json:"reason,omitempty"`
	Size        int64   `json:"size"`
	Ms          float64 `json:"ms"`
	Image       string  `json:"image,omitempty"`
}

// outcome is a build's steps and totals, read back from its events.
type outcome struct {
	Steps []stepOutcome `json:"steps"`
	Size  int64         `json:"size"` // bytes of the layers the build's steps made or reused
	Ms    float64       `json:"ms"`
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
			if e.Step > 0 {
				o.Steps = append(o.Steps, stepOutcome{Step: e.Step, Line: e.Line, EndLine: e.EndLine,
					Instruction: e.Instruction, State: build.StateFailed, Reason: e.Error})
			}
			o.Ms = e.Ms
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
	c := &comparison{Build: toBuildJSON(b), Steps: []stepDiff{}, Files: []fileDiff{}, Args: []argDiff{},
		SizeNow: now.Size, MsNow: now.Ms}
	prev, found, err := previousBuild(ctx, ws, b)
	if err != nil {
		return nil, err
	}
	if !found {
		for i := range now.Steps {
			c.Steps = append(c.Steps, stepDiff{Step: now.Steps[i].Step, Now: &now.Steps[i]})
		}
		c.Reasoning = "no earlier build of this tag to compare with"
		return c, nil
	}
	pj := toBuildJSON(prev)
	c.Previous = &pj
	then, err := readOutcome(ctx, ws, prev.ID)
	if err != nil {
		return nil, err
	}
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
		seen[n.Step] = true
		c.Steps = append(c.Steps, d)
	}
	for i := range then.Steps {
		if !seen[then.Steps[i].Step] {
			c.Steps = append(c.Steps, stepDiff{Step: then.Steps[i].Step, Before: &then.Steps[i], StateChanged: true})
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
	c.Reasoning = summarize(c)
	return c, nil
}

// summarize says in one sentence what changed, naming the first step that was not cached.
func summarize(c *comparison) string {
	for _, d := range c.Steps {
		if d.Now == nil {
			continue
		}
		switch d.Now.State {
		case build.StateChanged, build.StateFailed, build.StateNew:
			msg := "step " + itoa(d.Step) + " (" + d.Now.Instruction + ") " + d.Now.State
			if d.Now.Reason != "" {
				msg += ": " + d.Now.Reason
			}
			return msg + "; every later step was rebuilt"
		}
	}
	return "nothing changed: every step came from the cache"
}
