package lessons

import "time"

// Step states, as engine/build reports them. They are copied rather than imported so
// that this package stays a leaf: a lesson is checked from plain values a handler
// gathers, and the package builds with no engine, database or HTTP.
const (
	StateCached     = "cached"     // reused from the cache
	StateChanged    = "changed"    // its own input changed: text, copied files, a build arg
	StateDownstream = "downstream" // same input, rebuilt because an earlier step was
	StateNew        = "new"        // never built before on this parent
	StateFailed     = "failed"     // it ran and failed
	StateBase       = "base"       // a FROM step: neither cached nor rebuilt
	StateMeta       = "meta"       // ARG before the first FROM: no image, no cache
)

// Build states.
const (
	BuildSucceeded = "succeeded"
	BuildFailed    = "failed"
	BuildRunning   = "running"
)

// State is what the server knows of a workspace when it checks a task: its real
// builds, images, terminal commands and hub transfers, never what a browser claims.
type State struct {
	Builds      []Build               // newest first
	Images      []Image               // the workspace's images (all, intermediate included)
	Commands    []Command             // terminal commands, oldest first
	Pushed      []string              // refs this workspace pushed to the hub (host-less: "ns/name:tag")
	Pulled      []string              // refs this workspace pulled from the hub ("ns/name:tag"), with their namespace
	Namespace   string                // this workspace's hub namespace
	Answers     map[string]string     // task id -> the answer the student submitted
	Predictions map[string]Prediction // task id -> the scored prediction
}

// Build is one build of the workspace.
type Build struct {
	ID         string
	State      string // succeeded|failed|running
	Tags       []string
	Dockerfile string
	Steps      []Step
	Error      string
	Created    time.Time
}

// Step is one instruction of a build, with the state and reason engine/build gave it.
type Step struct {
	Step, Line  int
	Instruction string // "RUN pip install -r requirements.txt"
	State       string // engine/build's: cached changed downstream new failed base meta
	Reason      string
}

// Image is one image of the workspace, as docker image ls -a and inspect show it.
type Image struct {
	ID                     string
	Tags                   []string // "my_image:latest", the short form docker image ls shows
	Dangling, Intermediate bool
	Parent                 string
	Layers                 int // docker history's entries
	WorkingDir             string
	Env                    []string
	Size                   int64
	Created                time.Time
}

// Command is one command run in the workspace's terminal.
type Command struct {
	Cmd  string
	Exit int
	At   time.Time
}

// Prediction is a predict-the-rebuild answer scored against the real build.
type Prediction struct {
	Predicted []int    // the step numbers the student said would rebuild
	Rebuilt   []int    // the step numbers that did rebuild
	Right     int      // steps predicted right (rebuilt or not)
	Total     int      // steps that count: every step but FROM and ARG before FROM
	Mistakes  []string // one sentence per wrong step
}

// Result says whether a task is done and, when it is not, what is missing.
type Result struct {
	Done   bool
	Detail string // one plain sentence naming what is missing; "" when done
}
