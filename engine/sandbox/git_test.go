package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

// gitFS is a Debian image with git installed.
func gitFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/bin/git", elf, 0o755)
	put(t, f, "/var/lib/dpkg/status", "Package: git\nStatus: install ok installed\nVersion: 1:2.39.5-0+deb12u2\n\n", 0o644)
	return f
}

func TestGit(t *testing.T) {
	const url = "https://github.com/VundleVim/Vundle.vim.git"
	runToolCases(t, []toolCase{
		{name: "clone writes a stand-in repository and says so", fs: gitFS, dir: "/src", env: []string{"HOME=/root"},
			script: "git clone --depth=1 " + url + " && git -C Vundle.vim rev-parse HEAD && cd Vundle.vim && git rev-parse --abbrev-ref HEAD",
			wantOut: []string{"Cloning into 'Vundle.vim'...", "Vundle.vim is a stand-in repository for " + url, "a later step that reads them will not find them",
				gitCommit(url, "main") + "\n", "main\n"},
			exist:    []string{"/src/Vundle.vim/.git/shallow", "/src/Vundle.vim/" + gitStandinFile, "/src/Vundle.vim/.git/refs/tags"},
			contains: map[string]string{"/src/Vundle.vim/.git/config": "url = " + url}},
		{name: "clone into a named directory at a branch; a second clone there fails as git does", fs: gitFS, dir: "/src",
			script:   "git clone -b v1.2.13 https://github.com/madler/zlib.git lib/zlib && git clone https://github.com/madler/zlib.git lib/zlib",
			wantCode: 128,
			wantOut:  []string{"fatal: destination path 'lib/zlib' already exists and is not an empty directory."},
			contains: map[string]string{"/src/lib/zlib/.git/HEAD": "ref: refs/heads/v1.2.13\n"}},
		{name: "an ssh URL fails as git without a key does", fs: gitFS, dir: "/src",
			script: "git clone git@github.com:acme/private.git", wantCode: 128,
			wantOut: []string{"Host key verification failed.", "fatal: Could not read from remote repository."},
			absent:  []string{"/src/private"}},
		{name: "rev-parse and describe read a context's real .git", fs: gitFS, dir: "/app",
			files: map[string]string{
				"/app/.git/HEAD":        "ref: refs/heads/main\n",
				"/app/.git/packed-refs": "# pack-refs with: peeled fully-peeled sorted \n1111111111111111111111111111111111111111 refs/heads/main\n1111111111111111111111111111111111111111 refs/tags/v0.4.0\n",
			},
			script:   "git rev-parse --short HEAD && git describe --tags --always && cd /tmp && git describe --always",
			wantCode: 128,
			wantOut:  []string{"1111111\n", "v0.4.0\n", "fatal: not a git repository (or any of the parent directories): .git"}},
		{name: "describe without a tag at HEAD: --always gives the short commit, else git's error", fs: gitFS, dir: "/app",
			files:    map[string]string{"/app/.git/HEAD": "2222222222222222222222222222222222222222\n", "/app/.git/refs/tags/v1": "3333333333333333333333333333333333333333\n"},
			script:   "git describe --always && git describe --tags",
			wantCode: 128,
			wantOut:  []string{"2222222\n", "fatal: No names found, cannot describe anything.", "annotated tags need git's object store"}},
		{name: "config --global writes ~/.gitconfig; init reads init.defaultBranch", fs: gitFS, dir: "/work", env: []string{"HOME=/root"},
			script:   "git config --global user.name 'Dev Container' && git config --global init.defaultBranch trunk && git config --global user.name Dev && git config --global user.name && git init -q && git --version",
			wantOut:  []string{"Dev\n", "git version 2.39.5\n"},
			contains: map[string]string{"/root/.gitconfig": "[user]\n\tname = Dev\n[init]\n\tdefaultBranch = trunk\n", "/work/.git/HEAD": "ref: refs/heads/trunk\n"}},
		{name: "checkout moves a stand-in clone; log needs the object store and is refused", fs: gitFS, dir: "/src",
			script:   "git clone https://github.com/acme/tool.git && cd tool && git checkout v2.0.0 && git rev-parse HEAD && git log -1",
			wantCode: 127,
			wantOut:  []string{"HEAD is now at " + gitCommit("https://github.com/acme/tool.git", "v2.0.0")[:7], gitCommit("https://github.com/acme/tool.git", "v2.0.0") + "\n", "git log: command not simulated by the layerlab sandbox"}},
		{name: "submodule update makes stand-ins for .gitmodules' entries", fs: gitFS, dir: "/app",
			files:   map[string]string{"/app/.git/HEAD": "ref: refs/heads/main\n", "/app/.gitmodules": "[submodule \"vendor/lib\"]\n\tpath = vendor/lib\n\turl = https://github.com/acme/lib.git\n"},
			script:  "git submodule update --init --recursive",
			wantOut: []string{"Submodule 'vendor/lib' (https://github.com/acme/lib.git) registered for path 'vendor/lib'", "submodule vendor/lib is a stand-in repository"},
			exist:   []string{"/app/vendor/lib/.git/HEAD"}},
	})
}

// envsubstFS is a Debian image with gettext-base's envsubst.
func envsubstFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/bin/envsubst", elf, 0o755)
	return f
}

func TestEnvsubst(t *testing.T) {
	const tmpl = "server { listen ${PORT}; location / { proxy_pass http://$UPSTREAM; try_files $uri /index.html; } add_header X $${PORT} ${PORT:-80}; }\n"
	runToolCases(t, []toolCase{
		{name: "every reference, unset ones empty", fs: envsubstFS, env: []string{"PORT=8080", "UPSTREAM=api:3000"}, dir: "/t",
			files:   map[string]string{"/t/in": tmpl},
			script:  "envsubst < in",
			wantOut: []string{"server { listen 8080; location / { proxy_pass http://api:3000; try_files  /index.html; } add_header X $8080 ${PORT:-80}; }\n"}},
		{name: "SHELL-FORMAT limits the variables; nginx's own stay", fs: envsubstFS, env: []string{"PORT=8080", "UPSTREAM=api:3000"}, dir: "/t",
			files:   map[string]string{"/t/in": tmpl},
			script:  "envsubst '${PORT}' < in > out && cat out && envsubst -v '$UPSTREAM ${PORT} $UPSTREAM'",
			wantOut: []string{"listen 8080; location / { proxy_pass http://$UPSTREAM; try_files $uri /index.html;", "UPSTREAM\nPORT\n"}},
		{name: "two formats are too many", fs: envsubstFS, script: "envsubst '$A' '$B'", wantCode: 1,
			wantOut: []string{"envsubst: too many arguments"}},
	})
}
