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
	fs.add(&flag{name: name, short: short, usage: usage, typ: "", bool: &v})
	return &v
}

// String defines a string flag; typ is the value name help shows ("string").
func (fs *FlagSet) String(name, short, def, usage string) *string {
	v := def
	fs.add(&flag{name: name, short: short, usage: usage, typ: "string", def: def, str: &v})
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
		if f.def != "" {
			right += fmt.Sprintf(" (default %q)", f.def)
		}
		lines = append(lines, line{left, right})
		if len(left) > width {
			width = len(left)
		}
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", width, l.left, l.right)
	}
	return b.String()
}
