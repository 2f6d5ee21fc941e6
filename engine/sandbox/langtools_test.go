package sandbox

import (
	"fmt"
	"testing"

	"layerlab/engine/rootfs"
)

func npmFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/bin/node", elf, 0o755)
	put(t, f, "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "#!/usr/bin/env node\n", 0o755)
	symlink(t, f, "/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
	symlink(t, f, "/usr/local/bin/npx", "../lib/node_modules/npm/bin/npm-cli.js")
	return f
}

func exists(f *rootfs.FS, p string) bool {
	_, _, err := f.Lstat(p)
	return err == nil
}

// TestLanguageTools runs each tool over manifests and lockfiles and checks the
// tree it leaves and the texts it prints.
func TestLanguageTools(t *testing.T) {
	tests := []toolCase{
		{name: "pip nested -r, -c, markers, extras", fs: pythonFS, dir: "/app",
			files: map[string]string{
				"/app/requirements.txt": "-r base.txt\n-c constraints.txt\ncelery[redis]\npywin32 ; sys_platform == 'win32'\n",
				"/app/base.txt":         "Flask==2.3.3 --hash=sha256:abc\nrequests>=2.0,<3\n",
				"/app/constraints.txt":  "redis==4.6.0\n",
			},
			script:  "pip install -r requirements.txt",
			wantOut: []string{"Collecting Flask==2.3.3 (from -r base.txt (line 1))", "flask-2.3.3", "requests-2.32.3", "redis-4.6.0", "Ignoring pywin32"},
			exist:   []string{"/usr/local/lib/python3.11/site-packages/flask-2.3.3.dist-info/METADATA", "/usr/local/bin/celery", "/usr/local/bin/flask"}},
		{name: "pip synthesizes a valid unknown name", fs: pythonFS, script: "pip install layerlab-demo-pkg==1.2.3",
			wantOut: []string{"layerlab: layerlab-demo-pkg is not in the playground's PyPI catalog", "Successfully installed layerlab-demo-pkg-1.2.3"},
			exist:   []string{"/usr/local/lib/python3.11/site-packages/layerlab_demo_pkg-1.2.3.dist-info/METADATA"}},
		{name: "pip refuses a typo as pip does", fs: pythonFS, script: "pip install djnago", wantCode: 1,
			wantOut: []string{"ERROR: Could not find a version that satisfies the requirement djnago (from versions: none)\nERROR: No matching distribution found for djnago\n"}},
		{name: "pip installs a local project", fs: pythonFS, dir: "/src",
			files:   map[string]string{"/src/pyproject.toml": "[project]\nname = \"demo-app\"\nversion = \"0.3.0\"\ndependencies = [\"click>=8\"]\n", "/src/demo_app/__init__.py": "x = 1\n"},
			script:  "pip install --no-cache-dir .",
			wantOut: []string{"Building wheel for demo-app (pyproject.toml)", "Successfully installed click-8.1.8 demo-app-0.3.0"},
			exist:   []string{"/usr/local/lib/python3.11/site-packages/demo_app/__init__.py"}},
		{name: "venv tree and its pip", fs: pythonFS, dir: "/app",
			files:   map[string]string{"/app/requirements.txt": "flask\n"},
			script:  "python -m venv /venv && /venv/bin/pip install -r requirements.txt && . /venv/bin/activate && echo $VIRTUAL_ENV && command -v pip",
			wantOut: []string{"/venv\n/venv/bin/pip\n"}, noOut: []string{"Running pip as the 'root' user"},
			exist:    []string{"/venv/bin/activate", "/venv/bin/python", "/venv/bin/pip", "/venv/lib64", "/venv/lib/python3.11/site-packages/flask/__init__.py", "/venv/bin/flask"},
			absent:   []string{"/usr/local/lib/python3.11/site-packages/flask"},
			contains: map[string]string{"/venv/pyvenv.cfg": "include-system-site-packages = false", "/venv/bin/flask": "#!/venv/bin/python"}},
		{name: "venv on PATH", fs: pythonFS, dir: "/app",
			script: "python -m venv /opt/v && export PATH=/opt/v/bin:$PATH && pip install six",
			exist:  []string{"/opt/v/lib/python3.11/site-packages/six/__init__.py"}},
		{name: "poetry installs poetry.lock without a venv", fs: pythonFS, dir: "/code",
			files: map[string]string{
				"/code/pyproject.toml": "[tool.poetry]\nname = \"shop\"\nversion = \"0.1.0\"\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\ndjango = \"^4.1\"\n\n[tool.poetry.group.dev.dependencies]\nblack = \"^23.1.0\"\n",
				"/code/poetry.lock":    "[[package]]\nname = \"django\"\nversion = \"4.1.7\"\ncategory = \"main\"\n\n[[package]]\nname = \"asgiref\"\nversion = \"3.6.0\"\ncategory = \"main\"\n\n[[package]]\nname = \"black\"\nversion = \"23.1.0\"\ncategory = \"dev\"\n",
			},
			script:  "pip install -q poetry && poetry config virtualenvs.create false && poetry install --only main --no-interaction",
			wantOut: []string{"Installing dependencies from lock file", "Installing django (4.1.7)"},
			exist:   []string{"/usr/local/lib/python3.11/site-packages/django-4.1.7.dist-info/METADATA"},
			absent:  []string{"/usr/local/lib/python3.11/site-packages/black-23.1.0.dist-info"}},
		{name: "poetry 2 has no export", fs: pythonFS, dir: "/code",
			files:  map[string]string{"/code/pyproject.toml": "[tool.poetry]\nname = \"x\"\n", "/code/poetry.lock": ""},
			script: "pip install -q poetry && poetry export -f requirements.txt --output r.txt", wantCode: 1,
			wantOut: []string{"The requested command export does not exist."}},
		{name: "poetry 1.8 exports the main group", fs: pythonFS, dir: "/code",
			files: map[string]string{
				"/code/pyproject.toml": "[tool.poetry]\nname = \"x\"\n",
				"/code/poetry.lock":    "[[package]]\nname = \"django\"\nversion = \"4.1.7\"\ncategory = \"main\"\n\n[[package]]\nname = \"black\"\nversion = \"23.1.0\"\ncategory = \"dev\"\n",
			},
			script:   "pip install -q poetry==1.8.3 && poetry export -f requirements.txt --output r.txt --without-hashes",
			contains: map[string]string{"/code/r.txt": "django==4.1.7"}},
		{name: "pipenv --system --deploy", fs: pythonFS, dir: "/app",
			files:  map[string]string{"/app/Pipfile": "[packages]\nflask = \"*\"\n", "/app/Pipfile.lock": "{\n    \"_meta\": {},\n    \"default\": {\n        \"flask\": {\n            \"version\": \"==2.0.1\"\n        }\n    },\n    \"develop\": {}\n}\n"},
			script: "pip install -q pipenv && pipenv install --system --deploy",
			exist:  []string{"/usr/local/lib/python3.11/site-packages/flask-2.0.1.dist-info/METADATA"}},
		{name: "uv sync from uv.lock", fs: pythonFS, dir: "/app",
			files:  map[string]string{"/app/pyproject.toml": "[project]\nname = \"bot\"\nversion = \"1.0\"\n", "/app/uv.lock": "version = 1\n\n[[package]]\nname = \"bot\"\nversion = \"1.0\"\n\n[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\n"},
			script: "pip install -q uv && uv sync --frozen --no-dev",
			exist:  []string{"/app/.venv/lib/python3.11/site-packages/httpx-0.27.0.dist-info/METADATA"},
			absent: []string{"/app/.venv/lib/python3.11/site-packages/bot-1.0.dist-info"}},
		{name: "npm ci without a lockfile", fs: npmFS, dir: "/app",
			files:  map[string]string{"/app/package.json": `{"name":"a","version":"1.0.0","dependencies":{"express":"^4"}}`},
			script: "npm ci", wantCode: 1,
			wantOut: []string{"code EUSAGE", "The `npm ci` command can only install with an existing package-lock.json"}},
		{name: "npm ci installs the lock's versions", fs: npmFS, dir: "/app",
			files: map[string]string{
				"/app/package.json":      `{"name":"a","version":"1.0.0","dependencies":{"express":"^4.17.0"},"devDependencies":{"jest":"^29"}}`,
				"/app/package-lock.json": `{"lockfileVersion":3,"packages":{"":{},"node_modules/express":{"version":"4.17.1"},"node_modules/jest":{"version":"29.0.0","dev":true}}}`,
			},
			script:   "npm ci --omit=dev",
			contains: map[string]string{"/app/node_modules/express/package.json": `"4.17.1"`},
			absent:   []string{"/app/node_modules/jest"}},
		{name: "npm 404 for a typo", fs: npmFS, dir: "/app", script: "npm install exprezs", wantCode: 1,
			wantOut: []string{"code E404", "404 Not Found - GET https://registry.npmjs.org/exprezs - Not found"}},
		{name: "npm synthesizes scoped names and links file: deps", fs: npmFS, dir: "/app",
			files: map[string]string{
				"/app/package.json":    `{"name":"a","version":"1.0.0","dependencies":{"@acme/widgets":"^2.0.0","shared":"file:../shared"}}`,
				"/shared/package.json": `{"name":"shared","version":"0.1.0","dependencies":{"ms":"2.0.0"}}`,
			},
			script:  "npm install",
			wantOut: []string{"layerlab: @acme/widgets is not in the playground's npm catalog"},
			exist:   []string{"/app/node_modules/@acme/widgets/package.json", "/app/node_modules/shared", "/app/node_modules/ms/package.json", "/app/package-lock.json"}},
		{name: "npm i -g npm@latest and global CLIs", fs: npmFS, script: "npm i -g npm@latest nodemon && npm -v && command -v nodemon",
			wantOut: []string{"10.9.2\n", "/usr/local/bin/nodemon\n"}},
		{name: "npm init -y", fs: npmFS, dir: "/srv/web", script: "npm init -y",
			contains: map[string]string{"/srv/web/package.json": `"name": "web"`}},
	}
	runToolCases(t, tests)
}

// TestCompileAllFollowsSources: the .pyc changes with its source and only then.
func TestCompileAllFollowsSources(t *testing.T) {
	pyc := func(src string) string {
		f := pythonFS(t)
		put(t, f, "/app/m.py", src, 0o644)
		if r := run(t, f, "python -m compileall -q /app"); r.code != 0 {
			t.Fatalf("compileall: %d %s", r.code, r.out)
		}
		e, ok := f.Lookup("app/__pycache__/m.cpython-311.pyc")
		if !ok {
			t.Fatal("no .pyc")
		}
		return pycID(e)
	}
	a, b, c := pyc("x = 1\n"), pyc("x = 1\n"), pyc("x = 2\n")
	if a != b {
		t.Errorf("same source, different .pyc: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("edited source, same .pyc: %s", a)
	}
}

func pycID(e *rootfs.Entry) string {
	if g, ok := e.Data.(rootfs.Generated); ok {
		return fmt.Sprintf("%d/%d", g.Seed, g.N)
	}
	return "?"
}
