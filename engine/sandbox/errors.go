package sandbox

import (
	"errors"
	"fmt"
)

// ErrStart is wrapped by every error that means the RUN process could not start:
// argv[0] missing from the image, an unknown USER, an unparsable script.
var ErrStart = errors.New("process could not start")

// ErrProcSubst is wrapped when a script uses output process substitution >(...),
// which the sandbox refuses because the interpreter would create named pipes on the
// host (<(...) the sandbox runs itself: shell.go).
var ErrProcSubst = errors.New("process substitution >(...) is not supported by the layerlab sandbox (<(...) is)")

// StartError is a start failure with the exact text Docker prints for it.
type StartError struct {
	Msg string
	Err error // the sentinel or cause; ErrStart is always in the chain
}

func (e *StartError) Error() string { return e.Msg }

// Unwrap lets errors.Is find ErrStart and the cause.
func (e *StartError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrStart}
	}
	return []error{ErrStart, e.Err}
}

// ociStart formats the classic Docker 20.10 message for a process that failed to exec.
func ociStart(detail string) error {
	return &StartError{Msg: "failed to create shim task: OCI runtime create failed: runc create failed: " +
		"unable to start container process: " + detail + ": unknown"}
}

// LimitError reports that RUN hit one of the playground limits.
type LimitError struct {
	Limit string // "time", "output", "write", "memory", "processes", "input"
	Msg   string
}

func (e *LimitError) Error() string { return e.Msg }

func timeLimit(d fmt.Stringer) *LimitError {
	return &LimitError{Limit: "time", Msg: fmt.Sprintf("RUN exceeded the %v time limit of the playground sandbox", d)}
}

func outputLimit(n int64) *LimitError {
	return &LimitError{Limit: "output", Msg: "RUN wrote more than " + humanBytes(n) + " of output"}
}

func writeLimit(n int64) *LimitError {
	return &LimitError{Limit: "write", Msg: "RUN wrote more than " + humanBytes(n) + " to the filesystem"}
}

// procCountLimit: too many background jobs and pipeline stages at once.
func procCountLimit(n int) *LimitError {
	return &LimitError{Limit: "processes", Msg: fmt.Sprintf("RUN exceeded the sandbox's limit of %d processes running at once "+
		"(background jobs and pipeline stages of this RUN); wait for background jobs (wait) or start fewer", n)}
}

func procLimit(why string) *LimitError {
	return &LimitError{Limit: "processes", Msg: "RUN exceeded the " + why + " limit of the playground sandbox"}
}

// humanBytes is SizeText, the sandbox's own name for it.
func humanBytes(n int64) string { return SizeText(n) }

// SizeText prints a limit's size the way the limit messages (the sandbox's, the
// builder's, the --format templates') state it: "1 MiB", "512 MiB", "1000 bytes".
func SizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
