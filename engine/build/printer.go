package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
)

// ClassicPrinter prints events as `docker build` with the classic builder does
// (Step i/N, Using cache, Running in, the image IDs), plus one line for every rebuilt
// step saying why ("changed: COPY sources changed: app.py"). The caller prints the
// "Sending build context" header and the final error.
func ClassicPrinter(w io.Writer) Sink {
	return func(e Event) {
		switch e.Type {
		case EventStepStarted:
			if !e.Trigger {
				fmt.Fprintf(w, "Step %d/%d : %s\n", e.Step, e.Of, e.Instruction)
			}
		case EventStepLog:
			switch {
			case e.Container != "" && e.Text == "":
				fmt.Fprintf(w, " ---> Running in %s\n", e.Container)
			case e.Text != "":
				fmt.Fprintln(w, e.Text)
			}
		case EventStepDone:
			if e.Trigger {
				// Inside the FROM step Docker prints only "Using cache" per cached trigger;
				// the step's image comes once, after the last trigger.
				if e.State == StateCached {
					fmt.Fprintln(w, " ---> Using cache")
				}
				return
			}
			switch e.State {
			case StateMeta:
			case StateFailed:
			case StateBase:
				fmt.Fprintf(w, " ---> %s\n", shortOf(e.Image))
			case StateCached:
				fmt.Fprintf(w, " ---> Using cache\n ---> %s\n", shortOf(e.Image))
			default:
				fmt.Fprintf(w, " ---> %s\n", shortOf(e.Image))
				fmt.Fprintf(w, " ---> [layerlab] %s: %s\n", e.State, e.Reason)
			}
		case EventWarning:
			fmt.Fprintln(w, e.Text)
		case EventBuildDone:
			fmt.Fprintf(w, "Successfully built %s\n", shortOf(e.Image))
			for _, t := range e.Tags {
				fmt.Fprintf(w, "Successfully tagged %s\n", t)
			}
		}
	}
}

func shortOf(id string) string {
	if id == "" {
		return ""
	}
	return image.ShortID(digest.Digest(id))
}

// JSONPrinter prints each event as one JSON object a line (--progress=json).
func JSONPrinter(w io.Writer) Sink {
	enc := json.NewEncoder(w)
	return func(e Event) { _ = enc.Encode(e) }
}

// HumanSize formats bytes as Docker does in `image ls` and `history` (go-units'
// HumanSizeWithPrecision with 3): decimal units, three significant digits ("1.98MB").
func HumanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// ClassicError is what `docker build` prints for a failed build, and its exit status:
// Docker's message (a parse error as the daemon's response), then layerlab's hint with
// the line when there is one; a failed RUN exits with the command's status.
func ClassicError(err error) (msg string, code int) {
	msg, code = err.Error(), 1
	var pe *dockerfile.Error
	var se *StepError
	switch {
	case errors.As(err, &pe):
		msg = "Error response from daemon: " + pe.Msg
		if pe.Hint != "" {
			msg += fmt.Sprintf("\n[layerlab] line %d: %s", pe.Line, pe.Hint)
		}
	case errors.As(err, &se):
		if se.ExitCode != 0 {
			code = se.ExitCode
		}
		if se.Hint != "" {
			msg += fmt.Sprintf("\n[layerlab] line %d: %s", se.Line, se.Hint)
		}
	}
	return msg, code
}
