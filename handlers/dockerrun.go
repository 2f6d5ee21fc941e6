package handlers

// The docker commands the image pages run: dockerRun (one run of engine/commands, as
// the terminal runs it: command line, output, error and exit status), its HTTP status,
// and limitedBuffer, which bounds what a run's output keeps.

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"layerlab/db"
	"layerlab/engine/commands"
)

// dockerRun is one docker command run through engine/commands, as the terminal runs it.
type dockerRun struct {
	Cmd    string `json:"cmd"`    // the command line as a user would type it
	Output string `json:"output"` // stdout
	Error  string `json:"error,omitempty"`
	Code   int    `json:"exit_code"`
	// err is the error of a failed run: the command's own, whose class (engine/commands'
	// sentinels, remote's for a pull or push) status() maps to the HTTP status, or one
	// found before running anything.
	err error
}

// ok reports whether the command succeeded.
func (d *dockerRun) ok() bool { return d.Code == 0 }

// failure is the error of a failed run. A run that failed without an error value (a
// transfer that ended without one) is an error of no class: an internal one.
func (d *dockerRun) failure() error {
	if d.err != nil {
		return d.err
	}
	return fmt.Errorf("%s: %s", d.Cmd, d.Error)
}

// httpStatus is the HTTP status of a failed run, as status() maps its error; an
// internal failure is logged, once, here.
func (s *Server) httpStatus(d *dockerRun) int {
	code, _, internal := status(d.failure())
	if internal {
		s.log.Error("docker command failed", "cmd", d.Cmd, "err", d.failure())
	}
	return code
}

// limitedBuffer keeps the first max bytes written to it and notes that it cut the rest.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); room < len(p) {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		b.cut = true
		return n, nil
	}
	b.buf.Write(p)
	return n, nil
}

func (b *limitedBuffer) String() string {
	if b.cut {
		return b.buf.String() + fmt.Sprintf("\n[layerlab] output cut at %d KiB\n", b.max>>10)
	}
	return b.buf.String()
}

// docker runs argv (without the program name) over the workspace, as the terminal
// would, and returns its output. display is the command line shown to the user.
func (s *Server) docker(ctx context.Context, ws *db.Workspace, display string, argv ...string) *dockerRun {
	out := &limitedBuffer{max: maxCmdOutput}
	errb := &limitedBuffer{max: maxCmdOutput}
	env := &commands.Env{Store: ws, Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Now: s.now, Prog: "docker"}
	code, err := commands.Run(ctx, env, argv)
	return &dockerRun{Cmd: display, Output: out.String(), Error: strings.TrimRight(errb.String(), "\n"), Code: code, err: err}
}
