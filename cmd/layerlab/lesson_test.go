package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"layerlab/engine/commands/lesson"
	"layerlab/internal/testenv"
)

// TestCommandLineRunsTheLesson runs every docker command of the lesson (and the few of
// ours between them), in order, as layerlab commands in a directory that holds the
// lesson's files, and checks each against the output Docker gives
// (engine/commands/testdata/lesson.txt); handlers' TestTerminalRunsTheLesson runs the
// same list in the web terminal.
func TestCommandLineRunsTheLesson(t *testing.T) {
	steps, found, err := lesson.Steps("../../engine/commands/testdata/lesson.txt", lesson.SeedPath("."))
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		testenv.Need(t, !testenv.InCI(), "the lesson's text is not at ../"+lesson.SeedFile)
		t.Log("the lesson's text is absent: running the list in testdata as it is")
	}
	data := t.TempDir()
	dir := writeFiles(t, map[string]string{
		"Dockerfile":            "FROM alpine:3.20\nCMD [\"echo\", \"hello\"]\n",
		"code/mydockerfile.txt": "FROM alpine:3.20\nCMD [\"echo\", \"from mydockerfile\"]\n",
	})
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the lesson's paths are relative
	env := func(k string) string {
		if k == "LAYERLAB_DATA" {
			return data
		}
		return ""
	}
	for _, s := range steps {
		args := strings.Fields(s.Cmd)[1:] // docker ... -> layerlab ...
		var out, errb bytes.Buffer
		err := run(context.Background(), args, env, strings.NewReader(""), &out, &errb)
		// What a terminal shows: the command's output, its warnings, then main's last words.
		text := out.String() + errb.String()
		var ee *exitError
		if errors.As(err, &ee) && ee.msg != "" {
			text += ee.msg + "\n"
		} else if err != nil && ee == nil {
			text += err.Error() + "\n"
		}
		if err := s.Check(text, exitCode(err), "layerlab", dir); err != nil {
			t.Errorf("$ %s (lesson.txt:%d):\n%v\nit printed (exit %d):\n%s", s.Cmd, s.Line, err, exitCode(err), text)
		}
	}
}
