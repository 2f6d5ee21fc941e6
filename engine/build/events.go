package build

// Event types, as DESIGN.md lists them. Field names may grow; these stay.
const (
	EventBuildStarted = "build.started"
	EventStepStarted  = "step.started"
	EventStepLog      = "step.log"
	EventStepDone     = "step.done"
	EventWarning      = "build.warning"
	EventBuildDone    = "build.done"
	EventBuildFailed  = "build.failed"
)

// Step states.
const (
	StateCached     = "cached"     // reused from the cache
	StateChanged    = "changed"    // its own input changed: text, copied files, a build arg
	StateDownstream = "downstream" // same input, rebuilt because an earlier step was
	StateNew        = "new"        // never built before
	StateFailed     = "failed"
	StateBase       = "base" // a FROM step
	StateMeta       = "meta" // ARG before the first FROM: no image, no cache
)

// Event is one thing that happened in a build. The builder fills Build and Seq.
type Event struct {
	Seq   int64  `json:"seq"`
	Build string `json:"build"`
	Type  string `json:"type"`

	Steps       int      `json:"steps,omitempty"` // build.started: number of instructions
	Step        int      `json:"step,omitempty"`
	Of          int      `json:"of,omitempty"`
	Line        int      `json:"line,omitempty"`
	EndLine     int      `json:"end_line,omitempty"`
	Stage       string   `json:"stage,omitempty"`
	Instruction string   `json:"instruction,omitempty"`
	State       string   `json:"state,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Image       string   `json:"image,omitempty"`
	Parent      string   `json:"parent,omitempty"`
	Layer       string   `json:"layer,omitempty"`
	Size        *int64   `json:"size,omitempty"`
	Container   string   `json:"container,omitempty"` // classic "Running in": a simulated container ID
	Pulled      bool     `json:"pulled,omitempty"`    // FROM: the base image was fetched into the store now
	Trigger     bool     `json:"trigger,omitempty"`   // an ONBUILD trigger of the base, run inside its FROM step
	Text        string   `json:"text,omitempty"`      // step.log: one line; build.warning: the warning
	Error       string   `json:"error,omitempty"`
	Hint        string   `json:"hint,omitempty"`
	ExitCode    int      `json:"exit_code,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Ms          float64  `json:"ms,omitempty"`
}

// Sink receives events in order. It must not block for long: the build waits for it.
type Sink func(Event)
