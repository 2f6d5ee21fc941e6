package dockerfile

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustParse parses src and fails the test on any error.
func mustParse(t testing.TB, src string) *File {
	t.Helper()
	f, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): unexpected error: %v", short(src), err)
	}
	return f
}

// allInstructions lists every instruction of f in file order: meta ARGs, then each
// stage's FROM followed by its steps.
func allInstructions(f *File) []Instruction {
	out := append([]Instruction(nil), f.MetaArgs...)
	for _, st := range f.Stages {
		out = append(out, st.From)
		out = append(out, st.Steps...)
	}
	return out
}

// normalize turns empty slices into nil so that DeepEqual compares content only.
func normalize(in Instruction) Instruction {
	nilIfEmpty := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	in.Flags = nilIfEmpty(in.Flags)
	in.Expose = nilIfEmpty(in.Expose)
	in.Volume = nilIfEmpty(in.Volume)
	in.Shell = nilIfEmpty(in.Shell)
	if len(in.Env) == 0 {
		in.Env = nil
	}
	if len(in.Label) == 0 {
		in.Label = nil
	}
	if len(in.Arg) == 0 {
		in.Arg = nil
	}
	if in.Run != nil {
		r := *in.Run
		r.Args = nilIfEmpty(r.Args)
		r.Mounts = nilIfEmpty(r.Mounts)
		if len(r.Heredocs) == 0 {
			r.Heredocs = nil
		}
		in.Run = &r
	}
	if in.Copy != nil {
		c := *in.Copy
		c.Sources = nilIfEmpty(c.Sources)
		if len(c.Heredocs) == 0 {
			c.Heredocs = nil
		}
		in.Copy = &c
	}
	if in.Cmd != nil {
		c := *in.Cmd
		c.Args = nilIfEmpty(c.Args)
		in.Cmd = &c
	}
	if in.Healthcheck != nil {
		h := *in.Healthcheck
		h.Test = nilIfEmpty(h.Test)
		in.Healthcheck = &h
	}
	return in
}

func strp(s string) *string { return &s }

// short keeps failure messages readable for megabyte inputs.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func TestParseInstructions(t *testing.T) {
	const from = "FROM busybox\n"
	tests := []struct {
		name string
		src  string
		step int // 1-based Step of the instruction to check
		want Instruction
	}{
		{
			name: "FROM plain", src: "FROM busybox:local\n", step: 1,
			want: Instruction{Keyword: "FROM", Original: "FROM busybox:local", Line: 1, EndLine: 1, Step: 1,
				From: &From{Image: "busybox:local"}},
		},
		{
			name: "FROM AS name and platform", src: "FROM --platform=linux/arm64 alpine:3 AS build\n", step: 1,
			want: Instruction{Keyword: "FROM", Original: "FROM --platform=linux/arm64 alpine:3 AS build", Line: 1, EndLine: 1, Step: 1,
				Flags: []string{"--platform=linux/arm64"},
				From:  &From{Image: "alpine:3", Name: "build", Platform: "linux/arm64"}},
		},
		{
			name: "FROM keyword in lower case", src: "from busybox as b\n", step: 1,
			want: Instruction{Keyword: "FROM", Original: "from busybox as b", Line: 1, EndLine: 1, Step: 1,
				From: &From{Image: "busybox", Name: "b"}},
		},
		{
			name: "RUN shell form", src: from + "RUN echo hi > /x.txt\n", step: 2,
			want: Instruction{Keyword: "RUN", Original: "RUN echo hi > /x.txt", Line: 2, EndLine: 2, Step: 2,
				Run: &Run{CommandLine: CommandLine{Args: []string{"echo hi > /x.txt"}, Shell: true}}},
		},
		{
			name: "RUN exec form", src: from + `RUN ["echo", "hi"]` + "\n", step: 2,
			want: Instruction{Keyword: "RUN", Original: `RUN ["echo", "hi"]`, Line: 2, EndLine: 2, Step: 2,
				Run: &Run{CommandLine: CommandLine{Args: []string{"echo", "hi"}}}},
		},
		{
			name: "RUN heredoc covers its lines", src: from + "RUN <<EOF\necho hello > /hello.txt\necho world >> /hello.txt\nEOF\nCMD [\"cat\"]\n", step: 2,
			want: Instruction{Keyword: "RUN", Original: "RUN <<EOF", Line: 2, EndLine: 5, Step: 2,
				Run: &Run{CommandLine: CommandLine{Args: []string{"<<EOF"}, Shell: true},
					Heredocs: []Heredoc{{Name: "EOF", Data: "echo hello > /hello.txt\necho world >> /hello.txt\n"}}}},
		},
		{
			name: "instruction after heredoc", src: from + "RUN <<EOF\necho hi\nEOF\nCMD [\"cat\"]\n", step: 3,
			want: Instruction{Keyword: "CMD", Original: `CMD ["cat"]`, Line: 5, EndLine: 5, Step: 3,
				Cmd: &CommandLine{Args: []string{"cat"}}},
		},
		{
			name: "RUN --mount and --network", src: from + "RUN --mount=type=cache,target=/c --network=none make\n", step: 2,
			want: Instruction{Keyword: "RUN", Original: "RUN --mount=type=cache,target=/c --network=none make", Line: 2, EndLine: 2, Step: 2,
				Flags: []string{"--mount=type=cache,target=/c", "--network=none"},
				Run: &Run{CommandLine: CommandLine{Args: []string{"make"}, Shell: true},
					Mounts: []string{"--mount=type=cache,target=/c"}, Network: "--network=none"}},
		},
		{
			name: "CMD exec form", src: from + `CMD ["cat", "/b.txt"]` + "\n", step: 2,
			want: Instruction{Keyword: "CMD", Original: `CMD ["cat", "/b.txt"]`, Line: 2, EndLine: 2, Step: 2,
				Cmd: &CommandLine{Args: []string{"cat", "/b.txt"}}},
		},
		{
			name: "CMD shell form", src: from + "CMD echo hello\n", step: 2,
			want: Instruction{Keyword: "CMD", Original: "CMD echo hello", Line: 2, EndLine: 2, Step: 2,
				Cmd: &CommandLine{Args: []string{"echo hello"}, Shell: true}},
		},
		{
			name: "ENTRYPOINT exec form", src: from + `ENTRYPOINT ["sh", "-c"]` + "\n", step: 2,
			want: Instruction{Keyword: "ENTRYPOINT", Original: `ENTRYPOINT ["sh", "-c"]`, Line: 2, EndLine: 2, Step: 2,
				Cmd: &CommandLine{Args: []string{"sh", "-c"}}},
		},
		{
			name: "ENTRYPOINT shell form", src: from + "ENTRYPOINT exec top -b\n", step: 2,
			want: Instruction{Keyword: "ENTRYPOINT", Original: "ENTRYPOINT exec top -b", Line: 2, EndLine: 2, Step: 2,
				Cmd: &CommandLine{Args: []string{"exec top -b"}, Shell: true}},
		},
		{
			name: "ENV new form with two pairs", src: from + "ENV A=1 B=\"two words\"\n", step: 2,
			want: Instruction{Keyword: "ENV", Original: `ENV A=1 B="two words"`, Line: 2, EndLine: 2, Step: 2,
				Env: []KeyValue{{"A", "1"}, {"B", `"two words"`}}}, // quotes go at expansion time
		},
		{
			name: "ENV legacy form", src: from + "ENV A 1\n", step: 2,
			want: Instruction{Keyword: "ENV", Original: "ENV A 1", Line: 2, EndLine: 2, Step: 2,
				Env: []KeyValue{{"A", "1"}}},
		},
		{
			name: "ENV legacy form keeps the rest as one value", src: from + "ENV A 1 B 2\n", step: 2,
			want: Instruction{Keyword: "ENV", Original: "ENV A 1 B 2", Line: 2, EndLine: 2, Step: 2,
				Env: []KeyValue{{"A", "1 B 2"}}},
		},
		{
			name: "LABEL", src: from + `LABEL a=b "c d"=e` + "\n", step: 2,
			want: Instruction{Keyword: "LABEL", Original: `LABEL a=b "c d"=e`, Line: 2, EndLine: 2, Step: 2,
				Label: []KeyValue{{"a", "b"}, {`"c d"`, "e"}}},
		},
		{
			name: "ARG without default", src: from + "ARG V\n", step: 2,
			want: Instruction{Keyword: "ARG", Original: "ARG V", Line: 2, EndLine: 2, Step: 2,
				Arg: []ArgDef{{Key: "V"}}},
		},
		{
			name: "ARG with default and a second one without", src: from + "ARG Y=2 Z\n", step: 2,
			want: Instruction{Keyword: "ARG", Original: "ARG Y=2 Z", Line: 2, EndLine: 2, Step: 2,
				Arg: []ArgDef{{Key: "Y", Default: strp("2")}, {Key: "Z"}}},
		},
		{
			name: "ARG with empty default", src: from + "ARG E=\n", step: 2,
			want: Instruction{Keyword: "ARG", Original: "ARG E=", Line: 2, EndLine: 2, Step: 2,
				Arg: []ArgDef{{Key: "E", Default: strp("")}}},
		},
		{
			name: "COPY with every flag", src: from + "COPY --from=builder --chown=1000:1000 --chmod=0644 --link a.txt /a.txt\n", step: 2,
			want: Instruction{Keyword: "COPY", Original: "COPY --from=builder --chown=1000:1000 --chmod=0644 --link a.txt /a.txt", Line: 2, EndLine: 2, Step: 2,
				Flags: []string{"--from=builder", "--chown=1000:1000", "--chmod=0644", "--link"},
				Copy:  &Copy{Sources: []string{"a.txt"}, Dest: "/a.txt", From: "builder", Chown: "1000:1000", Chmod: "0644", Link: true}},
		},
		{
			name: "COPY multiple sources", src: from + "COPY a.txt b.txt src/ /dst/\n", step: 2,
			want: Instruction{Keyword: "COPY", Original: "COPY a.txt b.txt src/ /dst/", Line: 2, EndLine: 2, Step: 2,
				Copy: &Copy{Sources: []string{"a.txt", "b.txt", "src/"}, Dest: "/dst/"}},
		},
		{
			name: "COPY JSON form", src: from + `COPY ["a b.txt", "/d/"]` + "\n", step: 2,
			want: Instruction{Keyword: "COPY", Original: `COPY ["a b.txt", "/d/"]`, Line: 2, EndLine: 2, Step: 2,
				Copy: &Copy{Sources: []string{"a b.txt"}, Dest: "/d/"}},
		},
		{
			name: "COPY heredoc", src: from + "COPY <<EOF /x\nhello\nEOF\n", step: 2,
			want: Instruction{Keyword: "COPY", Original: "COPY <<EOF /x", Line: 2, EndLine: 4, Step: 2,
				Copy: &Copy{Dest: "/x", Heredocs: []Heredoc{{Name: "EOF", Data: "hello\n"}}}},
		},
		{
			name: "ADD with flags and sources", src: from + "ADD --chown=1:2 --chmod=644 --link x.tar.gz y.tar /opt/\n", step: 2,
			want: Instruction{Keyword: "ADD", Original: "ADD --chown=1:2 --chmod=644 --link x.tar.gz y.tar /opt/", Line: 2, EndLine: 2, Step: 2,
				Flags: []string{"--chown=1:2", "--chmod=644", "--link"},
				Copy:  &Copy{Add: true, Sources: []string{"x.tar.gz", "y.tar"}, Dest: "/opt/", Chown: "1:2", Chmod: "644", Link: true}},
		},
		{
			name: "EXPOSE", src: from + "EXPOSE 8080/tcp\n", step: 2,
			want: Instruction{Keyword: "EXPOSE", Original: "EXPOSE 8080/tcp", Line: 2, EndLine: 2, Step: 2,
				Expose: []string{"8080/tcp"}},
		},
		{
			// BuildKit sorts the ports (parseExpose), so the order is not the file's.
			name: "EXPOSE two ports sorted", src: from + "EXPOSE 80 443/udp\n", step: 2,
			want: Instruction{Keyword: "EXPOSE", Original: "EXPOSE 80 443/udp", Line: 2, EndLine: 2, Step: 2,
				Expose: []string{"443/udp", "80"}},
		},
		{
			name: "USER", src: from + "USER 1000:1000\n", step: 2,
			want: Instruction{Keyword: "USER", Original: "USER 1000:1000", Line: 2, EndLine: 2, Step: 2, User: "1000:1000"},
		},
		{
			name: "VOLUME JSON", src: from + `VOLUME ["/data", "/logs"]` + "\n", step: 2,
			want: Instruction{Keyword: "VOLUME", Original: `VOLUME ["/data", "/logs"]`, Line: 2, EndLine: 2, Step: 2,
				Volume: []string{"/data", "/logs"}},
		},
		{
			name: "VOLUME plain", src: from + "VOLUME /a /b\n", step: 2,
			want: Instruction{Keyword: "VOLUME", Original: "VOLUME /a /b", Line: 2, EndLine: 2, Step: 2,
				Volume: []string{"/a", "/b"}},
		},
		{
			name: "STOPSIGNAL", src: from + "STOPSIGNAL SIGTERM\n", step: 2,
			want: Instruction{Keyword: "STOPSIGNAL", Original: "STOPSIGNAL SIGTERM", Line: 2, EndLine: 2, Step: 2, StopSignal: "SIGTERM"},
		},
		{
			name: "HEALTHCHECK NONE", src: from + "HEALTHCHECK NONE\n", step: 2,
			want: Instruction{Keyword: "HEALTHCHECK", Original: "HEALTHCHECK NONE", Line: 2, EndLine: 2, Step: 2,
				Healthcheck: &Healthcheck{None: true}},
		},
		{
			name: "HEALTHCHECK CMD exec form with every option", src: from + `HEALTHCHECK --interval=30s --timeout=3s --retries=4 --start-period=2s CMD ["sh", "-c", "echo ok"]` + "\n", step: 2,
			want: Instruction{Keyword: "HEALTHCHECK", Original: `HEALTHCHECK --interval=30s --timeout=3s --retries=4 --start-period=2s CMD ["sh", "-c", "echo ok"]`,
				Line: 2, EndLine: 2, Step: 2,
				Flags: []string{"--interval=30s", "--timeout=3s", "--retries=4", "--start-period=2s"},
				Healthcheck: &Healthcheck{Test: []string{"CMD", "sh", "-c", "echo ok"},
					Interval: 30 * time.Second, Timeout: 3 * time.Second, StartPeriod: 2 * time.Second, Retries: 4}},
		},
		{
			name: "HEALTHCHECK CMD shell form", src: from + "HEALTHCHECK CMD curl -f http://localhost/\n", step: 2,
			want: Instruction{Keyword: "HEALTHCHECK", Original: "HEALTHCHECK CMD curl -f http://localhost/", Line: 2, EndLine: 2, Step: 2,
				Healthcheck: &Healthcheck{Test: []string{"CMD-SHELL", "curl -f http://localhost/"}}},
		},
		{
			name: "WORKDIR", src: from + "WORKDIR /srv/app\n", step: 2,
			want: Instruction{Keyword: "WORKDIR", Original: "WORKDIR /srv/app", Line: 2, EndLine: 2, Step: 2, Workdir: "/srv/app"},
		},
		{
			name: "SHELL", src: from + `SHELL ["/bin/sh", "-ec"]` + "\n", step: 2,
			want: Instruction{Keyword: "SHELL", Original: `SHELL ["/bin/sh", "-ec"]`, Line: 2, EndLine: 2, Step: 2,
				Shell: []string{"/bin/sh", "-ec"}},
		},
		{
			name: "ONBUILD keeps the trigger expression", src: from + "ONBUILD RUN echo triggered > /onbuild.txt\n", step: 2,
			want: Instruction{Keyword: "ONBUILD", Original: "ONBUILD RUN echo triggered > /onbuild.txt", Line: 2, EndLine: 2, Step: 2,
				Onbuild: "RUN echo triggered > /onbuild.txt"},
		},
		{
			name: "MAINTAINER", src: from + "MAINTAINER Jane <jane@example.com>\n", step: 2,
			want: Instruction{Keyword: "MAINTAINER", Original: "MAINTAINER Jane <jane@example.com>", Line: 2, EndLine: 2, Step: 2,
				Maintainer: "Jane <jane@example.com>"},
		},
		{
			name: "lower-case keyword is upper-cased", src: from + "run echo hi\n", step: 2,
			want: Instruction{Keyword: "RUN", Original: "run echo hi", Line: 2, EndLine: 2, Step: 2,
				Run: &Run{CommandLine: CommandLine{Args: []string{"echo hi"}, Shell: true}}},
		},
		{
			name: "meta ARG before FROM", src: "ARG BASE=busybox\nFROM ${BASE}\n", step: 1,
			want: Instruction{Keyword: "ARG", Original: "ARG BASE=busybox", Line: 1, EndLine: 1, Step: 1,
				Arg: []ArgDef{{Key: "BASE", Default: strp("busybox")}}},
		},
		{
			name: "FROM after meta ARG is step 2 and unexpanded", src: "ARG BASE=busybox\nFROM ${BASE}\n", step: 2,
			want: Instruction{Keyword: "FROM", Original: "FROM ${BASE}", Line: 2, EndLine: 2, Step: 2,
				From: &From{Image: "${BASE}"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.src)
			all := allInstructions(f)
			if tt.step < 1 || tt.step > len(all) {
				t.Fatalf("step %d out of range: file has %d instructions", tt.step, len(all))
			}
			got := all[tt.step-1]
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Errorf("instruction %d:\n got %s\nwant %s", tt.step, dump(got), dump(tt.want))
			}
		})
	}
}

func TestParseFileStructure(t *testing.T) {
	src := `ARG BASE=busybox:local
ARG TAG
FROM ${BASE} AS Builder
RUN mkdir /out && echo artifact > /out/a.txt
RUN echo extra > /out/extra.txt

FROM busybox:local
COPY --from=builder /out/a.txt /a.txt
ARG TAG
RUN cat /a.txt > /b.txt

FROM builder AS test
RUN true
`
	f := mustParse(t, src)
	if f.Steps != 11 {
		t.Errorf("Steps = %d, want 11 (every instruction, FROM and meta ARGs included)", f.Steps)
	}
	if len(f.MetaArgs) != 2 || f.MetaArgs[0].Step != 1 || f.MetaArgs[1].Step != 2 {
		t.Errorf("MetaArgs = %s, want the two ARGs at steps 1 and 2", dump(f.MetaArgs))
	}
	if f.Escape != '\\' {
		t.Errorf("Escape = %q, want backslash", f.Escape)
	}
	if len(f.Lines) != strings.Count(src, "\n")+1 {
		t.Errorf("len(Lines) = %d, want %d", len(f.Lines), strings.Count(src, "\n")+1)
	}
	type stageWant struct {
		name, base string
		index      int
		fromStep   int
		fromLine   int
		steps      []int
	}
	want := []stageWant{
		{name: "builder", base: "${BASE}", index: 0, fromStep: 3, fromLine: 3, steps: []int{4, 5}},
		{name: "", base: "busybox:local", index: 1, fromStep: 6, fromLine: 7, steps: []int{7, 8, 9}},
		{name: "test", base: "builder", index: 2, fromStep: 10, fromLine: 12, steps: []int{11}},
	}
	if len(f.Stages) != len(want) {
		t.Fatalf("got %d stages, want %d", len(f.Stages), len(want))
	}
	for i, w := range want {
		st := f.Stages[i]
		t.Run(st.Name, func(t *testing.T) {
			if st.Name != w.name || st.Base != w.base || st.Index != w.index {
				t.Errorf("stage %d = {Name %q Base %q Index %d}, want {%q %q %d}", i, st.Name, st.Base, st.Index, w.name, w.base, w.index)
			}
			if st.From.Step != w.fromStep || st.From.Line != w.fromLine {
				t.Errorf("FROM step/line = %d/%d, want %d/%d", st.From.Step, st.From.Line, w.fromStep, w.fromLine)
			}
			var steps []int
			for _, in := range st.Steps {
				steps = append(steps, in.Step)
			}
			if !reflect.DeepEqual(steps, w.steps) {
				t.Errorf("steps = %v, want %v", steps, w.steps)
			}
		})
	}
	// BuildKit lower-cases the stage name and warns about it.
	if !hasWarning(f, "StageNameCasing", 3) {
		t.Errorf("want a StageNameCasing warning on line 3, got %s", dump(f.Warnings))
	}
}

func hasWarning(f *File, rule string, line int) bool {
	for _, w := range f.Warnings {
		if w.Rule == rule && w.Line == line {
			return true
		}
	}
	return false
}

func TestParseContinuationsAndComments(t *testing.T) {
	tests := []struct {
		name         string
		src          string
		wantOriginal string
		wantArgs     []string
		wantLine     int
		wantEndLine  int
		wantEscape   rune
	}{
		{
			// Finding 17: the continuation's indentation stays inside the command.
			name:         "continuation keeps indentation",
			src:          "FROM busybox\nRUN echo b \\\n    && echo c > /c.txt\n",
			wantOriginal: "RUN echo b     && echo c > /c.txt", wantArgs: []string{"echo b     && echo c > /c.txt"},
			wantLine: 2, wantEndLine: 3, wantEscape: '\\',
		},
		{
			name:         "unindented continuation equals the joined line",
			src:          "FROM busybox\nRUN echo b \\\n&& echo c\n",
			wantOriginal: "RUN echo b && echo c", wantArgs: []string{"echo b && echo c"},
			wantLine: 2, wantEndLine: 3, wantEscape: '\\',
		},
		{
			name:         "comment and blank line between continuation lines",
			src:          "FROM busybox\nRUN echo a \\\n# a comment\n\n  && echo b\nENV X=1\n",
			wantOriginal: "RUN echo a   && echo b", wantArgs: []string{"echo a   && echo b"},
			wantLine: 2, wantEndLine: 5, wantEscape: '\\',
		},
		{
			name:         "comment lines before an instruction are not part of it",
			src:          "FROM busybox\n# one\n\n# two\nRUN echo a\n",
			wantOriginal: "RUN echo a", wantArgs: []string{"echo a"},
			wantLine: 5, wantEndLine: 5, wantEscape: '\\',
		},
		{
			name:         "escape directive backtick",
			src:          "# escape=`\nFROM busybox\nRUN echo a `\n  && echo b\n",
			wantOriginal: "RUN echo a   && echo b", wantArgs: []string{"echo a   && echo b"},
			wantLine: 3, wantEndLine: 4, wantEscape: '`',
		},
		{
			name:         "backslash is literal after escape=backtick",
			src:          "# escape=`\nFROM busybox\nRUN dir C:\\\n",
			wantOriginal: "RUN dir C:\\", wantArgs: []string{"dir C:\\"},
			wantLine: 3, wantEndLine: 3, wantEscape: '`',
		},
		{
			name:         "CRLF line endings",
			src:          "FROM busybox\r\nRUN echo a \\\r\n  b\r\n",
			wantOriginal: "RUN echo a   b", wantArgs: []string{"echo a   b"},
			wantLine: 2, wantEndLine: 3, wantEscape: '\\',
		},
		{
			// Finding 23: broken exec-form JSON is taken as shell form.
			name:         "broken exec JSON is shell form",
			src:          "FROM busybox\nCMD [\"echo\", \"unterminated]\n",
			wantOriginal: `CMD ["echo", "unterminated]`, wantArgs: []string{`["echo", "unterminated]`},
			wantLine: 2, wantEndLine: 2, wantEscape: '\\',
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.src)
			if f.Escape != tt.wantEscape {
				t.Errorf("Escape = %q, want %q", f.Escape, tt.wantEscape)
			}
			if len(f.Stages) != 1 || len(f.Stages[0].Steps) == 0 {
				t.Fatalf("want one stage with steps, got %s", dump(f.Stages))
			}
			in := f.Stages[0].Steps[0]
			if in.Original != tt.wantOriginal {
				t.Errorf("Original = %q, want %q", in.Original, tt.wantOriginal)
			}
			var args []string
			var shell bool
			switch {
			case in.Run != nil:
				args, shell = in.Run.Args, in.Run.Shell
			case in.Cmd != nil:
				args, shell = in.Cmd.Args, in.Cmd.Shell
			}
			if !reflect.DeepEqual(args, tt.wantArgs) || !shell {
				t.Errorf("Args = %q (shell %v), want %q in shell form", args, shell, tt.wantArgs)
			}
			if in.Line != tt.wantLine || in.EndLine != tt.wantEndLine {
				t.Errorf("lines = %d-%d, want %d-%d", in.Line, in.EndLine, tt.wantLine, tt.wantEndLine)
			}
		})
	}
}

// Finding 17: an indented continuation and the joined line are different commands
// (a cache miss), while the unindented one equals the joined line (a hit).
func TestContinuationIndentationChangesCommand(t *testing.T) {
	cmd := func(src string) string {
		return mustParse(t, src).Stages[0].Steps[0].Run.Args[0]
	}
	joined := cmd("FROM busybox\nRUN echo b && echo c\n")
	flat := cmd("FROM busybox\nRUN echo b \\\n&& echo c\n")
	indented := cmd("FROM busybox\nRUN echo b \\\n    && echo c\n")
	if flat != joined {
		t.Errorf("unindented continuation %q != joined line %q", flat, joined)
	}
	if indented == joined {
		t.Errorf("indented continuation %q should differ from joined line", indented)
	}
}

func TestEmptyContinuationLineWarns(t *testing.T) {
	f := mustParse(t, "FROM busybox\nRUN echo a \\\n\n  echo b\n")
	if !hasWarning(f, "parser", 4) {
		t.Errorf("want a parser warning about the empty continuation line, got %s", dump(f.Warnings))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantMsg  string
		wantHint string
		wantIs   error // nil: must match neither sentinel
	}{
		{
			name: "unknown instruction on line 1", src: "FORM busybox:local\nRUN echo hi\n",
			wantLine: 1, wantMsg: "dockerfile parse error line 1: unknown instruction: FORM", wantHint: "did you mean FROM?",
		},
		{
			name: "unknown instruction on line 3", src: "FROM busybox:local\nRUN echo hi\nRUNN echo typo\n",
			wantLine: 3, wantMsg: "dockerfile parse error line 3: unknown instruction: RUNN", wantHint: "did you mean RUN?",
		},
		{
			name: "unknown instruction without a suggestion", src: "FROM busybox\nXYZZY plugh\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: unknown instruction: XYZZY",
		},
		{
			name: "ENV without arguments on line 4", src: "FROM busybox:local\nRUN echo ok\n\nENV\n",
			wantLine: 4, wantMsg: "dockerfile parse error line 4: ENV requires at least one argument",
		},
		{
			name: "COPY with one argument", src: "FROM busybox:local\nCOPY onlyone\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined",
		},
		{
			name: "no FROM", src: "RUN echo hi\n",
			wantLine: 1, wantMsg: "no build stage in current context", wantIs: ErrNoStage,
			wantHint: "a Dockerfile starts with FROM (only ARG may come before it)",
		},
		{
			name: "only meta ARGs", src: "ARG A=1\nARG B\n",
			wantLine: 0, wantMsg: "no build stage in current context", wantIs: ErrNoStage,
			wantHint: "a Dockerfile starts with FROM (only ARG may come before it)",
		},
		{
			name: "ENV before FROM", src: "ARG A=1\nENV B=2\nFROM busybox\n",
			wantLine: 2, wantMsg: "no build stage in current context", wantIs: ErrNoStage,
			wantHint: "a Dockerfile starts with FROM (only ARG may come before it)",
		},
		{
			name: "empty file", src: "",
			wantMsg: "failed to parse Dockerfile: file with no instructions", wantIs: ErrEmpty,
		},
		{
			name: "comment-only file", src: "\n# only a comment\n",
			wantMsg: "failed to parse Dockerfile: file with no instructions", wantIs: ErrEmpty,
		},
		{
			name: "whitespace-only file", src: "  \n\t\n\n",
			wantMsg: "failed to parse Dockerfile: file with no instructions", wantIs: ErrEmpty,
		},
		{
			name: "escape directive only", src: "# escape=`\n",
			wantMsg: "failed to parse Dockerfile: file with no instructions", wantIs: ErrEmpty,
		},
		{
			name: "NUL bytes", src: "FROM busybox\nRUN echo \x00hi\n",
			wantMsg: "failed to parse Dockerfile: the file contains NUL bytes", wantHint: "is this really a Dockerfile? It looks like a binary file",
		},
		{
			// BuildKit's wording; not recorded for 20.10 (see the report).
			name: "unknown flag", src: "FROM busybox\nCOPY --nope a b\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: Unknown flag: nope",
		},
		{
			name: "ARG with a blank name", src: "FROM busybox\nARG =x\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: ARG names can not be blank",
		},
		{
			name: "ARG without arguments", src: "FROM busybox\nARG\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: ARG requires at least one argument",
		},
		{
			name: "FROM with two arguments", src: "FROM a b\n",
			wantLine: 1, wantMsg: "dockerfile parse error line 1: FROM requires either one or three arguments",
		},
		{
			name: "unterminated heredoc", src: "FROM busybox\nRUN <<EOF\necho hi\n",
			wantLine: 2, wantMsg: "failed to parse Dockerfile: unterminated heredoc",
		},
		{
			name: "bad HEALTHCHECK duration", src: "FROM busybox\nHEALTHCHECK --interval=abc CMD true\n",
			wantLine: 2, wantMsg: `dockerfile parse error line 2: time: invalid duration "abc"`,
		},
		{
			name: "SHELL not JSON", src: "FROM busybox\nSHELL /bin/bash -c\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: SHELL requires the arguments to be in JSON form",
		},
		{
			name: "ONBUILD FROM", src: "FROM busybox\nONBUILD FROM alpine\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger",
		},
		{
			name: "error on a continued instruction names its first line", src: "FROM busybox\nCOPY \\\n  onlyone\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined",
		},
		{
			name: "first error wins", src: "FROM busybox\nRUNN a\nCOPY onlyone\n",
			wantLine: 2, wantMsg: "dockerfile parse error line 2: unknown instruction: RUNN", wantHint: "did you mean RUN?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseErr(t, tt.src)
			if e.Line != tt.wantLine {
				t.Errorf("Line = %d, want %d", e.Line, tt.wantLine)
			}
			if e.Msg != tt.wantMsg {
				t.Errorf("Msg = %q\n want %q", e.Msg, tt.wantMsg)
			}
			if e.Error() != e.Msg {
				t.Errorf("Error() = %q, want Msg %q", e.Error(), e.Msg)
			}
			if e.Hint != tt.wantHint {
				t.Errorf("Hint = %q, want %q", e.Hint, tt.wantHint)
			}
			for _, s := range []error{ErrEmpty, ErrNoStage} {
				if got, want := errors.Is(e, s), s == tt.wantIs; got != want {
					t.Errorf("errors.Is(err, %q) = %v, want %v", s, got, want)
				}
			}
		})
	}
}

// parseErr parses src, expecting a *Error.
func parseErr(t testing.TB, src string) *Error {
	t.Helper()
	f, err := Parse([]byte(src))
	if err == nil {
		t.Fatalf("Parse(%q) = %d stages, want an error", short(src), len(f.Stages))
	}
	if f != nil {
		t.Errorf("Parse returned a *File along with the error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	if e.Msg == "" {
		t.Errorf("empty Msg")
	}
	return e
}

// Docker 20.10 upper-cases the unknown keyword whatever its case was: s24's heredoc
// body line "echo hello > /hello.txt" failed with "unknown instruction: ECHO".
func TestUnknownInstructionIsUpperCased(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"lower", "FROM busybox\nrunn echo\n", "dockerfile parse error line 2: unknown instruction: RUNN"},
		{"mixed", "FROM busybox\nRuNn echo\n", "dockerfile parse error line 2: unknown instruction: RUNN"},
		{"heredoc body as 20.10 sees it", "FROM busybox:local\necho hello > /hello.txt\n", "dockerfile parse error line 2: unknown instruction: ECHO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e := parseErr(t, tt.src); e.Msg != tt.want {
				t.Errorf("Msg = %q, want %q", e.Msg, tt.want)
			}
		})
	}
}

func TestUnknownFlagHint(t *testing.T) {
	e := parseErr(t, "FROM busybox\nCOPY --chwn=1 a b\n")
	if e.Hint != "did you mean --chown?" {
		t.Errorf("Hint = %q, want %q", e.Hint, "did you mean --chown?")
	}
}

func TestParseSizeLimits(t *testing.T) {
	t.Run("more than MaxInstructions", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("FROM busybox\n")
		for i := 0; i < MaxInstructions; i++ {
			b.WriteString("RUN true\n")
		}
		e := parseErr(t, b.String())
		if e.Line != MaxInstructions+1 {
			t.Errorf("Line = %d, want %d (the first instruction over the limit)", e.Line, MaxInstructions+1)
		}
		want := fmt.Sprintf("failed to parse Dockerfile: line %d is instruction %d, more than %d instructions, layerlab's limit per Dockerfile (Docker has none)",
			MaxInstructions+1, MaxInstructions+1, MaxInstructions)
		if e.Msg != want || e.Hint == "" {
			t.Errorf("Msg %q, hint %q; want %q and a hint", e.Msg, e.Hint, want)
		}
	})
	t.Run("exactly MaxInstructions", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("FROM busybox\n")
		for i := 1; i < MaxInstructions; i++ {
			b.WriteString("RUN true\n")
		}
		if f := mustParse(t, b.String()); f.Steps != MaxInstructions {
			t.Errorf("Steps = %d, want %d", f.Steps, MaxInstructions)
		}
	})
	t.Run("larger than MaxSize", func(t *testing.T) {
		src := "FROM busybox\n" + strings.Repeat("#", MaxSize)
		e := parseErr(t, src)
		if e.Line != 0 || !strings.Contains(e.Msg, "1048576") || e.Hint == "" {
			t.Errorf("got %s, want a whole-file error naming the limit, with a hint", dump(e))
		}
	})
	t.Run("exactly MaxSize is accepted", func(t *testing.T) {
		line := "# " + strings.Repeat("x", 1021) + "\n" // 1024 bytes
		src := "FROM busybox\n" + strings.Repeat(line, MaxSize/len(line)-1)
		src += strings.Repeat("#", MaxSize-len(src))
		if len(src) != MaxSize {
			t.Fatalf("test input is %d bytes", len(src))
		}
		mustParse(t, src)
	})
}

// garbage returns n deterministic random bytes: printable text with newlines, or
// arbitrary bytes when binary is set.
func garbage(n int, binary bool) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		switch {
		case binary:
			b[i] = byte(x)
		case x%61 == 0:
			b[i] = '\n'
		default:
			b[i] = byte(' ' + x%95)
		}
	}
	return b
}

func TestParseGarbage(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
	}{
		{"1 MiB of random bytes", garbage(MaxSize, true)},
		{"1 MiB of random text", garbage(MaxSize, false)},
		{"1 MiB of text after FROM", append([]byte("FROM busybox\n"), garbage(MaxSize-13, false)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			e := parseErr(t, string(tt.src))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			t.Logf("%s: line %d: %s (hint %q)", tt.name, e.Line, e.Msg, e.Hint)
		})
	}
}

func TestParseGarbageReportsFirstBadLine(t *testing.T) {
	src := garbage(MaxSize, false)
	e := parseErr(t, string(src))
	if e.Line != 1 || !strings.Contains(e.Msg, "unknown instruction") {
		t.Errorf("got line %d %q, want the unknown instruction on line 1", e.Line, e.Msg)
	}
}

func TestParseLongLine(t *testing.T) {
	long := strings.Repeat("x", 70000)
	t.Run("after FROM: message", func(t *testing.T) {
		e := parseErr(t, "FROM busybox\nRUN "+long+"\n")
		if !strings.Contains(e.Msg, "dockerfile line greater than max allowed size of 65535") {
			t.Errorf("Msg = %q", e.Msg)
		}
	})
	t.Run("after FROM: line", func(t *testing.T) {
		if e := parseErr(t, "FROM busybox\nRUN "+long+"\n"); e.Line != 2 {
			t.Errorf("Line = %d, want 2", e.Line)
		}
	})
	t.Run("first line", func(t *testing.T) {
		e := parseErr(t, long)
		if errors.Is(e, ErrEmpty) || e.Line != 1 {
			t.Errorf("got line %d %q, want the long line reported on line 1", e.Line, e.Msg)
		}
	})
}

func TestParseOnbuild(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		line    int
		want    Instruction
		wantErr string
	}{
		{
			name: "RUN trigger", expr: "RUN echo triggered > /onbuild.txt", line: 1,
			want: Instruction{Keyword: "RUN", Original: "RUN echo triggered > /onbuild.txt", Line: 1, EndLine: 1,
				Run: &Run{CommandLine: CommandLine{Args: []string{"echo triggered > /onbuild.txt"}, Shell: true}}},
		},
		{
			name: "COPY trigger takes the FROM's line", expr: "COPY --chown=1:1 app.txt /app/", line: 7,
			want: Instruction{Keyword: "COPY", Original: "COPY --chown=1:1 app.txt /app/", Line: 7, EndLine: 7,
				Flags: []string{"--chown=1:1"},
				Copy:  &Copy{Sources: []string{"app.txt"}, Dest: "/app/", Chown: "1:1"}},
		},
		{
			name: "ENV trigger", expr: "ENV A=1", line: 3,
			want: Instruction{Keyword: "ENV", Original: "ENV A=1", Line: 3, EndLine: 3, Env: []KeyValue{{"A", "1"}}},
		},
		{
			name: "two instructions", expr: "RUN a\nRUN b", line: 4,
			wantErr: `dockerfile parse error line 4: ONBUILD trigger "RUN a\nRUN b" is not one instruction`,
		},
		{
			name: "bad trigger", expr: "COPY onlyone", line: 2,
			wantErr: "dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined",
		},
		{
			name: "unknown trigger", expr: "RUNN x", line: 2,
			wantErr: "dockerfile parse error line 2: unknown instruction: RUNN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOnbuild(tt.expr, tt.line)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v (%T), want *Error", err, err)
				}
				if e.Msg != tt.wantErr || e.Line != tt.line {
					t.Errorf("err = line %d %q, want line %d %q", e.Line, e.Msg, tt.line, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Errorf("\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

// Classic 20.10 (builder.processOnBuild) refuses these triggers when they come from a
// base image's config; Parse already refuses them in an ONBUILD line.
func TestParseOnbuildRejectsForbiddenTriggers(t *testing.T) {
	for _, expr := range []string{"FROM alpine", "ONBUILD RUN x", "MAINTAINER me"} {
		t.Run(expr, func(t *testing.T) {
			if _, err := ParseOnbuild(expr, 1); err == nil {
				t.Errorf("ParseOnbuild(%q) succeeded, want an error", expr)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	src := []byte(`# syntax is the classic one
ARG BASE=busybox:local
FROM ${BASE} AS builder
WORKDIR /src
ENV CGO_ENABLED=0 GOOS=linux
ARG VERSION=dev
COPY go.mod go.sum ./
RUN echo download \
    && echo done
COPY . .
RUN --mount=type=cache,target=/root/.cache echo build ${VERSION}
RUN echo test
LABEL org.opencontainers.image.title="demo" version="1"

FROM busybox:local
COPY --from=builder --chown=1000:1000 /src/app /usr/local/bin/app
RUN mkdir -p /data && chown 1000:1000 /data
ENV MODE=prod
EXPOSE 8080/tcp 9090
VOLUME ["/data"]
USER 1000:1000
WORKDIR /data
SHELL ["/bin/sh", "-ec"]
RUN echo shell-form > /tmp/shell.txt
HEALTHCHECK --interval=30s --timeout=3s CMD ["sh", "-c", "echo ok"]
STOPSIGNAL SIGTERM
ONBUILD RUN echo triggered
ADD --chmod=644 notes.tar.gz /notes/
RUN <<EOF
echo heredoc
EOF
ARG LOG_LEVEL=info
ENV LOG_LEVEL=${LOG_LEVEL}
ENTRYPOINT ["app"]
CMD ["serve"]
`)
	f, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	if f.Steps != 30 {
		b.Fatalf("benchmark file has %d instructions, want 30", f.Steps)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
