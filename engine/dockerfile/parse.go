package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// MaxSize is the largest Dockerfile accepted. Docker has no such limit; a teaching
// playground does not need more, and it keeps a pasted garbage file from costing much.
const MaxSize = 1 << 20

// MaxInstructions bounds the number of instructions in one file. Docker has no such
// limit, but every step makes an image whose config repeats the history of all the
// steps before it, so the metadata of a build grows with the square of its length (3,000
// `RUN true` made 421 MB). 500 is far past a teaching Dockerfile (and past the 125
// layers an image may have, build.MaxLayerDepth) and keeps a build's metadata near
// 10 MB.
const MaxInstructions = 500

// Error is a mistake in a Dockerfile. Msg is Docker 20.10's own text (what the
// classic builder's daemon answers), so a learner sees what Docker would say; Hint is
// layerlab's extra help ("did you mean RUN?"), shown beside it.
type Error struct {
	Line int // 1-based; 0 when the error is about the whole file
	Msg  string
	Hint string
}

func (e *Error) Error() string { return e.Msg }

// Is lets errors.Is match the whole-file errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrEmpty:
		return strings.HasSuffix(e.Msg, ErrEmpty.Error())
	case ErrNoStage:
		return e.Msg == ErrNoStage.Error()
	}
	return false
}

func lineError(line int, err error) *Error {
	msg := err.Error()
	hint := ""
	var unknown *instructions.UnknownInstructionError
	isUnknown := errors.As(err, &unknown)
	if i := strings.Index(msg, " (did you mean "); i >= 0 && strings.HasSuffix(msg, "?)") {
		s := msg[i+len(" (did you mean ") : len(msg)-2]
		if isUnknown {
			s = strings.ToUpper(s)
		} else if strings.Contains(msg, "flag") && !strings.HasPrefix(s, "-") {
			s = "--" + s
		}
		hint = "did you mean " + s + "?"
		msg = msg[:i]
	}
	if rest, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		// 20.10's BuildKit parser: "Unknown flag: nope" (no dashes).
		msg = "Unknown flag: " + strings.TrimLeft(rest, "-")
	}
	if isUnknown {
		// Docker 20.10 upper-cases the word it did not know ("unknown instruction: ECHO").
		msg = "unknown instruction: " + strings.ToUpper(unknown.Instruction)
	}
	return &Error{Line: line, Msg: fmt.Sprintf("dockerfile parse error line %d: %s", line, msg), Hint: hint}
}

// maxLine is the longest line BuildKit's scanner reads (bufio.MaxScanTokenSize-1).
const maxLine = 64*1024 - 1

// longLine returns the 1-based number of the first line longer than maxLine, or 0.
func longLine(src []byte) int {
	line := 1
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			i = len(src)
		}
		if i > maxLine {
			return line
		}
		if i == len(src) {
			break
		}
		src = src[i+1:]
		line++
	}
	return 0
}

// Parse reads a Dockerfile. Errors are *Error values carrying the line.
func Parse(src []byte) (*File, error) {
	if len(src) > MaxSize {
		return nil, &Error{Msg: fmt.Sprintf("failed to parse Dockerfile: the file is %d bytes; the playground accepts up to %d", len(src), MaxSize),
			Hint: "is this really a Dockerfile?"}
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, &Error{Msg: "failed to parse Dockerfile: the file contains NUL bytes", Hint: "is this really a Dockerfile? It looks like a binary file"}
	}
	if n := longLine(src); n > 0 {
		return nil, &Error{Line: n, Msg: fmt.Sprintf("failed to parse Dockerfile: dockerfile line greater than max allowed size of %d", maxLine),
			Hint: "is this really a Dockerfile? Split long lines with a backslash"}
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		if strings.Contains(err.Error(), ErrEmpty.Error()) {
			return nil, &Error{Msg: "failed to parse Dockerfile: " + ErrEmpty.Error()}
		}
		// Docker 20.10 reports the line parser's errors (the first pass) without a line
		// number in the text: "failed to parse Dockerfile: ENV must have two arguments".
		var le *parser.LocationError
		if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			return nil, &Error{Line: le.Locations[0][0].Start.Line, Msg: "failed to parse Dockerfile: " + errors.Unwrap(le).Error()}
		}
		if strings.Contains(err.Error(), ErrEmpty.Error()) {
			return nil, &Error{Msg: "failed to parse Dockerfile: " + ErrEmpty.Error()}
		}
		return nil, &Error{Msg: "failed to parse Dockerfile: " + err.Error()}
	}
	f := &File{Escape: res.EscapeToken, Lines: strings.Split(string(src), "\n")}
	for _, w := range res.Warnings {
		wl := Warning{Rule: "parser", Message: w.Short, URL: w.URL}
		if w.Location != nil {
			wl.Line, wl.EndLine = w.Location.Start.Line, w.Location.End.Line
		}
		f.Warnings = append(f.Warnings, wl)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		w := Warning{Rule: rule, Message: msg, URL: url}
		if len(loc) > 0 {
			w.Line, w.EndLine = loc[0].Start.Line, loc[len(loc)-1].End.Line
		}
		f.Warnings = append(f.Warnings, w)
	}})
	for i, n := range res.AST.Children {
		if i == MaxInstructions {
			return nil, &Error{Line: n.StartLine,
				Msg: fmt.Sprintf("failed to parse Dockerfile: line %d is instruction %d, more than %d instructions, layerlab's limit per Dockerfile (Docker has none)",
					n.StartLine, i+1, MaxInstructions),
				Hint: "join RUN steps with && and set several variables or labels in one ENV or LABEL"}
		}
		cmd, err := instructions.ParseInstructionWithLinter(n, lint)
		if err != nil {
			return nil, lineError(n.StartLine, err)
		}
		in, err := convert(n, cmd)
		if err != nil {
			return nil, lineError(n.StartLine, err)
		}
		in.Step = i + 1
		if in.From != nil {
			f.Stages = append(f.Stages, Stage{
				Name: in.From.Name, Index: len(f.Stages), Base: in.From.Image,
				Platform: in.From.Platform, From: in,
			})
			continue
		}
		if len(f.Stages) == 0 {
			if in.Arg != nil {
				f.MetaArgs = append(f.MetaArgs, in)
				continue
			}
			return nil, &Error{Line: n.StartLine, Msg: ErrNoStage.Error(), Hint: "a Dockerfile starts with FROM (only ARG may come before it)"}
		}
		st := &f.Stages[len(f.Stages)-1]
		st.Steps = append(st.Steps, in)
	}
	f.Steps = len(res.AST.Children)
	if len(f.Stages) == 0 {
		return nil, &Error{Msg: ErrNoStage.Error(), Hint: "a Dockerfile starts with FROM (only ARG may come before it)"}
	}
	return f, nil
}

// convert turns one of BuildKit's instruction values into layerlab's Instruction.
func convert(n *parser.Node, cmd any) (Instruction, error) {
	in := Instruction{
		Keyword:  strings.ToUpper(n.Value),
		Original: n.Original,
		Line:     n.StartLine,
		EndLine:  n.EndLine,
		Flags:    n.Flags,
	}
	if in.EndLine < in.Line {
		in.EndLine = in.Line
	}
	switch c := cmd.(type) {
	case *instructions.Stage:
		in.From = &From{Image: c.BaseName, Name: c.Name, Platform: c.Platform}
	case *instructions.RunCommand:
		in.Run = &Run{CommandLine: CommandLine{Args: c.CmdLine, Shell: c.PrependShell}}
		for _, f := range c.Files {
			in.Run.Heredocs = append(in.Run.Heredocs, Heredoc{Name: f.Name, Data: f.Data, Chomp: f.Chomp})
		}
		for _, fl := range n.Flags {
			if strings.HasPrefix(fl, "--mount") {
				in.Run.Mounts = append(in.Run.Mounts, fl)
			}
			if strings.HasPrefix(fl, "--network") {
				in.Run.Network = fl
			}
		}
	case *instructions.CopyCommand:
		in.Copy = &Copy{Sources: c.SourcePaths, Dest: c.DestPath, From: c.From, Chown: c.Chown, Chmod: c.Chmod, Link: c.Link}
		for _, s := range c.SourceContents {
			in.Copy.Heredocs = append(in.Copy.Heredocs, Heredoc{Name: s.Path, Data: s.Data})
		}
	case *instructions.AddCommand:
		in.Copy = &Copy{Add: true, Sources: c.SourcePaths, Dest: c.DestPath, Chown: c.Chown, Chmod: c.Chmod, Link: c.Link}
		for _, s := range c.SourceContents {
			in.Copy.Heredocs = append(in.Copy.Heredocs, Heredoc{Name: s.Path, Data: s.Data})
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			in.Env = append(in.Env, KeyValue{kv.Key, kv.Value})
		}
	case *instructions.LabelCommand:
		for _, kv := range c.Labels {
			in.Label = append(in.Label, KeyValue{kv.Key, kv.Value})
		}
	case *instructions.ArgCommand:
		for _, a := range c.Args {
			in.Arg = append(in.Arg, ArgDef{Key: a.Key, Default: a.Value})
		}
	case *instructions.CmdCommand:
		in.Cmd = &CommandLine{Args: c.CmdLine, Shell: c.PrependShell}
	case *instructions.EntrypointCommand:
		in.Cmd = &CommandLine{Args: c.CmdLine, Shell: c.PrependShell}
	case *instructions.HealthCheckCommand:
		h := &Healthcheck{}
		if c.Health == nil || (len(c.Health.Test) == 1 && c.Health.Test[0] == "NONE") {
			h.None = true
		} else {
			h.Test = c.Health.Test
			h.Interval, h.Timeout, h.StartPeriod = c.Health.Interval, c.Health.Timeout, c.Health.StartPeriod
			h.Retries = c.Health.Retries
		}
		in.Healthcheck = h
	case *instructions.ExposeCommand:
		in.Expose = c.Ports
	case *instructions.UserCommand:
		in.User = c.User
	case *instructions.VolumeCommand:
		in.Volume = c.Volumes
	case *instructions.StopSignalCommand:
		in.StopSignal = c.Signal
	case *instructions.WorkdirCommand:
		in.Workdir = c.Path
	case *instructions.ShellCommand:
		in.Shell = c.Shell
	case *instructions.OnbuildCommand:
		in.Onbuild = c.Expression
	case *instructions.MaintainerCommand:
		in.Maintainer = c.Maintainer
	default:
		return in, fmt.Errorf("unsupported instruction %s", in.Keyword)
	}
	return in, nil
}

// ParseOnbuild parses an ONBUILD trigger expression as one instruction, with the
// line of the FROM that runs it.
func ParseOnbuild(expr string, line int) (Instruction, error) {
	res, err := parser.Parse(strings.NewReader(expr))
	if err != nil {
		return Instruction{}, lineError(line, err)
	}
	if len(res.AST.Children) != 1 {
		return Instruction{}, lineError(line, fmt.Errorf("ONBUILD trigger %q is not one instruction", expr))
	}
	n := res.AST.Children[0]
	cmd, err := instructions.ParseInstruction(n)
	if err != nil {
		return Instruction{}, lineError(line, err)
	}
	in, err := convert(n, cmd)
	if err != nil {
		return Instruction{}, lineError(line, err)
	}
	switch in.Keyword {
	case "ONBUILD":
		return Instruction{}, &Error{Line: line, Msg: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"}
	case "FROM", "MAINTAINER":
		return Instruction{}, &Error{Line: line, Msg: in.Keyword + " isn't allowed as an ONBUILD trigger"}
	}
	in.Line, in.EndLine = line, line
	return in, nil
}
