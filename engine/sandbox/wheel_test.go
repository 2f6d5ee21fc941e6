package sandbox

import (
	"sort"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, f *rootfs.FS, dir string) []string {
	t.Helper()
	names, err := f.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	sort.Strings(names)
	return names
}

func TestPipWheel(t *testing.T) {
	req := func(tb testing.TB) *rootfs.FS {
		f := pythonFS(tb)
		put(tb, f, "/tmp/requirements.txt", "gunicorn==23.0.0\n", 0o644)
		put(tb, f, "/src/proj/pyproject.toml", "[project]\nname = \"My-Proj\"\nversion = \"1.2.0\"\ndependencies = [\"click\"]\n", 0o644)
		put(tb, f, "/src/proj/my_proj/__init__.py", "print('v1')\n", 0o644)
		return f
	}
	tests := []struct {
		name     string
		script   string
		wantCode int
		files    map[string][]string // dir -> exact sorted listing
		wantHas  []string
		notHas   []string
		check    func(t *testing.T, f *rootfs.FS)
	}{
		{name: "wheels of a resolution into a directory", script: "pip wheel --wheel-dir /wheels flask uwsgi numpy==2.2.3 cryptography -r /tmp/requirements.txt",
			files: map[string][]string{"/wheels": {
				"blinker-1.9.0-py3-none-any.whl", "cffi-1.17.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"click-8.1.8-py3-none-any.whl", "cryptography-44.0.1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"flask-3.1.0-py3-none-any.whl", "gunicorn-23.0.0-py3-none-any.whl", "itsdangerous-2.2.0-py3-none-any.whl",
				"jinja2-3.1.5-py3-none-any.whl", "markupsafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"numpy-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "packaging-24.2-py3-none-any.whl",
				"pycparser-2.22-py3-none-any.whl", "uwsgi-2.0.28-cp311-cp311-linux_x86_64.whl", "werkzeug-3.1.3-py3-none-any.whl"}},
			wantHas: []string{"Collecting flask\n", "Saved /wheels/flask-3.1.0-py3-none-any.whl\n", "Building wheels for collected packages: uwsgi\n",
				"Created wheel for uwsgi: filename=uwsgi-2.0.28-cp311-cp311-linux_x86_64.whl", "Successfully built uwsgi\n"},
			notHas: []string{"Successfully installed"},
			check: func(t *testing.T, f *rootfs.FS) {
				if _, _, err := f.Stat("/usr/local/lib/python3.11/site-packages/flask"); err == nil {
					t.Error("pip wheel installed flask")
				}
			}},
		{name: "no deps, default directory", script: "mkdir /w && cd /w && pip wheel --no-deps flask",
			files: map[string][]string{"/w": {"flask-3.1.0-py3-none-any.whl"}}},
		{name: "typo refused as install refuses it", script: "pip wheel -w /wheels djnago", wantCode: 1,
			wantHas: []string{"ERROR: Could not find a version that satisfies the requirement djnago (from versions: none)"}},
		{name: "synthesized as install synthesizes", script: "pip wheel -w /wheels layerlab-test-pkg",
			wantHas: []string{"a stand-in synthesized from its name"}},
		{name: "a local project", script: "pip wheel --no-deps -w /wheels /src/proj",
			files:   map[string][]string{"/wheels": {"my_proj-1.2.0-py3-none-any.whl"}},
			wantHas: []string{"Created wheel for my-proj: filename=my_proj-1.2.0-py3-none-any.whl"}},
		{name: "install from the wheels without an index", script: "pip wheel -q -w /wheels flask && pip install --no-index --find-links=/wheels flask",
			wantHas: []string{"Looking in links: /wheels\n", "Processing /wheels/flask-3.1.0-py3-none-any.whl\n", "Processing /wheels/click-8.1.8-py3-none-any.whl\n",
				"Successfully installed blinker-1.9.0 click-8.1.8 flask-3.1.0 itsdangerous-2.2.0 jinja2-3.1.5 markupsafe-3.0.2 werkzeug-3.1.3"},
			notHas: []string{"Collecting"},
			check: func(t *testing.T, f *rootfs.FS) {
				e, _, err := f.Stat("/usr/local/lib/python3.11/site-packages/flask/__init__.py")
				if err != nil {
					t.Fatal(err)
				}
				// the catalog's wheel installs the catalog's files, as from the index
				if e.Data != (rootfs.Generated{Seed: seedOf("py", "flask", "3.1.0"), N: 300 << 10}) {
					t.Errorf("flask content = %#v", e.Data)
				}
			}},
		{name: "a wheel missing from the links", script: "pip wheel -q --no-deps -w /wheels flask && pip install --no-index -f /wheels flask", wantCode: 1,
			wantHas: []string{"ERROR: Could not find a version that satisfies the requirement werkzeug (from flask)", "ERROR: No matching distribution found for werkzeug\n"}},
		{name: "a pin the links do not have", script: "pip wheel -q --no-deps -w /wheels flask && pip install --no-index --no-deps -f /wheels -r /r.txt", wantCode: 1,
			wantHas: []string{"ERROR: Could not find a version that satisfies the requirement flask==2.0.0 (from -r /r.txt (line 1)) (from versions: none)"}},
		{name: "links without --no-index fall back to the index", script: "pip wheel -q --no-deps -w /wheels flask && pip install --find-links /wheels flask",
			wantHas: []string{"Processing /wheels/flask-3.1.0-py3-none-any.whl\n", "Collecting werkzeug (from flask)", "Successfully installed"}},
		{name: "pip install of the wheel files", script: "pip wheel -q -w /wheels flask && pip install --no-cache /wheels/*",
			wantHas: []string{"Successfully installed blinker-1.9.0 click-8.1.8 flask-3.1.0 itsdangerous-2.2.0 jinja2-3.1.5 markupsafe-3.0.2 werkzeug-3.1.3\n"}},
		{name: "pip download keeps sdists", script: "pip download -d /dl uwsgi six",
			files:   map[string][]string{"/dl": {"six-1.17.0-py3-none-any.whl", "uwsgi-2.0.28.tar.gz"}},
			wantHas: []string{"Successfully downloaded uwsgi six\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := req(t)
			put(t, f, "/r.txt", "flask==2.0.0\n", 0o644)
			r := run(t, f, tc.script)
			if r.err != nil {
				t.Fatalf("err = %v\n%s", r.err, r.out)
			}
			if r.code != tc.wantCode {
				t.Errorf("code = %d, want %d\n%s", r.code, tc.wantCode, r.out)
			}
			for dir, want := range tc.files {
				if got := listDir(t, f, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s:\n%s\nwant\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
			for _, w := range tc.notHas {
				if strings.Contains(r.out, w) {
					t.Errorf("log has %q:\n%s", w, r.out)
				}
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

// TestPipWheelFollowsSources: a local project's wheel changes with its sources and
// only then.
func TestPipWheelFollowsSources(t *testing.T) {
	build := func(src string) rootfs.Content {
		f := pythonFS(t)
		put(t, f, "/p/setup.py", "from setuptools import setup\nsetup(name='app', version='0.1')\n", 0o644)
		put(t, f, "/p/app.py", src, 0o644)
		if r := run(t, f, "pip wheel -q --no-deps -w /w /p"); r.code != 0 || r.err != nil {
			t.Fatalf("%d %v\n%s", r.code, r.err, r.out)
		}
		e, _, err := f.Stat("/w/app-0.1-py3-none-any.whl")
		if err != nil {
			t.Fatal(err)
		}
		return e.Data
	}
	a, b, c := build("print(1)\n"), build("print(1)\n"), build("print(2)\n")
	if a != b {
		t.Errorf("same sources, different wheels: %v %v", a, b)
	}
	if a == c {
		t.Errorf("edited source, same wheel: %v", a)
	}
}
