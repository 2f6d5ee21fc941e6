package commands

import (
	"errors"
	"fmt"
)

// The classes of failure a command returns with its exit status (Run). A caller that
// must act on a failure (the web handlers answer with the HTTP status Docker's API would
// give) tests them with errors.Is, never the text, which is Docker's words for a person.
// A failure of none of these classes is the store's or the system's: an internal error.
var (
	// ErrUsage: the command line itself is wrong (an unknown command or flag, a flag
	// without its value or with a value its parser refuses, the wrong number of
	// arguments, a question only a terminal can answer); the docker CLI refuses these
	// before it asks the daemon anything.
	ErrUsage = errors.New("usage")
	// ErrInvalid: an argument the command cannot accept: a malformed reference or
	// filter, an unknown --type, a tag the daemon refuses to create, an output path
	// that is not a directory, an archive that is not one.
	ErrInvalid = errors.New("invalid argument")
	// ErrTemplate: a --format template that does not parse, or fails on the data.
	ErrTemplate = errors.New("template error")
	// ErrNotFound: no image (or, for `docker inspect`, object) by that name or ID.
	ErrNotFound = errors.New("no such image")
	// ErrConflict: an image that cannot be removed as asked: another image has it as
	// parent, it has several references and -f was not given, or a running build holds
	// it.
	ErrConflict = errors.New("conflict")
)

// Finer classes, for a caller that explains a failure in its own words (the images
// page's hints); each error of one of these is also of the class named beside it.
var (
	// ErrBadReference: a name that is not a valid reference (ErrInvalid).
	ErrBadReference = errors.New("invalid reference format")
	// ErrHasChildren: the image is the parent of other images (ErrConflict; -f does
	// not help).
	ErrHasChildren = errors.New("image has dependent child images")
	// ErrMultipleRefs: the image has several references and -f was not given
	// (ErrConflict).
	ErrMultipleRefs = errors.New("image is referenced in multiple repositories")
	// ErrBuildHolds: a running build holds the image (ErrConflict).
	ErrBuildHolds = errors.New("image is being used by a running build")
)

// classed is an error of a class (a sentinel above) that keeps the text of the error it
// classes, Docker's words: errors.Is finds both the class and what err wraps.
type classed struct{ class, err error }

// withClass returns err classed as class (nil for a nil err).
func withClass(class, err error) error {
	if err == nil {
		return nil
	}
	return &classed{class: class, err: err}
}

func (e *classed) Error() string   { return e.err.Error() }
func (e *classed) Unwrap() []error { return []error{e.class, e.err} }

// usageErrorf is an ErrUsage error with the given text.
func usageErrorf(format string, a ...any) error {
	return withClass(ErrUsage, fmt.Errorf(format, a...))
}

// invalidf is an ErrInvalid error with the given text.
func invalidf(format string, a ...any) error {
	return withClass(ErrInvalid, fmt.Errorf(format, a...))
}

// daemonErr is an error the daemon answered, as the CLI prints it.
type daemonErr struct{ err error }

func (e *daemonErr) Error() string { return "Error response from daemon: " + e.err.Error() }
func (e *daemonErr) Unwrap() error { return e.err }

// failed ends a command: it prints err as the command's last words on stderr (a line;
// Docker's texts that end in a newline of their own get a blank line after, as in
// Docker) and returns the exit status with err, which must not be nil.
func failed(env *Env, code int, err error) (int, error) {
	fmt.Fprintln(env.Stderr, err)
	return code, err
}
