package langcatalog

import (
	"errors"
	"testing"
)

func TestPyHistoryLoads(t *testing.T) {
	h, err := pyHistory()
	if err != nil {
		t.Fatal(err)
	}
	if len(h) < 40 {
		t.Errorf("history of %d packages, want the top ~40", len(h))
	}
	for name, rs := range h {
		p, ok := Lookup(PyPI, name)
		if !ok {
			t.Errorf("%s: has a Requires-Python history but no catalog entry", name)
			continue
		}
		// the last window is the catalog's release, so a release newer than the
		// catalog knows is never given a guessed Requires-Python
		if last := rs[len(rs)-1].Version; last != p.Version {
			t.Errorf("%s: last window release %s, catalog %s", name, last, p.Version)
		}
	}
}

func TestAdmitsPython(t *testing.T) {
	tests := []struct {
		name, spec, python string
		want               bool
	}{
		{name: "none declared", spec: "", python: "2.7.18", want: true},
		{name: "lower bound", spec: ">=3.7", python: "3.6.9", want: false},
		{name: "lower bound met", spec: ">=3.6", python: "3.6.9", want: true},
		{name: "patch level bound", spec: ">=3.6.1", python: "3.6.0", want: false},
		{name: "excluded series", spec: ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*", python: "3.4.10", want: false},
		{name: "excluded series not this one", spec: ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*", python: "3.11.4", want: true},
		{name: "upper bound", spec: ">=3.7,<3.11", python: "3.11.4", want: false},
		{name: "compatible release", spec: "~=3.8", python: "3.12.1", want: true},
		{name: "x.y interpreter", spec: ">=3.9", python: "3.9", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AdmitsPython(tt.spec, tt.python); got != tt.want {
				t.Errorf("AdmitsPython(%q, %q) = %v, want %v", tt.spec, tt.python, got, tt.want)
			}
		})
	}
}

func TestResolvePython(t *testing.T) {
	tests := []struct {
		name, pkg, constraint, python string
		want                          string // the version picked; "" for a refusal
		ignored                       int    // at least this many ignored releases listed
	}{
		{name: "pipenv on bionic", pkg: "pipenv", python: "3.6.9", want: "2022.4.8"},
		{name: "pipenv on buster", pkg: "pipenv", python: "3.7.3", want: "2023.10.3"},
		{name: "pipenv today", pkg: "pipenv", python: "3.11.2", want: "2024.4.1"},
		{name: "django 3.6", pkg: "Django", python: "3.6.9", want: "3.2.25"},
		{name: "django 3.7", pkg: "django", python: "3.7.3", want: "3.2.25"},
		{name: "django 3.9", pkg: "django", python: "3.9.2", want: "4.2.19"},
		{name: "django range below catalog", pkg: "django", constraint: "<4.1", python: "3.9.2", want: "4.0.9"},
		{name: "numpy 3.6", pkg: "numpy", python: "3.6.9", want: "1.19.5"},
		{name: "numpy 3.7", pkg: "numpy", python: "3.7.17", want: "1.21.6"},
		{name: "numpy 3.8", pkg: "numpy", python: "3.8.10", want: "1.24.4"},
		{name: "pip 3.6", pkg: "pip", python: "3.6.9", want: "21.3.1"},
		{name: "pip 3.7", pkg: "pip", python: "3.7.3", want: "24.0"},
		{name: "setuptools 3.6", pkg: "setuptools", python: "3.6.9", want: "59.6.0"},
		{name: "poetry 3.6", pkg: "poetry", python: "3.6.9", want: "1.1.15"},
		{name: "poetry 3.7", pkg: "poetry", python: "3.7.3", want: "1.5.1"},
		{name: "poetry 3.8", pkg: "poetry", python: "3.8.10", want: "1.8.5"},
		{name: "poetry 3.9", pkg: "poetry", python: "3.9.21", want: "2.1.1"},
		{name: "poetry 1.x pin on 3.8", pkg: "poetry", constraint: "<2", python: "3.8.10", want: "1.8.5"},
		{name: "pin admitted", pkg: "django", constraint: "==2.2.10", python: "3.6.9", want: "2.2.10"},
		{name: "pin refused", pkg: "numpy", constraint: "==1.22.0", python: "3.6.9", ignored: 4},
		{name: "range refused", pkg: "django", constraint: ">=4", python: "3.7.3", ignored: 2},
		{name: "unknown history keeps today's pick", pkg: "starlette", python: "3.6.9", want: "0.45.3"},
		{name: "no interpreter known", pkg: "django", want: "5.1.6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ResolvePython(tt.pkg, tt.constraint, tt.python)
			if tt.want != "" {
				if err != nil || p.Version != tt.want {
					t.Fatalf("got %q, %v; want %s", p.Version, err, tt.want)
				}
				return
			}
			var pm *PythonMismatchError
			if !errors.As(err, &pm) || !errors.Is(err, ErrNoVersion) {
				t.Fatalf("got %q, %v; want a Requires-Python refusal", p.Version, err)
			}
			if len(pm.Ignored) < tt.ignored {
				t.Errorf("ignored %v, want at least %d", pm.Ignored, tt.ignored)
			}
			for _, r := range pm.Ignored {
				if AdmitsPython(r.RequiresPython, tt.python) {
					t.Errorf("ignored %s admits %s", r.Version, tt.python)
				}
			}
			for _, v := range pm.Admitted {
				if rp, _ := RequiresPython(tt.pkg, v); !AdmitsPython(rp, tt.python) {
					t.Errorf("admitted %s does not admit %s", v, tt.python)
				}
			}
		})
	}
}
