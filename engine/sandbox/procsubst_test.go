package sandbox

import (
	"errors"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

func TestProcessSubstitution(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		fs       func(testing.TB) *rootfs.FS
		wantCode int
		want     string // the whole log
		wantHas  []string
		limit    string // a LimitError's Limit the run must end with
	}{
		{name: "cat reads the list's output", script: "bash -c 'cat <(echo one; echo two)'", want: "one\ntwo\n"},
		{name: "bash's descriptor names", script: "bash -c 'echo <(true) <(true); echo <(true)'", want: "/dev/fd/63 /dev/fd/62\n/dev/fd/63\n"},
		{name: "diff of two lists", script: "bash -c 'diff <(printf \"a\\nb\\n\") <(printf \"a\\nc\\n\")'", wantCode: 1,
			wantHas: []string{"< b\n", "> c\n"}},
		{name: "redirect from one", script: "bash -c 'while read l; do echo got $l; done < <(printf \"x\\ny\\n\")'", want: "got x\ngot y\n"},
		{name: "the list sees the shell's variables", script: "bash -c 'V=val; export W=exp; cat <(echo $V $W)'", want: "val exp\n"},
		{name: "the list runs in a subshell", script: "bash -c 'cat <(X=inner; echo $X); echo \"[$X]\"'", want: "inner\n[]\n"},
		{name: "status is the command's, not the list's", script: "bash -c 'cat <(false); echo $?; ! grep -q z <(echo a); echo $?; grep -q z <(echo a); echo $?'",
			want: "0\n0\n1\n"},
		{name: "a pipe is read once", script: "bash -c 'cat <(echo once) /dev/fd/63'", want: "once\n"},
		{name: "the path is closed after its command", script: "bash -c 'f=<(echo x); cat $f'", wantCode: 1,
			wantHas: []string{"/dev/fd/63: No such file or directory"}},
		{name: "test sees a pipe", script: "bash -c 'p=<(true); [ -p <(true) ] && echo pipe; [ -f <(true) ] || echo notfile'", want: "pipe\nnotfile\n"},
		{name: "nested", script: "bash -c 'cat <(cat <(echo deep))'", want: "deep\n"},
		{name: "pip requirements from a list", fs: pythonFS, script: "bash -c 'pip install --no-cache-dir -r <(echo flask==3.0.0) && pip freeze | grep -i flask'",
			wantHas: []string{"Collecting flask==3.0.0 (from -r /dev/fd/63 (line 1))", "flask==3.0.0\n"}},
		{name: "in a pipeline", script: "bash -c 'cat <(echo a) | tr a b'", want: "b\n"},
		{name: "output past the bound fails naming it", script: "bash -c 'cat <(yes) > /dev/null; echo after'", wantCode: -1,
			wantHas: []string{"layerlab: <(...): the sandbox holds a process substitution's output in memory, at most 8 MiB"}, limit: "input"},
		{name: ">(...) stays refused", script: "bash -c 'echo x | tee >(cat)'", wantCode: 2, wantHas: []string{ErrProcSubst.Error()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mk := debianFS
			if tc.fs != nil {
				mk = tc.fs
			}
			r := run(t, mk(t), tc.script)
			if tc.limit != "" {
				var le *LimitError
				if !errors.As(r.err, &le) || le.Limit != tc.limit {
					t.Fatalf("err = %v, want a %s limit\n%s", r.err, tc.limit, r.out)
				}
				if strings.Contains(r.out, "after") {
					t.Errorf("the step went on past the limit: %q", r.out)
				}
			} else if r.err != nil {
				t.Fatalf("err = %v\n%s", r.err, r.out)
			}
			if tc.wantCode >= 0 && r.code != tc.wantCode {
				t.Errorf("code = %d, want %d\n%s", r.code, tc.wantCode, r.out)
			}
			if tc.want != "" || tc.wantHas == nil {
				if r.out != tc.want {
					t.Errorf("log = %q, want %q", r.out, tc.want)
				}
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
		})
	}
}
