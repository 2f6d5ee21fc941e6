package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FlagSet parses docker's flag syntax (spf13/pflag's): --name, --name=value,
// --name value, -x, -xyz (combined booleans), -f value, -fvalue, "--" ends flags, and
// flags anywhere among the arguments. Errors are pflag's texts.
type FlagSet struct {
	cmd   string
	flags []*flag
	long  map[string]*flag
	short map[byte]*flag
}

type flag struct {
	name, short, usage, typ string
	def                     string // shown as (default "...") when not empty
	bool                    *bool
	str                     *string
	list                    *[]string
	num                     *int
	changed                 bool
}

var errHelp = errors.New("help requested")

// NewFlagSet returns an empty FlagSet for a command outside this package's registry
// (the command line's build, pull, push and login), so every command parses its flags
// the same way and words the same errors.
func NewFlagSet(cmd string) *FlagSet { return newFlagSet(cmd) }

// IsHelp reports whether Parse stopped because -h or --help asked for the usage.
func IsHelp(err error) bool { return err == errHelp }

func newFlagSet(cmd string) *FlagSet {
	return &FlagSet{cmd: cmd, long: map[string]*flag{}, short: map[byte]*flag{}}
}

func (fs *FlagSet) add(f *flag) {
	fs.flags = append(fs.flags, f)
	fs.long[f.name] = f
	if f.short != "" {
		fs.short[f.short[0]] = f
	}
}

// Bool defines a boolean flag.
func (fs *FlagSet) Bool(name, short string, def bool, usage string) *bool {
	v := def
	f := &flag{name: name, short: short, usage: usage, typ: "", bool: &v}
	if def {
		f.def = "true" // pflag shows a bool's default only when it is true, unquoted
	}
	fs.add(f)
	return &v
}

// String defines a string flag; typ is the value name help shows ("string").
func (fs *FlagSet) String(name, short, def, usage string) *string {
	v := def
	fs.add(&flag{name: name, short: short, usage: usage, typ: "string", def: def, str: &v})
	return &v
}

// Int defines an integer flag.
func (fs *FlagSet) Int(name, short string, def int, usage string) *int {
	v := def
	fs.add(&flag{name: name, short: short, usage: usage, typ: "int", def: strconv.Itoa(def), num: &v})
	return &v
}

// List defines a repeatable flag ("filter", "list").
func (fs *FlagSet) List(name, short, typ, usage string) *[]string {
	var v []string
	fs.add(&flag{name: name, short: short, usage: usage, typ: typ, list: &v})
	return &v
}

// Changed reports whether the flag was given.
func (fs *FlagSet) Changed(name string) bool {
	f, ok := fs.long[name]
	return ok && f.changed
}

func (f *flag) set(v string, hasValue bool) error {
	f.changed = true
	switch {
	case f.bool != nil:
		if !hasValue {
			*f.bool = true
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"%s\" flag: %v", v, f.display(), err)
		}
		*f.bool = b
	case f.str != nil:
		*f.str = v
	case f.list != nil:
		*f.list = append(*f.list, v)
	case f.num != nil:
		n, err := strconv.ParseInt(v, 0, 64)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"%s\" flag: %v", v, f.display(), err)
		}
		*f.num = int(n)
	}
	return nil
}

func (f *flag) display() string {
	if f.short != "" {
		return "-" + f.short + ", --" + f.name
	}
	return "--" + f.name
}

// Parse parses args and returns the positional arguments.
func (fs *FlagSet) Parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			if name == "help" {
				return nil, errHelp
			}
			f, ok := fs.long[name]
			if !ok {
				return nil, fmt.Errorf("unknown flag: --%s", name)
			}
			if f.bool == nil && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("flag needs an argument: --%s", name)
				}
				i++
				val, hasVal = args[i], true
			}
			if err := f.set(val, hasVal); err != nil {
				return nil, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j]
				if c == 'h' {
					return nil, errHelp
				}
				f, ok := fs.short[c]
				if !ok {
					return nil, fmt.Errorf("unknown shorthand flag: '%c' in %s", c, a)
				}
				if f.bool != nil {
					if j+1 < len(a) && a[j+1] == '=' {
						if err := f.set(a[j+2:], true); err != nil {
							return nil, err
						}
						break // -x=value takes the rest of the argument
					}
					f.set("", false)
					continue
				}
				val := a[j+1:]
				val = strings.TrimPrefix(val, "=")
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("flag needs an argument: '%c' in -%c", c, c)
					}
					i++
					val = args[i]
				}
				if err := f.set(val, true); err != nil {
					return nil, err
				}
				break
			}
		default:
			pos = append(pos, a)
		}
	}
	return pos, nil
}

// Usage lists the flags as docker's --help does.
func (fs *FlagSet) Usage() string {
	type line struct{ left, right string }
	var lines []line
	width := 0
	for _, f := range fs.flags {
		left := "      --" + f.name
		if f.short != "" {
			left = "  -" + f.short + ", --" + f.name
		}
		if f.typ != "" {
			left += " " + f.typ
		}
		right := f.usage
		switch {
		case f.def != "" && (f.bool != nil || f.num != nil):
			right += " (default " + f.def + ")"
		case f.def != "":
			right += fmt.Sprintf(" (default %q)", f.def)
		}
		lines = append(lines, line{left, right})
		if len(left) > width {
			width = len(left)
		}
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", width, l.left, wrapUsage(width+3, usageColumns, l.right))
	}
	return b.String()
}

// usageColumns is the width docker's help wraps flag usages to: the terminal's width
// less one, 80 when it has none (docker's wrappedFlagUsages), as in a pipe or here.
const usageColumns = 79

// wrapUsage wraps a flag's usage text s, which starts at column indent, to cols
// columns as pflag's FlagUsagesWrapped does (the same break points, so help texts
// match docker's line for line): a line may run 5 columns over rather than leave a
// short last word, and a continuation starts at indent.
func wrapUsage(indent, cols int, s string) string {
	const slop = 5
	width := cols - indent
	pad := "\n" + strings.Repeat(" ", indent)
	if width < 24 {
		return strings.ReplaceAll(s, "\n", pad) // too narrow to wrap: pflag does not try
	}
	width -= slop
	var b strings.Builder
	for first := true; s != "" || first; first = false {
		var line string
		line, s = wrapLine(width, slop, s)
		if !first {
			b.WriteString(pad)
		}
		b.WriteString(strings.ReplaceAll(line, "\n", pad))
	}
	return b.String()
}

// wrapLine cuts s at the last blank before column i (a newline before that blank
// wins), unless all of s fits within i+slop; it returns the line and the rest.
func wrapLine(i, slop int, s string) (string, string) {
	if i+slop > len(s) {
		return s, ""
	}
	w := strings.LastIndexAny(s[:i], " \t\n")
	if w <= 0 {
		return s, ""
	}
	if nl := strings.LastIndex(s[:i], "\n"); nl > 0 && nl < w {
		return s[:nl], s[nl+1:]
	}
	return s[:w], s[w+1:]
}
