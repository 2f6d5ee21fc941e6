package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// bionicFS is ubuntu:18.04 after apt-get install python3-pip: the distribution's
// Python 3.6.9 and pip 9.0.1, recorded by dpkg.
func bionicFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/etc/os-release", "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\n", 0o644)
	put(t, f, "/etc/debian_version", "buster/sid\n", 0o644)
	put(t, f, "/usr/bin/python3.6", elf, 0o755)
	symlink(t, f, "/usr/bin/python3", "python3.6")
	put(t, f, "/usr/bin/pip3", "#!/usr/bin/python3\n", 0o755)
	put(t, f, "/var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 10.1ubuntu2.12\n\n"+
		"Package: python3.6\nStatus: install ok installed\nVersion: 3.6.9-1~18.04ubuntu1.12\n\n"+
		"Package: python3-pip\nStatus: install ok installed\nVersion: 9.0.1-2.3~ubuntu1.18.04.8\n\n", 0o644)
	return f
}

// pythonAt is a python:X image: PYTHON_VERSION says the interpreter, pip is the one
// its site-packages records.
func pythonAt(py, pip string) (func(testing.TB) *rootfs.FS, func(*Options)) {
	minor := py[:strings.LastIndex(py, ".")]
	fs := func(t testing.TB) *rootfs.FS {
		f := pythonFS(t)
		put(t, f, "/usr/local/bin/python"+minor, elf, 0o755)
		put(t, f, "/usr/local/lib/python"+minor+"/site-packages/pip-"+pip+".dist-info/METADATA", "Name: pip\nVersion: "+pip+"\n", 0o644)
		return f
	}
	return fs, func(o *Options) { o.Env = append(o.Env, "PYTHON_VERSION="+py) }
}

// TestRequiresPython checks that pip picks the newest release whose Requires-Python
// admits the image's interpreter, and refuses a pin that does not in the words of
// the pip generation that runs.
func TestRequiresPython(t *testing.T) {
	py37, env37 := pythonAt("3.7.17", "23.0.1")
	py36, env36 := pythonAt("3.6.15", "21.2.4")
	py39, env39 := pythonAt("3.9.21", "20.3.4")
	py311, env311 := pythonAt("3.11.11", "24.0")
	tests := []struct {
		name     string
		fs       func(testing.TB) *rootfs.FS
		env      func(*Options)
		script   string
		wantCode int
		wantOut  []string
		noOut    []string
		exist    []string
	}{
		{name: "bionic's pip 9 gets the last pipenv for 3.6", fs: bionicFS, script: "pip3 --version; pip3 install --no-cache-dir pipenv",
			wantOut: []string{"pip 9.0.1 from /usr/local/lib/python3.6/dist-packages/pip (python 3.6)", "pipenv-2022.4.8", "virtualenv-20.17.1", "setuptools-59.6.0"},
			exist:   []string{"/usr/local/lib/python3.6/dist-packages/pipenv-2022.4.8.dist-info/METADATA"}},
		{name: "python 3.7 gets django 3.2", fs: py37, env: env37, script: "pip install django",
			wantOut: []string{"Successfully installed", "django-3.2.25"}},
		{name: "python 3.11 gets the catalog's django", fs: py311, env: env311, script: "pip install django",
			wantOut: []string{"django-5.1.6"}},
		{name: "a range is met below the catalog", fs: py37, env: env37, script: "pip install 'numpy<1.22' 'poetry<2'",
			wantOut: []string{"numpy-1.21.6", "poetry-1.5.1"}},
		{name: "an admitted pin installs", fs: py37, env: env37, script: "pip install flask==2.2.5",
			wantOut: []string{"flask-2.2.5"}},
		{name: "pip 21.2 and later list the ignored releases", fs: py37, env: env37, script: "pip install numpy==1.22.0", wantCode: 1,
			wantOut: []string{"ERROR: Ignored the following versions that require a different python version: 1.22.0 Requires-Python >=3.8; 1.24.4 Requires-Python >=3.8; 2.0.2 Requires-Python >=3.9; 2.2.3 Requires-Python >=3.10\n",
				"ERROR: Could not find a version that satisfies the requirement numpy==1.22.0 (from versions: 1.16.6, 1.18.5, 1.19.5, 1.21.6)\n",
				"ERROR: No matching distribution found for numpy==1.22.0\n",
				"layerlab: the playground's PyPI catalog keeps only the last release of each Requires-Python window of numpy"},
			noOut: []string{"Successfully installed"}},
		{name: "pip 21.2 on python 3.6", fs: py36, env: env36, script: "pip install 'django>=4'", wantCode: 1,
			wantOut: []string{"ERROR: Ignored the following versions that require a different python version: 4.2.19 Requires-Python >=3.8; 5.1.6 Requires-Python >=3.10\n",
				"(from versions: 1.11.29, 2.2.28, 3.2.25)"}},
		{name: "pip 20.3 has no ignored line", fs: py39, env: env39, script: "pip install numpy==2.1.0", wantCode: 1,
			wantOut: []string{"ERROR: Could not find a version that satisfies the requirement numpy==2.1.0 (from versions: 1.16.6, 1.18.5, 1.19.5, 1.21.6, 1.24.4, 2.0.2)\nERROR: No matching distribution found for numpy==2.1.0\n"},
			noOut:   []string{"Ignored the following", "Collecting numpy"}},
		{name: "pip 9 says it under Collecting", fs: bionicFS, script: "pip3 install fastapi==0.100.0", wantCode: 1,
			wantOut: []string{"Collecting fastapi==0.100.0\n  Could not find a version that satisfies the requirement fastapi==0.100.0 (from versions: 0.83.0)\nNo matching distribution found for fastapi==0.100.0\n"},
			noOut:   []string{"ERROR:", "requires a different Python"}},
		{name: "pip 9 -v logs the skipped releases", fs: bionicFS, script: "pip3 install -v fastapi==0.100.0", wantCode: 1,
			wantOut: []string{"requires a different Python: 3.6.9 not in '>=3.7'", "requires a different Python: 3.6.9 not in '>=3.8'"}},
		{name: "--ignore-requires-python installs the pin", fs: bionicFS, script: "pip3 install --ignore-requires-python numpy==1.22.0",
			wantOut: []string{"numpy-1.22.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fs(t)
			var mods []func(*Options)
			if tt.env != nil {
				mods = append(mods, tt.env)
			}
			r := run(t, f, tt.script, mods...)
			if r.err != nil || r.code != tt.wantCode {
				t.Fatalf("code %d err %v, want %d\n%s", r.code, r.err, tt.wantCode, r.out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q\n%s", w, r.out)
				}
			}
			for _, w := range tt.noOut {
				if strings.Contains(r.out, w) {
					t.Errorf("output has %q\n%s", w, r.out)
				}
			}
			for _, p := range tt.exist {
				if !exists(f, p) {
					t.Errorf("%s missing", p)
				}
			}
		})
	}
}

// TestToolsFollowInstalledVersion checks that pipenv and poetry behave as the
// release their dist-info records.
func TestToolsFollowInstalledVersion(t *testing.T) {
	lock := `{
    "_meta": {
        "pipfile-spec": 6,
        "sources": [
            {
                "url": "https://pypi.python.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "flask": {
            "hashes": [
                "sha256:aa"
            ],
            "version": "==1.0.2"
        },
        "greenlet": {
            "markers": "platform_python_implementation == 'CPython'",
            "version": "==0.4.13"
        },
        "pyyaml": {
            "git": "https://github.com/yaml/pyyaml.git",
            "ref": "a9c28e0"
        }
    },
    "develop": {
        "rope": {
            "version": "==0.10.7"
        }
    }
}
`
	pyproject := "[tool.poetry]\nname = \"webapp\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.8\"\nclick = \"^8.0\"\n"
	poetryLock := "[[package]]\nname = \"click\"\nversion = \"8.1.8\"\n\n[metadata]\nlock-version = \"2.0\"\n"
	withDist := func(name, ver string) func(testing.TB) *rootfs.FS {
		return func(t testing.TB) *rootfs.FS {
			f := pythonFS(t)
			put(t, f, "/usr/local/lib/python3.11/site-packages/"+name+"-"+ver+".dist-info/METADATA", "Name: "+name+"\n", 0o644)
			put(t, f, "/usr/local/bin/"+name, "#!/usr/local/bin/python3.11\n", 0o755)
			put(t, f, "/app/Pipfile.lock", lock, 0o644)
			put(t, f, "/app/pyproject.toml", pyproject, 0o644)
			put(t, f, "/app/poetry.lock", poetryLock, 0o644)
			return f
		}
	}
	tests := []struct {
		name     string
		fs       func(testing.TB) *rootfs.FS
		script   string
		wantCode int
		wantOut  []string
		noOut    []string
	}{
		{name: "pipenv 2022.4.8 lock -r prints the lock", fs: withDist("pipenv", "2022.4.8"), script: "pipenv --version; pipenv lock -r",
			wantOut: []string{"pipenv, version 2022.4.8", "-i https://pypi.python.org/simple\nflask==1.0.2\ngreenlet==0.4.13; platform_python_implementation == 'CPython'\ngit+https://github.com/yaml/pyyaml.git@a9c28e0#egg=pyyaml\n"},
			noOut:   []string{"rope"}},
		{name: "pipenv 2022.4.8 lock -r --dev", fs: withDist("pipenv", "2022.4.8"), script: "pipenv lock -r --dev",
			wantOut: []string{"rope==0.10.7"}, noOut: []string{"flask"}},
		{name: "pipenv 2022.8.31 dropped lock -r", fs: withDist("pipenv", "2022.8.31"), script: "pipenv lock -r", wantCode: 2,
			wantOut: []string{"Error: No such option: -r"}},
		{name: "pipenv requirements in new pipenvs", fs: withDist("pipenv", "2024.4.1"), script: "pipenv requirements",
			wantOut: []string{"flask==1.0.2"}},
		{name: "poetry 1.1 exports without a warning", fs: withDist("poetry", "1.1.15"), script: "poetry export -f requirements.txt --without-hashes",
			wantOut: []string{"click==8.1.8"}, noOut: []string{"poetry-plugin-export will not be installed"}},
		{name: "poetry 1.8 exports with its warning", fs: withDist("poetry", "1.8.5"), script: "poetry export -f requirements.txt --without-hashes",
			wantOut: []string{"click==8.1.8", "Warning: poetry-plugin-export will not be installed by default in a future version of Poetry."}},
		{name: "poetry 2 has no export", fs: withDist("poetry", "2.1.1"), script: "poetry export -f requirements.txt", wantCode: 1,
			wantOut: []string{"The requested command export does not exist."}},
		{name: "poetry 1.x warns on a missing root package", fs: withDist("poetry", "1.8.5"), script: "poetry config virtualenvs.create false && poetry install",
			wantOut: []string{"Warning: The current project could not be installed: No file/folder found for package webapp"}},
		{name: "poetry 2 fails on a missing root package", fs: withDist("poetry", "2.1.1"), script: "poetry config virtualenvs.create false && poetry install", wantCode: 1,
			wantOut: []string{"Error: The current project could not be installed: No file/folder found for package webapp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.fs(t), "cd /app && "+tt.script)
			if r.err != nil || r.code != tt.wantCode {
				t.Fatalf("code %d err %v, want %d\n%s", r.code, r.err, tt.wantCode, r.out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q\n%s", w, r.out)
				}
			}
			for _, w := range tt.noOut {
				if strings.Contains(r.out, w) {
					t.Errorf("output has %q\n%s", w, r.out)
				}
			}
		})
	}
}
