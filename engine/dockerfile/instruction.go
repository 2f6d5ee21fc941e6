// Package dockerfile parses a Dockerfile with moby/buildkit's parser and turns it into
// layerlab's own instructions, each with its source line range. BuildKit's types stay
// inside this package: the builder sees only File, Stage and Instruction.
package dockerfile

import (
	"time"
)

// File is a parsed Dockerfile.
type File struct {
	Stages   []Stage
	MetaArgs []Instruction // ARG instructions before the first FROM
	Warnings []Warning
	// Steps is the number of instructions in the file, FROM and ARG-before-FROM
	// included: the N of the classic builder's "Step i/N".
	Steps  int
	Escape rune
	// Lines is the source split into lines, for showing an error beside its line.
	Lines []string
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	Name     string // "AS name", lower-cased; "" when unnamed
	Index    int    // 0-based position in the file
	Base     string // the FROM image or stage name, not yet expanded
	Platform string
	From     Instruction
	Steps    []Instruction
}

// Warning is a lint finding with its place.
type Warning struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
	URL     string `json:"url,omitempty"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line"`
}

// Instruction is one build step as written.
type Instruction struct {
	Keyword  string // upper-case: RUN, COPY, ...
	Original string // the instruction text, continuation lines joined as the parser does
	Line     int    // first line, 1-based
	EndLine  int    // last line (continuations, heredocs)
	Step     int    // 1-based position among all instructions of the file
	Flags    []string

	// Exactly one of these is set, by Keyword.
	From        *From
	Run         *Run
	Copy        *Copy // COPY and ADD
	Env         []KeyValue
	Label       []KeyValue
	Arg         []ArgDef
	Cmd         *CommandLine // CMD and ENTRYPOINT
	Healthcheck *Healthcheck
	Expose      []string
	User        string
	Volume      []string
	StopSignal  string
	Workdir     string
	Shell       []string
	Onbuild     string // the trigger expression
	Maintainer  string
}

// From is a FROM instruction.
type From struct {
	Image    string // unexpanded
	Name     string
	Platform string
}

// KeyValue is one NAME=value of ENV or LABEL.
type KeyValue struct {
	Key, Value string
}

// ArgDef is one ARG declaration; Default is nil when the ARG has no "=value".
type ArgDef struct {
	Key     string
	Default *string
}

// Heredoc is inline file content (`RUN <<EOF`, `COPY <<EOF dest`).
type Heredoc struct {
	Name  string
	Data  string
	Chomp bool
}

// Run is a RUN instruction.
type Run struct {
	CommandLine
	Heredocs []Heredoc
	Mounts   []string // --mount flags as written (BuildKit only)
	Network  string
}

// CommandLine is a shell-form or exec-form command.
type CommandLine struct {
	Args []string // shell form: one element, the command text
	// Shell is true for shell form: the stage's SHELL is prepended.
	Shell bool
}

// Copy is COPY or ADD.
type Copy struct {
	Add      bool
	Sources  []string
	Dest     string
	From     string
	Chown    string
	Chmod    string
	Link     bool
	Heredocs []Heredoc
}

// Healthcheck is HEALTHCHECK; None is HEALTHCHECK NONE.
type Healthcheck struct {
	None        bool
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}
