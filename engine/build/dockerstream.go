package build

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DockerStream writes a build's events as Docker 20.10's daemon answers the classic
// POST /build: newline-delimited JSON frames, each ending in "\r\n", that the docker
// CLI prints verbatim ({"stream"}), reads the image ID from ({"aux":{"ID"}}), or exits
// with ({"errorDetail":{"code"},"error"}). What it prints is what ClassicPrinter
// prints, minus layerlab's own " ---> [layerlab] changed: ..." reason lines: the CLI
// would show them as if the daemon had said them, and its output must equal Docker's.
// The "[layerlab] ..." notes a step logs stay: they say where the simulation differs.
//
// Every frame goes to write, in order, from the goroutine that calls Sink. A build
// that fails before any frame (a parse error, an unknown --target) writes nothing:
// Docker answers those with an HTTP error instead, which is the caller's to send
// (Started tells which case it is).
type DockerStream struct {
	// Quiet is POST /build?q=1: on success the whole body is one frame with the image
	// ID; on failure, as Docker does, every frame held back comes first, then the error.
	Quiet bool
	// NoAux leaves out the {"aux":{"ID"}} frame: the daemon sends it from API 1.30 on.
	NoAux bool
	// ForceRm is POST /build?forcerm=1: a failed step's container is removed too, and
	// the daemon says so before the error.
	ForceRm bool

	write   func(frame []byte)
	held    [][]byte // Quiet: the frames not sent
	started bool
	running string // the container of the step running, until its removal is told
}

// NewDockerStream is a DockerStream writing its frames to write.
func NewDockerStream(write func(frame []byte)) *DockerStream {
	return &DockerStream{write: write}
}

// Started tells whether the stream has written (or, quiet, held) a frame: after that
// an error can only be told inside the stream.
func (d *DockerStream) Started() bool { return d.started }

// Sink is the build.Sink that turns events into frames.
func (d *DockerStream) Sink(e Event) {
	switch e.Type {
	case EventStepStarted:
		if !e.Trigger {
			// The daemon sends a step's line and its newline as two frames.
			d.stream(fmt.Sprintf("Step %d/%d : %s", e.Step, e.Of, e.Instruction))
			d.stream("\n")
		}
	case EventStepLog:
		switch {
		case e.Container != "" && e.Text == "":
			d.running = e.Container
			d.stream(" ---> Running in " + e.Container + "\n")
		case e.Text != "":
			if e.Container != "" && e.Container == d.running && strings.HasPrefix(e.Text, "Removing intermediate container") {
				d.running = ""
			}
			d.stream(e.Text + "\n")
		}
	case EventStepDone:
		if e.Trigger {
			if e.State == StateCached {
				d.stream(" ---> Using cache\n")
			}
			return
		}
		switch e.State {
		case StateMeta, StateFailed:
		case StateCached:
			d.stream(" ---> Using cache\n")
			d.stream(" ---> " + shortOf(e.Image) + "\n")
		default:
			d.stream(" ---> " + shortOf(e.Image) + "\n")
		}
	case EventWarning:
		d.stream(e.Text + "\n")
	case EventBuildDone:
		if d.Quiet {
			d.started = true
			d.held = nil
			d.write(streamFrame(e.Image + "\n"))
			return
		}
		if !d.NoAux {
			d.frame(map[string]any{"aux": map[string]string{"ID": e.Image}})
		}
		d.stream("Successfully built " + shortOf(e.Image) + "\n")
		for _, t := range e.Tags {
			d.stream("Successfully tagged " + t + "\n")
		}
	case EventBuildFailed:
		if !d.started {
			return // before the stream: the caller answers with an HTTP error
		}
		if d.ForceRm && d.running != "" {
			d.stream("Removing intermediate container " + d.running + "\n")
			d.running = ""
		}
		for _, f := range d.held {
			d.write(f)
		}
		d.held = nil
		d.write(ErrorFrame(e.Error, e.ExitCode))
	}
}

func (d *DockerStream) stream(text string) { d.emit(streamFrame(text)) }

func (d *DockerStream) frame(v any) { d.emit(marshalFrame(v)) }

func (d *DockerStream) emit(f []byte) {
	d.started = true
	if d.Quiet {
		d.held = append(d.held, f)
		return
	}
	d.write(f)
}

// ErrorFrame is the daemon's error frame, {"errorDetail":{"code":N,"message":M},"error":M}:
// the CLI prints M and exits with N (1 when there is none, as for Docker's COPY
// errors, whose frame has no code).
func ErrorFrame(msg string, code int) []byte {
	type detail struct {
		Code    int    `json:"code,omitempty"`
		Message string `json:"message"`
	}
	return marshalFrame(struct {
		ErrorDetail detail `json:"errorDetail"`
		Error       string `json:"error"`
	}{detail{code, msg}, msg})
}

func streamFrame(text string) []byte {
	return marshalFrame(struct {
		Stream string `json:"stream"`
	}{text})
}

// marshalFrame is v as the daemon's stream formatter writes it: encoding/json's
// escaping (" ---\u003e "), then "\r\n".
func marshalFrame(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings and maps of strings are marshalled here: this cannot happen.
		b = []byte(`{"stream":` + fmt.Sprintf("%q", "layerlab: encode frame: "+err.Error()) + `}`)
	}
	return append(b, '\r', '\n')
}
