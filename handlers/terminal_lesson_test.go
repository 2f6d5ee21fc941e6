package handlers

import (
	"testing"

	"layerlab/engine/commands/lesson"
	"layerlab/internal/testenv"
)

// lessonContext is the playground's files for the lesson's commands: a Dockerfile for
// "docker image build ." and the lesson's code/mydockerfile.txt, a Dockerfile of
// another name.
var lessonContext = map[string]string{
	"Dockerfile":            "FROM alpine:3.20\nCMD [\"echo\", \"hello\"]\n",
	"code/mydockerfile.txt": "FROM alpine:3.20\nCMD [\"echo\", \"from mydockerfile\"]\n",
}

// TestTerminalRunsTheLesson runs every docker command of the lesson (and the few of
// ours between them), in order, in one workspace's web terminal, and checks each
// against the output Docker gives (engine/commands/testdata/lesson.txt).
func TestTerminalRunsTheLesson(t *testing.T) {
	steps, found, err := lesson.Steps("../engine/commands/testdata/lesson.txt", lesson.SeedPath("."))
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		testenv.Need(t, !testenv.InCI(), "the lesson's text is not at ../"+lesson.SeedFile)
		t.Log("the lesson's text is absent: running the list in testdata as it is")
	}
	env := newTestServer(t)
	env.setContext(lessonContext)
	for _, s := range steps {
		got := term(env.browser, s.Cmd)
		if err := s.Check(got.Output, got.ExitCode, "docker", termWorkdir); err != nil {
			t.Errorf("$ %s (lesson.txt:%d):\n%v\nit printed (exit %d):\n%s", s.Cmd, s.Line, err, got.ExitCode, got.Output)
		}
	}
}
