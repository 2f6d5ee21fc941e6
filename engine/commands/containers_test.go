package commands

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// A container command is answered with what the playground is and what the command
// needs, never "is not a docker command" (Docker has it); a truly unknown command still
// gets Docker's own words.
func TestContainerCommandsSayContainersAreNotPartOfThePlayground(t *testing.T) {
	tests := []struct {
		name string
		prog string
		args []string
		want []string
		not  []string
	}{
		{"run", "docker", []string{"run", "alpine"}, []string{"containers are not part of the playground", "`docker run` needs a real Docker daemon"}, []string{"is not a docker command"}},
		{"ps", "docker", []string{"ps", "-a"}, []string{"containers are not part of the playground", "`docker ps`"}, []string{"is not a docker command"}},
		{"exec", "docker", []string{"exec", "-it", "x", "sh"}, []string{"`docker exec` needs a real Docker daemon"}, nil},
		{"container group", "docker", []string{"container", "ls"}, []string{"`docker container` needs a real Docker daemon"}, nil},
		{"rm names the image command", "docker", []string{"rm", "demo"}, []string{"containers are not part", "docker image rm IMAGE"}, nil},
		{"the layerlab CLI", "layerlab", []string{"run", "alpine"}, []string{"'run' is not a layerlab command", "`layerlab run` needs a real Docker daemon"}, nil},
		{"an unknown command is still unknown", "docker", []string{"frobnicate"}, []string{"docker: 'frobnicate' is not a docker command."}, []string{"containers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Prog: tc.prog}
			code, err := Run(context.Background(), env, tc.args)
			checkRun(t, tc.args, code, err, errb.String())
			if code != 1 || !errors.Is(err, ErrUsage) {
				t.Errorf("exit %d, err %v; want 1 and ErrUsage", code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(errb.String(), n) {
					t.Errorf("stderr has %q:\n%s", n, errb.String())
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
		})
	}
}
