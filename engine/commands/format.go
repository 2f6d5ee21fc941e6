package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/distribution/reference"

	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/sandbox"
)

// This file holds what the listing commands share with each other (and with rmi,
// prune and tag): docker's --format machinery, its table layout, flag access and the
// "No such image" error.

// Flag values by long name. The run functions receive the parsed FlagSet, not the
// pointers their flags function made, so they read the values back here.

func flagBool(fs *FlagSet, name string) bool {
	if f := fs.long[name]; f != nil && f.bool != nil {
		return *f.bool
	}
	return false
}

func flagString(fs *FlagSet, name string) string {
	if f := fs.long[name]; f != nil && f.str != nil {
		return *f.str
	}
	return ""
}

func flagList(fs *FlagSet, name string) []string {
	if f := fs.long[name]; f != nil && f.list != nil {
		return *f.list
	}
	return nil
}

// imageNotFoundError is the daemon's ErrImageDoesNotExist: "No such image: <name>".
// Commands prefix it as docker does ("Error response from daemon: " for history and
// image ls filters). rmi has its own (remove.go's missingImageError).
type imageNotFoundError struct{ name string }

func (e imageNotFoundError) Error() string { return "No such image: " + e.name }

// Is makes it ErrNotFound, and build.ErrNotFound as the store's own not-found is.
func (e imageNotFoundError) Is(target error) bool {
	return target == ErrNotFound || target == build.ErrNotFound
}

// daemonRefName is how the daemon names a reference in "No such image": parsed as
// reference.ParseAnyReference does, ":latest" added to a name without tag or digest
// ("nope" -> "nope:latest"; a full "sha256:<hex>" ID stays as it is). An unparsable
// one gives the parse error as Docker 20.10 words it (refError, ErrInvalid), which the
// daemon returns instead.
func daemonRefName(s string) (string, error) {
	ref, err := reference.ParseAnyReference(s)
	if err != nil {
		return "", refError(err)
	}
	if n, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(n)
	}
	return reference.FamiliarString(ref), nil
}

// lookupImage resolves a reference as the daemon's GetImage does (name[:tag],
// name@digest, full ID or unique ID prefix). An unknown one gives an
// imageNotFoundError worded as the daemon words it; an invalid one the parse error.
func lookupImage(ctx context.Context, st Store, ref string) (*image.Record, error) {
	name, err := daemonRefName(ref)
	if err != nil {
		return nil, err
	}
	rec, err := st.Lookup(ctx, ref)
	if errors.Is(err, build.ErrNotFound) {
		return nil, imageNotFoundError{name: name}
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// daemonError prints an error the way the CLI prints one the daemon returned and
// gives the exit status (1) and the error (of err's class).
func daemonError(env *Env, err error) (int, error) {
	return failed(env, 1, &daemonErr{err: err})
}

// flagValueError prints pflag's message for a flag value its setter refused (exit 125,
// ErrUsage), e.g. `invalid argument "x" for "-f, --filter" flag: bad format of filter ...`.
func flagValueError(env *Env, fs *FlagSet, name, value string, err error) (int, error) {
	disp := "--" + name
	if f := fs.long[name]; f != nil {
		disp = f.display()
	}
	// %v: the value's own class (ErrInvalid) is not this error's; the command line is wrong.
	return failed(env, 125, usageErrorf("invalid argument %q for \"%s\" flag: %v\nSee '%s %s --help'.", value, disp, err, env.prog(), fs.cmd))
}

// headerFuncs replace the functions when a table's header row is rendered: the header
// context is a map of column titles, and `{{upper .ID}}` must print "IMAGE ID" as is.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length] // a substring: nothing is allocated, whatever length says
}

// parseTemplate parses a user's --format template with docker's functions, bound to a
// budget of its own: everything one command renders with it shares formatLimits.
func parseTemplate(format string) (*templateT, error) {
	return parseTemplateLimits(format, formatLimits)
}

func parseTemplateLimits(format string, lim templateLimits) (*templateT, error) {
	b := &templateBudget{lim: lim}
	t, err := template.New("").Funcs(b.funcs()).Parse(format)
	if err != nil {
		return nil, err
	}
	instrument(t)
	return &templateT{t: t, b: b}, nil
}

const tableFormatKey = "table"

// isTableFormat reports whether a --format asks for a table with a header row.
func isTableFormat(format string) bool { return strings.HasPrefix(format, tableFormatKey) }

// newTableWriter is the tabwriter every docker table uses: cells at least 10 wide,
// three spaces between columns.
func newTableWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
}

// writeFormatted renders rows with a --format string as docker's formatter.Context
// does: "table" formats get a header row (the template run over header, a map of column
// titles) and tabwriter alignment; `\t` and `\n` written literally become tab and
// newline. Nothing is written if a row fails to render.
func writeFormatted(w io.Writer, format string, header map[string]string, rows []any) error {
	final := format
	table := isTableFormat(format)
	if table {
		final = final[len(tableFormatKey):]
	}
	final = strings.Trim(final, " ")
	final = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(final)
	tmpl, err := parseTemplate(final)
	if err != nil {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return withClass(ErrTemplate, fmt.Errorf("Template parsing error: %w\n", err))
	}
	var buf bytes.Buffer
	for _, r := range rows {
		if err := tmpl.Execute(&buf, r); err != nil {
			return withClass(ErrTemplate, fmt.Errorf("template parsing error: %w", err))
		}
		buf.WriteString("\n")
	}
	if !table {
		_, err := buf.WriteTo(w)
		return err
	}
	tw := newTableWriter(w)
	var head bytes.Buffer
	// docker ignores a header that does not render (a field the header map lacks).
	tmpl.t.Funcs(headerFuncs)
	_ = tmpl.Execute(&head, header)
	head.WriteString("\n")
	tw.Write(head.Bytes())
	buf.WriteTo(tw)
	return tw.Flush()
}

// truncID is docker's stringid.TruncateID: the hex after any "algo:" prefix, at most 12
// characters ("<missing>" stays as it is).
func truncID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// ellipsis is docker's stringutils.Ellipsis: at most maxlen runes, the last one "…"
// when s was cut.
func ellipsis(s string, maxlen int) string {
	r := []rune(s)
	if len(r) <= maxlen {
		return s
	}
	if maxlen <= 3 {
		return string(r[:maxlen])
	}
	return string(r[:maxlen-1]) + "…"
}

// templateLimits bound what one command's --format template may cost. Docker has no
// such limits; without them `{{pad "x" 1000000000 0}}` or `{{range 1000000000}}` takes
// the whole server's memory or a core. The errors name the limit, its number and what
// to change.
type templateLimits struct {
	MaxOutput int64         // bytes the template writes, over all rows
	MaxMade   int64         // bytes of the strings its functions make (pad, printf, json, ...)
	MaxSteps  int64         // range iterations plus template calls
	Timeout   time.Duration // wall time of the command's template work
}

// formatLimits are far past what a listing of a class's images needs (thousands of
// rows of a few hundred bytes each).
var formatLimits = templateLimits{MaxOutput: 16 << 20, MaxMade: 64 << 20, MaxSteps: 1_000_000, Timeout: 5 * time.Second}

// templateT is a parsed --format template with the budget its functions and writes
// spend.
type templateT struct {
	t *template.Template
	b *templateBudget
}

// Execute runs the template as text/template does, writing through the budget.
func (t *templateT) Execute(w io.Writer, data any) error {
	return t.t.Execute(&budgetWriter{w: w, b: t.b}, data)
}

// Option sets text/template options (missingkey=error) and returns t.
func (t *templateT) Option(opt ...string) *templateT {
	t.t.Option(opt...)
	return t
}

// templateBudget is what one command's template has spent. Functions check it
// before they build a string (an estimate from their arguments) and add what they
// made; the writer counts output; ticks count loop iterations and template calls.
type templateBudget struct {
	lim              templateLimits
	made, out, steps int64
	depth            int // templates being executed, nested
	start            time.Time
}

func (b *templateBudget) clock() error {
	if b.start.IsZero() {
		b.start = time.Now()
		return nil
	}
	if time.Since(b.start) > b.lim.Timeout {
		return fmt.Errorf("the template ran past layerlab's limit of %s per command (Docker has none); make it loop less", b.lim.Timeout)
	}
	return nil
}

// spend checks that n more bytes of made strings fit, and counts them.
func (b *templateBudget) spend(fn string, n int64) error {
	if n < 0 || b.made+n > b.lim.MaxMade {
		return fmt.Errorf("%s would make %d bytes, past layerlab's limit of %s of text a --format template may make per command (Docker has none); ask for less", fn, n, humanBytes(b.lim.MaxMade))
	}
	b.made += n
	return nil
}

// fits checks an estimate without counting it (the real size is counted after).
func (b *templateBudget) fits(fn string, n int64) error {
	if n < 0 || b.made+n > b.lim.MaxMade {
		return fmt.Errorf("%s would make about %d bytes, past layerlab's limit of %s of text a --format template may make per command (Docker has none); ask for less", fn, n, humanBytes(b.lim.MaxMade))
	}
	return nil
}

// tick counts one range iteration or template call; the time is read every 256.
func (b *templateBudget) tick() (string, error) {
	b.steps++
	if b.steps > b.lim.MaxSteps {
		return "", fmt.Errorf("the template took more than layerlab's limit of %d range iterations and template calls per command (Docker has none); make it loop less", b.lim.MaxSteps)
	}
	if b.steps&255 == 1 {
		if err := b.clock(); err != nil {
			return "", err
		}
	}
	return "", nil
}

// humanBytes is a limit as the README states it: "64 MiB" (sandbox.SizeText).
func humanBytes(n int64) string { return sandbox.SizeText(n) }

// budgetWriter refuses a write past MaxOutput before passing it on.
type budgetWriter struct {
	w io.Writer
	b *templateBudget
}

func (w *budgetWriter) Write(p []byte) (int, error) {
	if w.b.out+int64(len(p)) > w.b.lim.MaxOutput {
		return 0, fmt.Errorf("the template's output passed layerlab's limit of %s per command (Docker has none); print less", humanBytes(w.b.lim.MaxOutput))
	}
	w.b.out += int64(len(p))
	return w.w.Write(p)
}

// The functions instrument puts into a parsed template: a tick at the top of every
// range body, enter and leave around the body of every template.
const (
	tickFunc  = "layerlabTick"
	enterFunc = "layerlabEnter"
	leaveFunc = "layerlabLeave"
)

// maxTemplateDepth bounds how deep templates call each other: text/template's own
// bound is 100000, which takes 130 MB of stack to reach.
const maxTemplateDepth = 1000

// funcs are the functions docker's --format templates have (github.com/docker/cli/templates
// basicFunctions), and text/template's builtins that make strings (print, printf,
// println, html, js, urlquery), bound to b: each checks b before it builds a string.
func (b *templateBudget) funcs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			if err := b.fits("json", 6*textSize(v)); err != nil {
				return "", err
			}
			buf := &bytes.Buffer{}
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(v)
			s := strings.TrimSpace(buf.String())
			return s, b.spend("json", int64(len(s)))
		},
		"split": func(s, sep string) ([]string, error) {
			n := int64(len(s)) + 1
			if sep != "" {
				n = int64(strings.Count(s, sep)) + 1
			}
			// Each part is a string header; the parts share s's bytes.
			if err := b.spend("split", 16*n); err != nil {
				return nil, err
			}
			return strings.Split(s, sep), nil
		},
		"join": func(a []string, sep string) (string, error) {
			n := int64(len(sep)) * int64(max(len(a)-1, 0))
			for _, s := range a {
				n += int64(len(s))
			}
			if err := b.spend("join", n); err != nil {
				return "", err
			}
			return strings.Join(a, sep), nil
		},
		//lint:ignore SA1019 Docker's template function is strings.Title, word boundaries included
		"title": b.mapping("title", strings.Title),
		"lower": b.mapping("lower", strings.ToLower),
		"upper": b.mapping("upper", strings.ToUpper),
		"pad": func(source string, prefix, suffix int) (string, error) {
			if source == "" {
				return source, nil
			}
			if prefix < 0 || suffix < 0 {
				// strings.Repeat's panic, as Docker's pad gives it (text/template
				// reports it as the call's error).
				return strings.Repeat(" ", min(prefix, suffix)), nil
			}
			if err := b.spend("pad", int64(prefix)+int64(len(source))+int64(suffix)); err != nil {
				return "", err
			}
			return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix), nil
		},
		"truncate": truncateWithLength,
		"print": func(args ...any) (string, error) {
			return b.sprint("print", fmt.Sprint, args)
		},
		"println": func(args ...any) (string, error) {
			return b.sprint("println", fmt.Sprintln, args)
		},
		"printf": func(format string, args ...any) (string, error) {
			if err := b.fits("printf", printfSize(format, args)); err != nil {
				return "", err
			}
			s := fmt.Sprintf(format, args...)
			return s, b.spend("printf", int64(len(s)))
		},
		"html":     b.escaper("html", 6, template.HTMLEscaper),
		"js":       b.escaper("js", 6, template.JSEscaper),
		"urlquery": b.escaper("urlquery", 3, template.URLQueryEscaper),
		tickFunc:   b.tick,
		enterFunc: func() (string, error) {
			if b.depth++; b.depth > maxTemplateDepth {
				return "", fmt.Errorf("templates call each other more than %d deep, layerlab's limit (Docker's text/template allows 100000)", maxTemplateDepth)
			}
			return b.tick()
		},
		leaveFunc: func() string { b.depth--; return "" },
	}
}

// mapping wraps a case function: a rune's other case is at most 3 bytes longer here.
func (b *templateBudget) mapping(name string, f func(string) string) func(string) (string, error) {
	return func(s string) (string, error) {
		if err := b.fits(name, 3*int64(len(s))); err != nil {
			return "", err
		}
		out := f(s)
		return out, b.spend(name, int64(len(out)))
	}
}

func (b *templateBudget) sprint(name string, f func(...any) string, args []any) (string, error) {
	var n int64
	for _, a := range args {
		n += textSize(a) + 1
	}
	if err := b.fits(name, n); err != nil {
		return "", err
	}
	s := f(args...)
	return s, b.spend(name, int64(len(s)))
}

// escaper wraps text/template's escapers; grow is the most one byte becomes.
func (b *templateBudget) escaper(name string, grow int64, f func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		var n int64
		for _, a := range args {
			n += textSize(a)
		}
		if err := b.fits(name, grow*n); err != nil {
			return "", err
		}
		s := f(args...)
		return s, b.spend(name, int64(len(s)))
	}
}

// textSize is the length of the text an argument holds when it is a string or bytes
// (what a template can make big); other values come from the image records, whose size
// the store bounds.
func textSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case []byte:
		return int64(len(v))
	case []string:
		var n int64
		for _, s := range v {
			n += int64(len(s)) + 3
		}
		return n
	}
	return 0
}

// fmtTooLarge is fmt's own bound on a width or precision: past it fmt prints
// %!(BADWIDTH) or %!(BADPREC) instead of padding.
const fmtTooLarge = 1_000_000

// printfSize estimates what fmt.Sprintf(format, args...) makes, before it makes it: the
// format's length plus, for each verb, the larger of its width and precision (digits or
// a `*` argument, as fmt bounds them) and the size of its argument when that is text
// (%x and %q of text at most double or sextuple it).
func printfSize(format string, args []any) int64 {
	n := int64(len(format))
	argNum := 0
	argAt := func(i int) any {
		if i >= 0 && i < len(args) {
			return args[i]
		}
		return nil
	}
	num := func(i int) (int64, int) { // digits at format[i:]
		var v int64
		j := i
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			if v <= fmtTooLarge {
				v = v*10 + int64(format[j]-'0')
			}
			j++
		}
		if v > fmtTooLarge {
			v = 0
		}
		return v, j
	}
	index := func(i int) int { // an [n] argument index at format[i:]
		if i < len(format) && format[i] == '[' {
			if v, j := num(i + 1); j < len(format) && format[j] == ']' {
				argNum = int(v) - 1
				return j + 1
			}
		}
		return i
	}
	star := func() int64 {
		v := argAt(argNum)
		argNum++
		var w int64
		switch v := v.(type) {
		case int:
			w = int64(v)
		case int64:
			w = v
		case int32:
			w = int64(v)
		case uint:
			w = int64(min(v, fmtTooLarge+1))
		case uint64:
			w = int64(min(v, fmtTooLarge+1))
		}
		if w < 0 {
			w = -w
		}
		if w > fmtTooLarge {
			w = 0
		}
		return w
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		var width, prec int64
		i = index(i)
		if i < len(format) && format[i] == '*' {
			width = star()
			i++
		} else {
			width, i = num(i)
		}
		if i < len(format) && format[i] == '.' {
			i = index(i + 1)
			if i < len(format) && format[i] == '*' {
				prec = star()
				i++
			} else {
				prec, i = num(i)
			}
		}
		i = index(i)
		if i >= len(format) {
			break
		}
		verb := format[i]
		if verb == '%' {
			continue
		}
		size := textSize(argAt(argNum))
		switch verb {
		case 'x', 'X':
			size *= 3 // "% x" puts a space between the pairs
		case 'q':
			size *= 6
		}
		argNum++
		n += max(width, prec) + size + 32
	}
	return n
}

// instrument puts a tick at the top of every range body (so {{range 1000000000}}
// counts) and enter/leave around every template's body (so recursion through
// {{template}} counts, and its depth is known): the two ways a template can run long
// without writing anything.
func instrument(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		tr := tt.Tree
		walkRanges(tr, tr.Root)
		tr.Root.Nodes = append([]parse.Node{callNode(tr, tr.Root.Pos, enterFunc)}, tr.Root.Nodes...)
		tr.Root.Nodes = append(tr.Root.Nodes, callNode(tr, tr.Root.Pos, leaveFunc))
	}
}

func walkRanges(tr *parse.Tree, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkRanges(tr, c)
		}
	case *parse.RangeNode:
		walkRanges(tr, n.List)
		walkRanges(tr, n.ElseList)
		if n.List != nil {
			n.List.Nodes = append([]parse.Node{callNode(tr, n.Pos, tickFunc)}, n.List.Nodes...)
		}
	case *parse.IfNode:
		walkRanges(tr, n.List)
		walkRanges(tr, n.ElseList)
	case *parse.WithNode:
		walkRanges(tr, n.List)
		walkRanges(tr, n.ElseList)
	}
}

// callNode is {{fn}}: an action that prints nothing (fn returns "").
func callNode(tr *parse.Tree, pos parse.Pos, fn string) parse.Node {
	id := parse.NewIdentifier(fn).SetTree(tr).SetPos(pos)
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{id}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{cmd}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: pipe}
}
