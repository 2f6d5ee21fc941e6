package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/image"
)

// status() is the one place an error's class becomes an HTTP status: the commands'
// sentinels, however wrapped, map as Docker's API answers; an error of no class is an
// internal one.
func TestStatusOfCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     int
		internal bool
	}{
		{"usage", fmt.Errorf("tag: %w", commands.ErrUsage), http.StatusBadRequest, false},
		{"invalid argument", fmt.Errorf("tag: %w", commands.ErrInvalid), http.StatusBadRequest, false},
		{"template", fmt.Errorf("inspect: %w", commands.ErrTemplate), http.StatusBadRequest, false},
		{"not found", fmt.Errorf("history: %w", commands.ErrNotFound), http.StatusNotFound, false},
		{"conflict", fmt.Errorf("rmi: %w", commands.ErrConflict), http.StatusConflict, false},
		{"joined, one of a class", errors.Join(errors.New("x"), commands.ErrNotFound), http.StatusNotFound, false},
		{"the store's not found", fmt.Errorf("image: %w", db.ErrNotFound), http.StatusNotFound, false},
		{"no class", errors.New("Error response from daemon: No such image: x"), http.StatusInternalServerError, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, internal := status(tc.err)
			if code != tc.code || internal != tc.internal {
				t.Errorf("status(%q) = %d (internal %v), want %d (internal %v)", tc.err, code, internal, tc.code, tc.internal)
			}
		})
	}
}

// Each way a docker command fails on the pages gives its class and so its status; the
// text ("No such image", "conflict: ...") plays no part.
func TestCommandFailureStatus(t *testing.T) {
	env := newTestServer(t)
	res := env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1", "demo:v2")
	ws := env.workspace()
	tests := []struct {
		name  string
		args  []string
		class error
		code  int
	}{
		{"unknown flag", []string{"image", "ls", "--nope"}, commands.ErrUsage, http.StatusBadRequest},
		{"wrong number of arguments", []string{"tag", "demo:v1"}, commands.ErrUsage, http.StatusBadRequest},
		{"malformed reference", []string{"tag", "demo:v1", "Demo:V2"}, commands.ErrInvalid, http.StatusBadRequest},
		{"unknown filter", []string{"image", "ls", "-f", "nope=1"}, commands.ErrInvalid, http.StatusBadRequest},
		{"template", []string{"inspect", "--format", "{{.Id", "demo:v1"}, commands.ErrTemplate, http.StatusBadRequest},
		{"no such image", []string{"history", "nope:1"}, commands.ErrNotFound, http.StatusNotFound},
		{"no such object", []string{"inspect", "nope"}, commands.ErrNotFound, http.StatusNotFound},
		{"conflict", []string{"image", "rm", image.ShortID(res.Image)}, commands.ErrConflict, http.StatusConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := env.Server.docker(context.Background(), ws, "docker", tc.args...)
			if run.ok() || !errors.Is(run.err, tc.class) {
				t.Fatalf("%q: exit %d, error %v: want a failure of class %v", tc.args, run.Code, run.err, tc.class)
			}
			if got := env.Server.httpStatus(run); got != tc.code {
				t.Errorf("%q: status %d, want %d", tc.args, got, tc.code)
			}
		})
	}
	// A run that failed with no error value (a transfer that ended without one) is an
	// internal error, whatever its text says.
	noErr := &dockerRun{Cmd: "docker pull x", Code: 1, Error: "Error response from daemon: No such image: x"}
	if got := env.Server.httpStatus(noErr); got != http.StatusInternalServerError {
		t.Errorf("a failure without an error: status %d, want 500", got)
	}
}
