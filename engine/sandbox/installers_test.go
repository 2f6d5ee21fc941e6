package sandbox

import (
	"bytes"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

func TestInstallerStandIns(t *testing.T) {
	mk := func(tb testing.TB) *rootfs.FS {
		f := pythonFS(tb)
		put(tb, f, "/usr/bin/curl", elf, 0o755)
		put(tb, f, "/usr/bin/unzip", elf, 0o755)
		put(tb, f, "/usr/bin/zip", elf, 0o755)
		put(tb, f, "/app/pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"flask\"]\n", 0o644)
		return f
	}
	tests := []struct {
		name     string
		script   string
		fs       func(testing.TB) *rootfs.FS
		wantCode int
		wantHas  []string
		exec     []string // files that must exist and be executable
		files    []string // files that must exist
	}{
		{name: "uv by curl | sh, then uv sync", script: "curl -LsSf https://astral.sh/uv/install.sh | sh && cd /app && /root/.local/bin/uv sync",
			wantHas: []string{"running its stand-in for the uv installer at https://astral.sh/uv/install.sh", "installing to /root/.local/bin\n", "everything's installed!", "Installed"},
			exec:    []string{"/root/.local/bin/uv", "/root/.local/bin/uvx"}, files: []string{"/root/.local/bin/env", "/app/.venv/pyvenv.cfg"}},
		{name: "uv versioned, saved then run (ADD + RUN)", script: "curl -o /uv-installer.sh https://astral.sh/uv/0.8.13/install.sh && chmod +x /uv-installer.sh && /uv-installer.sh && . /root/.local/bin/env && command -v uv",
			wantHas: []string{"downloading uv 0.8.13 x86_64-unknown-linux-gnu", "/root/.local/bin/uv\n"}},
		{name: "uv into UV_INSTALL_DIR", script: "curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR=/usr/local/bin sh",
			wantHas: []string{"installing to /usr/local/bin\n"}, exec: []string{"/usr/local/bin/uv"}},
		{name: "poetry by python3 -", script: "curl -sSL https://install.python-poetry.org | POETRY_VERSION=1.8.3 python3 - && /root/.local/bin/poetry --version",
			wantHas: []string{"Installing Poetry (1.8.3): Done", "Poetry (version 1.8.3)\n"}},
		{name: "other python from stdin stays refused", script: "echo 'print(1)' | python3 -", wantCode: 127,
			wantHas: []string{"python3 - (a script from stdin): command not simulated"}},
		{name: "rustup needs -y", script: "curl https://sh.rustup.rs -sSf | sh", wantCode: 1, wantHas: []string{"rustup: Unable to run interactively. Run with -y"}},
		{name: "rustup -y", script: "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal && . /root/.cargo/env && command -v cargo",
			wantHas: []string{"stable-x86_64-unknown-linux-gnu installed - rustc 1.85.0", "/root/.cargo/bin/cargo\n"},
			exec:    []string{"/root/.cargo/bin/rustup", "/root/.cargo/bin/rustc", "/root/.cargo/bin/cargo"}},
		{name: "nodesource writes the apt source", script: "curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && cat /etc/apt/sources.list.d/nodesource.list",
			wantHas: []string{"https://deb.nodesource.com/node_20.x nodistro main", "Repository configured successfully."}},
		{name: "nvm install", script: "curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh | bash && . /root/.nvm/nvm.sh && nvm install 18 && command -v node && nvm --version",
			wantHas: []string{"=> Appending nvm source string to /root/.bashrc", "Now using node v18.20.6 (npm v10.8.2)", "/root/.nvm/versions/node/v18.20.6/bin/node\n", "0.40.1\n"}},
		{name: "bun", script: "curl -fsSL https://bun.sh/install | bash", wantHas: []string{"bun was installed successfully to /root/.bun/bin/bun"}, exec: []string{"/root/.bun/bin/bun"}},
		{name: "bun without unzip", fs: func(tb testing.TB) *rootfs.FS { f := mk(tb); f.Remove("usr/bin/unzip"); return f },
			script: "curl -fsSL https://bun.sh/install | bash", wantCode: 1, wantHas: []string{"error: unzip is required to install bun"}},
		{name: "deno", script: "curl -fsSL https://deno.land/install.sh | sh", exec: []string{"/root/.deno/bin/deno"}},
		{name: "pnpm", script: "curl -fsSL https://get.pnpm.io/install.sh | ENV=\"$HOME/.bashrc\" SHELL=\"$(which bash)\" bash -", exec: []string{"/root/.local/share/pnpm/pnpm"}},
		{name: "get.docker.com", script: "curl -fsSL https://get.docker.com | sh", exec: []string{"/usr/bin/docker", "/usr/libexec/docker/cli-plugins/docker-compose"},
			files: []string{"/etc/apt/sources.list.d/docker.list"}},
		{name: "sdkman then sdk install", script: "curl -s https://get.sdkman.io | bash && bash -c '. /root/.sdkman/bin/sdkman-init.sh && sdk install java 17.0.9-tem && command -v java'",
			wantHas: []string{"All done!", "Setting java 17.0.9-tem as default.", "/root/.sdkman/candidates/java/current/bin/java\n"}},
		{name: "another URL stays a comment placeholder", script: "curl -fsSL https://example.com/install.sh | sh && echo ok", wantHas: []string{"wrote a placeholder for https://example.com/install.sh", "ok\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			make := mk
			if tc.fs != nil {
				make = tc.fs
			}
			f := make(t)
			r := run(t, f, tc.script, func(o *Options) { o.Env = append(o.Env, "HOME=/root") })
			if r.err != nil {
				t.Fatalf("err = %v\n%s", r.err, r.out)
			}
			if r.code != tc.wantCode {
				t.Errorf("code = %d, want %d\n%s", r.code, tc.wantCode, r.out)
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
			for _, p := range tc.exec {
				e, _, err := f.Stat(p)
				if err != nil || e.Mode&0o111 == 0 {
					t.Errorf("%s: %v, want an executable", p, err)
				}
			}
			for _, p := range tc.files {
				if _, _, err := f.Stat(p); err != nil {
					t.Errorf("%s: %v", p, err)
				}
			}
		})
	}
}

// TestInstallerDownloadsAreDeterministic: the same URL gives the same bytes (a step
// that downloads caches), and ADD gets the same stand-in as curl.
func TestInstallerDownloadsAreDeterministic(t *testing.T) {
	for _, url := range []string{"https://astral.sh/uv/0.8.13/install.sh", "https://sh.rustup.rs", "https://install.python-poetry.org", "https://example.com/x"} {
		a, b := Download(url), Download(url)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two downloads differ", url)
		}
		if !bytes.Contains(a, []byte("layerlab placeholder for "+url+"\n")) {
			t.Errorf("%s: the download does not name its URL:\n%s", url, a[:80])
		}
	}
	if bytes.Equal(Download("https://astral.sh/uv/0.8.13/install.sh"), Download("https://astral.sh/uv/0.8.12/install.sh")) {
		t.Error("two uv versions, one installer")
	}
}
