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

	"github.com/distribution/reference"

	"layerlab/engine/build"
	"layerlab/engine/image"
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

// templateFuncs are the functions docker's --format templates have
// (github.com/docker/cli/templates basicFunctions); println and the rest of
// text/template's builtins come with the package.
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSpace(buf.String())
	},
	"split": strings.Split,
	"join":  strings.Join,
	//lint:ignore SA1019 Docker's template function is strings.Title, word boundaries included
	"title":    strings.Title,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateWithLength,
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

func padWithSpace(source string, prefix, suffix int) string {
	if source == "" {
		return source
	}
	return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix)
}

func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length]
}

// parseTemplate parses a user's --format template with docker's functions.
func parseTemplate(format string) (*template.Template, error) {
	return template.New("").Funcs(templateFuncs).Parse(format)
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
	_ = tmpl.Funcs(headerFuncs).Execute(&head, header)
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

// templateT is a parsed --format template.
type templateT = template.Template
