package sandbox

// Installer scripts. The playground has no network, so every download is a stand-in
// (placeholder in pkgutil.go). For the installers Dockerfiles pipe into a shell
// (`curl -LsSf https://astral.sh/uv/install.sh | sh`) or ADD and run, a comment-only
// placeholder would install nothing and the next step (`uv sync`) would fail where
// Docker's succeeds. So the well-known installer URLs are data: a pattern (with the
// version it names) and the stand-in script the download gets instead. Each is a
// real shell script that the sandbox's own shell runs: it honours the installer's
// environment variables and does to the filesystem what the real installer does
// (the tool's binary, its env files, PATH lines in the shell profiles), printing the
// real installer's main lines. Binaries are written by the reserved command
// `layerlab-standin binary DEST NAME VERSION SIZE`: deterministic bytes of the real
// size whose file name the sandbox runs as that tool. The same URL always gives the
// same bytes, so a step that downloads one caches as Docker's would.

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// installer is one row: URLs the pattern matches get script(captures).
type installer struct {
	name    string
	pattern *regexp.Regexp
	script  func(m []string) string // "" keeps the comment placeholder
}

// Versions the stand-ins install when the URL or the environment names none: each
// tool's release of early 2025, as the catalogs are.
const (
	uvLatest     = "0.6.2"
	rustLatest   = "1.85.0"
	rustupLatest = "1.27.1"
	nvmNodeLTS   = "22"
	nvmNodeCur   = "23"
	bunLatest    = "1.2.2"
	denoLatest   = "2.1.10"
	pnpmLatest   = "9.15.4"
	dockerLatest = "27.5.1"
)

// nodeReleases is the last release of each Node.js major line (nvm install 18).
var nodeReleases = map[string]string{
	"10": "10.24.1", "12": "12.22.12", "14": "14.21.3", "16": "16.20.2", "17": "17.9.1", "18": "18.20.6",
	"19": "19.9.0", "20": "20.18.3", "21": "21.7.3", "22": "22.14.0", "23": "23.8.0",
}

// npmOfNode is the npm each Node.js major bundles.
var npmOfNode = map[string]string{
	"10": "6.14.12", "12": "6.14.16", "14": "6.14.18", "16": "8.19.4", "17": "8.11.0", "18": "10.8.2",
	"19": "9.6.3", "20": "10.8.2", "21": "10.5.0", "22": "10.9.2", "23": "10.9.2",
}

var installers = []installer{
	{name: "uv", pattern: regexp.MustCompile(`^https://(?:astral\.sh/uv(?:/([0-9][0-9A-Za-z.\-]*))?/install\.sh|github\.com/astral-sh/uv/releases/(?:download/([0-9][^/]*)|latest/download)/uv-installer\.sh)$`),
		script: uvInstaller},
	{name: "poetry", pattern: regexp.MustCompile(`^https://(?:install\.python-poetry\.org/?|raw\.githubusercontent\.com/python-poetry/(?:poetry|install\.python-poetry\.org)/[^/]+/install-poetry\.py)$`),
		script: poetryInstaller},
	{name: "rustup", pattern: regexp.MustCompile(`^https://(?:sh\.rustup\.rs/?|static\.rust-lang\.org/rustup/rustup-init\.sh)$`), script: rustupInstaller},
	{name: "nodesource", pattern: regexp.MustCompile(`^https://deb\.nodesource\.com/setup_([0-9]+|lts|current)\.x$`), script: nodesourceInstaller},
	{name: "nvm", pattern: regexp.MustCompile(`^https://(?:raw\.githubusercontent\.com/(?:nvm-sh|creationix)/nvm/(v[0-9.]+)/install\.sh)$`), script: nvmInstaller},
	{name: "bun", pattern: regexp.MustCompile(`^https://bun\.sh/install$`), script: bunInstaller},
	{name: "deno", pattern: regexp.MustCompile(`^https://deno\.land/(?:x/)?install(?:/install)?\.sh$`), script: denoInstaller},
	{name: "pnpm", pattern: regexp.MustCompile(`^https://get\.pnpm\.io/install\.sh$`), script: pnpmInstaller},
	{name: "docker", pattern: regexp.MustCompile(`^https://(?:get|test)\.docker\.com/?$`), script: dockerInstaller},
	{name: "sdkman", pattern: regexp.MustCompile(`^https://get\.sdkman\.io/?(?:\?.*)?$`), script: sdkmanInstaller},
	// composer's installer is PHP, run by `php`: php.go recognises the comment
	// placeholder of these URLs and does what the installer does.
	{name: "composer", pattern: regexp.MustCompile(`^https://(?:getcomposer\.org/installer|install\.getcomposer\.org/?.*)$`)},
}

// installerScript returns the stand-in script for url when it is a known installer.
func installerScript(url string) (rootfs.Bytes, bool) {
	for _, in := range installers {
		m := in.pattern.FindStringSubmatch(url)
		if m == nil || in.script == nil {
			continue
		}
		head := "#!/bin/sh\n# layerlab placeholder for " + url + "\n" +
			"# the playground has no network: this script stands in for the " + in.name + " installer and does to\n" +
			"# the filesystem what the real one does (binaries are the playground's stand-ins)\n" +
			"echo 'layerlab: the playground has no network; running its stand-in for the " + in.name + " installer at " + url + "' >&2\n"
		return rootfs.Bytes(head + in.script(m)), true
	}
	return nil, false
}

// first returns the first non-empty capture, else def.
func firstOf(def string, caps ...string) string {
	for _, c := range caps {
		if c != "" {
			return c
		}
	}
	return def
}

// profileLine appends a line to the shell profiles the real installers edit, once.
const profileFn = `add_profile() {
  for rc in "$HOME/.profile" "$HOME/.bashrc"; do
    grep -qsF "$1" "$rc" 2>/dev/null || echo "$1" >> "$rc"
  done
}
`

func uvInstaller(m []string) string {
	v := firstOf(uvLatest, m[1], m[2])
	return `set -e
VERSION="` + v + `"
` + profileFn + `DIR="${UV_INSTALL_DIR:-${XDG_BIN_HOME:-$HOME/.local/bin}}"
echo "downloading uv $VERSION x86_64-unknown-linux-gnu"
echo "no checksums to verify"
echo "installing to $DIR"
mkdir -p "$DIR"
layerlab-standin binary "$DIR/uv" uv "$VERSION" 36000000
layerlab-standin binary "$DIR/uvx" uvx "$VERSION" 330000
echo "  uv"
echo "  uvx"
echo "everything's installed!"
if [ -z "$UV_INSTALL_DIR" ] && [ -z "$UV_NO_MODIFY_PATH" ] && [ -z "$INSTALLER_NO_MODIFY_PATH" ]; then
  cat > "$DIR/env" <<EOF
#!/bin/sh
# add binaries to PATH if they aren't added yet
# affix colons on either side of \$PATH to simplify matching
case ":\${PATH}:" in
    *:"$DIR":*)
        ;;
    *)
        # Prepending path in case a system-installed binary needs to be overridden
        export PATH="$DIR:\$PATH"
        ;;
esac
EOF
  printf 'if not contains "%s" $PATH\n    set -x PATH "%s" $PATH\nend\n' "$DIR" "$DIR" > "$DIR/env.fish"
  add_profile ". \"$DIR/env\""
  echo
  echo "To add $DIR to your PATH, either restart your shell or run:"
  echo
  echo "    source $DIR/env (sh, bash, zsh)"
  echo "    source $DIR/env.fish (fish)"
fi
`
}

func poetryInstaller([]string) string {
	return `set -e
VERSION="${POETRY_VERSION:-` + poetryDefault + `}"
POETRY_HOME="${POETRY_HOME:-$HOME/.local/share/pypoetry}"
BIN="${POETRY_HOME%/}/bin"
case "$POETRY_HOME" in "$HOME/.local/share/pypoetry") BIN="$HOME/.local/bin" ;; esac
echo "Retrieving Poetry metadata"
echo
echo "# Welcome to Poetry!"
echo
echo "This will download and install the latest version of Poetry,"
echo "a dependency and package manager for Python."
echo
echo "It will add the \` + "`poetry\\`" + ` command to Poetry's bin directory, located at:"
echo
echo "$BIN"
echo
echo "You can uninstall at any time by executing this script with the --uninstall option,"
echo "and these changes will be reverted."
echo
echo "Installing Poetry ($VERSION): Creating environment"
python3 -m venv "$POETRY_HOME/venv"
echo "Installing Poetry ($VERSION): Installing Poetry"
"$POETRY_HOME/venv/bin/pip" install -q --no-cache-dir "poetry==$VERSION"
mkdir -p "$BIN"
ln -sf "$POETRY_HOME/venv/bin/poetry" "$BIN/poetry"
echo "Installing Poetry ($VERSION): Done"
echo
echo "Poetry ($VERSION) is installed now. Great!"
echo
echo "To get started you need Poetry's bin directory ($BIN) in your \` + "`PATH\\`" + `"
echo "environment variable."
`
}

func rustupInstaller([]string) string {
	return `set -e
YES=
TOOLCHAIN=stable
PROFILE=default
while [ $# -gt 0 ]; do
  case "$1" in
    -y) YES=1 ;;
    --default-toolchain) TOOLCHAIN="$2"; shift ;;
    --default-toolchain=*) TOOLCHAIN="${1#*=}" ;;
    --profile) PROFILE="$2"; shift ;;
    --profile=*) PROFILE="${1#*=}" ;;
  esac
  shift
done
if [ -z "$YES" ] && [ -z "$RUSTUP_INIT_SKIP_PATH_CHECK$CI" ]; then
  echo "info: downloading installer" >&2
  echo "rustup: Unable to run interactively. Run with -y to accept defaults, --help for additional options" >&2
  exit 1
fi
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
case "$TOOLCHAIN" in
  stable) RUSTC="` + rustLatest + `" ;;
  none) RUSTC= ;;
  *) RUSTC="$TOOLCHAIN" ;;
esac
TC="$TOOLCHAIN-x86_64-unknown-linux-gnu"
echo "info: downloading installer" >&2
echo "info: profile set to '$PROFILE'" >&2
echo "info: default host triple is x86_64-unknown-linux-gnu" >&2
mkdir -p "$CARGO_HOME/bin" "$RUSTUP_HOME"
layerlab-standin binary "$CARGO_HOME/bin/rustup" rustup ` + rustupLatest + ` 16000000
for t in cargo rustc rustdoc cargo-fmt cargo-clippy clippy-driver rustfmt rust-gdb rust-gdbgui rust-lldb rust-analyzer; do
  ln -f "$CARGO_HOME/bin/rustup" "$CARGO_HOME/bin/$t"
done
if [ -n "$RUSTC" ]; then
  echo "info: syncing channel updates for '$TC'" >&2
  echo "info: latest update on 2025-02-20, rust version $RUSTC (4d91de4e4 2025-02-17)" >&2
  for c in cargo rust-std rustc; do echo "info: downloading component '$c'" >&2; done
  SIZE=280000000
  if [ "$PROFILE" != minimal ]; then
    for c in clippy rust-docs rustfmt; do echo "info: downloading component '$c'" >&2; done
    SIZE=620000000
  fi
  echo "info: installing components" >&2
  mkdir -p "$RUSTUP_HOME/toolchains/$TC/bin" "$RUSTUP_HOME/toolchains/$TC/lib"
  layerlab-standin binary "$RUSTUP_HOME/toolchains/$TC/lib/librustc_driver.so" rust-toolchain "$RUSTC" "$SIZE"
  layerlab-standin binary "$RUSTUP_HOME/toolchains/$TC/bin/rustc" rustc "$RUSTC" 700000
  layerlab-standin binary "$RUSTUP_HOME/toolchains/$TC/bin/cargo" cargo "$RUSTC" 33000000
  printf '[overrides]\n\n[settings]\ndefault_toolchain = "%s"\nprofile = "%s"\nversion = "12"\n' "$TC" "$PROFILE" > "$RUSTUP_HOME/settings.toml"
  echo "info: default toolchain set to '$TC'" >&2
  echo >&2
  echo "  $TC installed - rustc $RUSTC (4d91de4e4 2025-02-17)" >&2
fi
printf '#!/bin/sh\n# rustup shell setup\n# affix colons on either side of $PATH to simplify matching\ncase ":${PATH}:" in\n    *:"%s/bin":*)\n        ;;\n    *)\n        # Prepending path in case a system-installed rustc needs to be overridden\n        export PATH="%s/bin:$PATH"\n        ;;\nesac\n' "$CARGO_HOME" "$CARGO_HOME" > "$CARGO_HOME/env"
for rc in "$HOME/.profile" "$HOME/.bashrc"; do
  grep -qsF "$CARGO_HOME/env" "$rc" 2>/dev/null || echo ". \"$CARGO_HOME/env\"" >> "$rc"
done
echo
echo "Rust is installed now. Great!"
echo
echo "To get started you may need to restart your current shell."
echo "This would reload your PATH environment variable to include"
echo "Cargo's bin directory ($CARGO_HOME/bin)."
echo
echo "To configure your current shell, you need to source"
echo "the corresponding env file under $CARGO_HOME."
`
}

func nodesourceInstaller(m []string) string {
	major := m[1]
	switch major {
	case "lts":
		major = nvmNodeLTS
	case "current":
		major = nvmNodeCur
	}
	return `set -e
NODE_MAJOR=` + major + `
if [ "$(id -u)" != 0 ]; then
  echo "This script must be run as root" >&2
  exit 1
fi
echo "Installing pre-requisites"
apt-get update
apt-get install -y apt-transport-https ca-certificates curl gnupg
mkdir -p /usr/share/keyrings /etc/apt/sources.list.d
printf 'layerlab stand-in for the NodeSource signing key\n' > /usr/share/keyrings/nodesource.gpg
echo "deb [arch=amd64 signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$NODE_MAJOR.x nodistro main" > /etc/apt/sources.list.d/nodesource.list
mkdir -p /etc/apt/preferences.d
printf 'Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n' > /etc/apt/preferences.d/nodejs
printf 'Package: nsolid\nPin: origin deb.nodesource.com\nPin-Priority: 600\n' > /etc/apt/preferences.d/nsolid
apt-get update
echo "Repository configured successfully."
echo "To install Node.js, run: apt-get install nodejs -y"
echo "You can use N|solid Runtime as a node.js alternative"
echo "To install N|solid Runtime, run: apt-get install nsolid -y"
`
}

// nvmScript is $NVM_DIR/nvm.sh: nvm is a shell function, sourced by the profile.
func nvmScript(ver string) string {
	var majors, npms strings.Builder
	for _, k := range sortedMapKeys(nodeReleases) {
		fmt.Fprintf(&majors, "    %s) echo %s ;;\n", k, nodeReleases[k])
		fmt.Fprintf(&npms, "    %s) echo %s ;;\n", k, npmOfNode[k])
	}
	return `# nvm.sh: the playground's stand-in for nvm ` + ver + ` (a shell function, as nvm is)
NVM_DIR="${NVM_DIR:-$HOME/.nvm}"
export NVM_DIR
nvm_resolve() {
  v="${1#v}"
  case "$v" in
    ""|node|stable|latest|current) v=` + nvmNodeCur + ` ;;
    lts/*|--lts) v=` + nvmNodeLTS + ` ;;
  esac
  major="${v%%.*}"
  case "$v" in
    *.*.*) echo "$v"; return 0 ;;
  esac
  case "$major" in
` + majors.String() + `    *) return 1 ;;
  esac
}
nvm_npm() {
  case "${1%%.*}" in
` + npms.String() + `    *) echo 10.9.2 ;;
  esac
}
nvm_use_path() {
  PATH="$NVM_DIR/versions/node/v$1/bin:$(echo "$PATH" | sed "s|$NVM_DIR/versions/node/[^:]*/bin:||g")"
  export PATH
  NVM_BIN="$NVM_DIR/versions/node/v$1/bin"
  export NVM_BIN
}
nvm() {
  case "$1" in
    --version|-v) echo ` + strings.TrimPrefix(ver, "v") + ` ;;
    install)
      shift
      while [ "${1#-}" != "$1" ] && [ "$1" != "--lts" ]; do shift; done
      full=$(nvm_resolve "${1:-node}") || { echo "Version '$1' not found - try \` + "`nvm ls-remote\\`" + ` to browse available versions." >&2; return 3; }
      dir="$NVM_DIR/versions/node/v$full"
      if [ -x "$dir/bin/node" ]; then
        echo "v$full is already installed."
      else
        echo "Downloading and installing node v$full..."
        echo "Downloading https://nodejs.org/dist/v$full/node-v$full-linux-x64.tar.xz..."
        echo "Computing checksum with sha256sum"
        echo "Checksums matched!"
        mkdir -p "$dir/bin" "$dir/lib/node_modules/npm/bin"
        layerlab-standin binary "$dir/bin/node" node "$full" 98000000
        layerlab-standin binary "$dir/lib/node_modules/npm/bin/npm-cli.js" npm "$(nvm_npm "$full")" 9000000
        layerlab-standin binary "$dir/bin/npm" npm "$(nvm_npm "$full")" 2000
        layerlab-standin binary "$dir/bin/npx" npx "$(nvm_npm "$full")" 2000
        layerlab-standin binary "$dir/bin/corepack" corepack "$full" 2000
      fi
      nvm_use_path "$full"
      echo "Now using node v$full (npm v$(nvm_npm "$full"))"
      if [ ! -f "$NVM_DIR/alias/default" ]; then
        mkdir -p "$NVM_DIR/alias"
        echo "${1:-node}" > "$NVM_DIR/alias/default"
        echo "Creating default alias: default -> ${1:-node} (-> v$full)"
      fi
      ;;
    use)
      full=$(nvm_resolve "$2") && [ -x "$NVM_DIR/versions/node/v$full/bin/node" ] || { echo "N/A: version \"$2\" is not yet installed." >&2; return 3; }
      nvm_use_path "$full"
      echo "Now using node v$full (npm v$(nvm_npm "$full"))"
      ;;
    alias)
      mkdir -p "$NVM_DIR/alias"
      echo "$3" > "$NVM_DIR/alias/$2"
      full=$(nvm_resolve "$3")
      echo "$2 -> $3 (-> v$full)"
      ;;
    current) [ -n "$NVM_BIN" ] && echo "v$(basename "$(dirname "$NVM_BIN")" | sed 's/^v//')" || echo none ;;
    which) full=$(nvm_resolve "$2") && echo "$NVM_DIR/versions/node/v$full/bin/node" ;;
    ls|list) ls "$NVM_DIR/versions/node" 2>/dev/null ;;
    cache) ;;
    *) echo "nvm $1: not simulated by the layerlab sandbox" >&2; return 127 ;;
  esac
}
if [ -f "$NVM_DIR/alias/default" ]; then
  full=$(nvm_resolve "$(cat "$NVM_DIR/alias/default")") && [ -x "$NVM_DIR/versions/node/v$full/bin/node" ] && nvm_use_path "$full"
fi
`
}

func nvmInstaller(m []string) string {
	return `set -e
NVM_DIR="${NVM_DIR:-$HOME/.nvm}"
echo "=> Downloading nvm from git to '$NVM_DIR'"
echo "=> Cloning into '$NVM_DIR'..."
mkdir -p "$NVM_DIR"
cat > "$NVM_DIR/nvm.sh" <<'NVMEOF'
` + nvmScript(m[1]) + `NVMEOF
printf '# bash completion for nvm (layerlab stand-in)\n' > "$NVM_DIR/bash_completion"
for rc in "$HOME/.bashrc"; do
  if ! grep -qsF 'NVM_DIR/nvm.sh' "$rc" 2>/dev/null; then
    echo "=> Appending nvm source string to $rc"
    printf '\nexport NVM_DIR="%s"\n[ -s "$NVM_DIR/nvm.sh" ] && \\. "$NVM_DIR/nvm.sh"  # This loads nvm\n[ -s "$NVM_DIR/bash_completion" ] && \\. "$NVM_DIR/bash_completion"  # This loads nvm bash_completion\n' "$NVM_DIR" >> "$rc"
    echo "=> Appending bash_completion source string to $rc"
  fi
done
if [ -n "$NODE_VERSION" ]; then
  . "$NVM_DIR/nvm.sh"
  nvm install "$NODE_VERSION"
fi
echo "=> Close and reopen your terminal to start using nvm or run the following to use it now:"
echo
echo 'export NVM_DIR="$HOME/.nvm"'
echo '[ -s "$NVM_DIR/nvm.sh" ] && \. "$NVM_DIR/nvm.sh"  # This loads nvm'
echo '[ -s "$NVM_DIR/bash_completion" ] && \. "$NVM_DIR/bash_completion"  # This loads nvm bash_completion'
`
}

func bunInstaller([]string) string {
	return `set -e
command -v unzip >/dev/null || { echo "error: unzip is required to install bun" >&2; exit 1; }
VERSION="` + bunLatest + `"
case "$1" in bun-v*) VERSION="${1#bun-v}" ;; esac
BUN_INSTALL="${BUN_INSTALL:-$HOME/.bun}"
mkdir -p "$BUN_INSTALL/bin"
echo "######################################################################## 100.0%"
layerlab-standin binary "$BUN_INSTALL/bin/bun" bun "$VERSION" 94000000
ln -sf bun "$BUN_INSTALL/bin/bunx"
echo "bun was installed successfully to $BUN_INSTALL/bin/bun"
if ! grep -qsF 'BUN_INSTALL' "$HOME/.bashrc" 2>/dev/null; then
  printf '\n# bun\nexport BUN_INSTALL="%s"\nexport PATH="$BUN_INSTALL/bin:$PATH"\n' "$BUN_INSTALL" >> "$HOME/.bashrc"
  echo
  echo "Added \"$BUN_INSTALL/bin\" to \$PATH in \"~/.bashrc\""
fi
echo
echo "To get started, run:"
echo
echo "  exec /bin/bash"
echo "  bun --help"
`
}

func denoInstaller([]string) string {
	return `set -e
command -v unzip >/dev/null || { echo "Error: unzip is required to install Deno (see: https://github.com/denoland/deno_install#either-unzip-or-7z-is-required )." >&2; exit 1; }
VERSION="` + denoLatest + `"
case "$1" in v*) VERSION="${1#v}" ;; esac
DENO_INSTALL="${DENO_INSTALL:-$HOME/.deno}"
mkdir -p "$DENO_INSTALL/bin"
echo "######################################################################## 100.0%"
layerlab-standin binary "$DENO_INSTALL/bin/deno" deno "$VERSION" 105000000
echo "Archive:  $DENO_INSTALL/bin/deno.zip"
echo "  inflating: $DENO_INSTALL/bin/deno"
echo "Deno was installed successfully to $DENO_INSTALL/bin/deno"
echo "Run 'deno --help' to get started"
`
}

func pnpmInstaller([]string) string {
	return `set -e
VERSION="${PNPM_VERSION:-` + pnpmLatest + `}"
PNPM_HOME="${PNPM_HOME:-$HOME/.local/share/pnpm}"
echo "==> Downloading pnpm binaries $VERSION"
mkdir -p "$PNPM_HOME"
layerlab-standin binary "$PNPM_HOME/pnpm" pnpm "$VERSION" 48000000
if ! grep -qsF 'PNPM_HOME' "$HOME/.bashrc" 2>/dev/null; then
  printf '\n# pnpm\nexport PNPM_HOME="%s"\ncase ":$PATH:" in\n  *":$PNPM_HOME:"*) ;;\n  *) export PATH="$PNPM_HOME:$PATH" ;;\nesac\n# pnpm end\n' "$PNPM_HOME" >> "$HOME/.bashrc"
fi
echo "Copying pnpm CLI from /tmp/tmp.layerlab/pnpm to $PNPM_HOME/pnpm"
echo "Appended new lines to $HOME/.bashrc"
echo
echo "Next configuration changes were made:"
echo "export PNPM_HOME=\"$PNPM_HOME\""
echo
echo "To start using pnpm, run:"
echo "source $HOME/.bashrc"
`
}

func dockerInstaller([]string) string {
	return `set -e
VERSION="${VERSION:-` + dockerLatest + `}"
echo "# Executing docker install script, commit: 4c94a56999e10efcf48c5b8e3f6afea464f9108e"
if [ "$(id -u)" != 0 ]; then
  echo "Error: this installer needs the ability to run commands as root." >&2
  exit 1
fi
. /etc/os-release
echo "+ sh -c apt-get -qq update >/dev/null"
echo "+ sh -c DEBIAN_FRONTEND=noninteractive apt-get -y -qq install ca-certificates curl >/dev/null"
mkdir -p /etc/apt/keyrings /etc/apt/sources.list.d
printf 'layerlab stand-in for Docker'"'"'s signing key\n' > /etc/apt/keyrings/docker.asc
echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$ID $VERSION_CODENAME stable" > /etc/apt/sources.list.d/docker.list
echo "+ sh -c DEBIAN_FRONTEND=noninteractive apt-get -y -qq install docker-ce docker-ce-cli containerd.io docker-compose-plugin docker-ce-rootless-extras docker-buildx-plugin >/dev/null"
layerlab-standin binary /usr/bin/docker docker "$VERSION" 38000000
layerlab-standin binary /usr/bin/dockerd dockerd "$VERSION" 78000000
layerlab-standin binary /usr/bin/containerd containerd 1.7.25 38000000
layerlab-standin binary /usr/bin/runc runc 1.2.4 11000000
mkdir -p /usr/libexec/docker/cli-plugins
layerlab-standin binary /usr/libexec/docker/cli-plugins/docker-compose docker-compose 2.32.4 61000000
layerlab-standin binary /usr/libexec/docker/cli-plugins/docker-buildx docker-buildx 0.20.0 58000000
echo "================================================================================"
echo
echo "To run Docker as a non-privileged user, consider setting up the"
echo "Docker daemon in rootless mode for your user:"
echo
echo "    dockerd-rootless-setuptool.sh install"
echo
echo "================================================================================"
`
}

func sdkmanInstaller([]string) string {
	return `set -e
SDKMAN_DIR="${SDKMAN_DIR:-$HOME/.sdkman}"
for t in unzip zip curl; do
  echo "Looking for $t..."
  if ! command -v "$t" >/dev/null; then
    echo "Not found."
    echo "======================================================================================================"
    echo " Please install $t on your system using your favourite package manager."
    echo
    echo " Restart after installing $t."
    echo "======================================================================================================"
    exit 1
  fi
done
echo "Installing SDKMAN scripts..."
mkdir -p "$SDKMAN_DIR/bin" "$SDKMAN_DIR/candidates" "$SDKMAN_DIR/etc" "$SDKMAN_DIR/tmp" "$SDKMAN_DIR/var"
printf 'sdkman_auto_answer=false\nsdkman_selfupdate_feature=true\n' > "$SDKMAN_DIR/etc/config"
cat > "$SDKMAN_DIR/bin/sdkman-init.sh" <<'SDKEOF'
# sdkman-init.sh: the playground's stand-in for SDKMAN! (sdk is a shell function, as SDKMAN's is)
SDKMAN_DIR="${SDKMAN_DIR:-$HOME/.sdkman}"
export SDKMAN_DIR
SDKMAN_CANDIDATES_DIR="$SDKMAN_DIR/candidates"
export SDKMAN_CANDIDATES_DIR
for d in "$SDKMAN_CANDIDATES_DIR"/*/current; do
  [ -d "$d/bin" ] && case ":$PATH:" in *":$d/bin:"*) ;; *) PATH="$d/bin:$PATH" ;; esac
done
export PATH
sdk() {
  case "$1" in
    version) echo "SDKMAN!"; echo "script: 5.18.2"; echo "native: 0.5.5" ;;
    install|i)
      c="$2"; v="$3"
      case "$c" in
        java) v="${v:-21.0.6-tem}"; bins="java javac jar jlink"; size=190000000 ;;
        maven) v="${v:-3.9.9}"; bins="mvn"; size=9000000 ;;
        gradle) v="${v:-8.12.1}"; bins="gradle"; size=130000000 ;;
        kotlin) v="${v:-2.1.10}"; bins="kotlin kotlinc"; size=80000000 ;;
        sbt) v="${v:-1.10.7}"; bins="sbt"; size=3000000 ;;
        scala) v="${v:-3.6.3}"; bins="scala scalac"; size=60000000 ;;
        springboot) v="${v:-3.4.2}"; bins="spring"; size=6000000 ;;
        *) echo "Stop! $c is not a valid candidate." >&2; return 1 ;;
      esac
      dir="$SDKMAN_CANDIDATES_DIR/$c/$v"
      if [ -d "$dir" ]; then echo "$c $v is already installed."; return 0; fi
      echo "Downloading: $c $v"
      echo "In progress..."
      echo "Installing: $c $v"
      mkdir -p "$dir/bin"
      first=1
      for b in $bins; do
        if [ "$first" = 1 ]; then layerlab-standin binary "$dir/bin/$b" "$b" "$v" "$size"; first=0
        else layerlab-standin binary "$dir/bin/$b" "$b" "$v" 20000; fi
      done
      echo "Done installing!"
      if [ ! -e "$SDKMAN_CANDIDATES_DIR/$c/current" ]; then
        ln -s "$v" "$SDKMAN_CANDIDATES_DIR/$c/current"
        echo
        echo "Setting $c $v as default."
      fi
      PATH="$SDKMAN_CANDIDATES_DIR/$c/current/bin:$PATH"; export PATH
      ;;
    default|d|use|u)
      [ -d "$SDKMAN_CANDIDATES_DIR/$2/$3" ] || { echo "Stop! Candidate version is not installed." >&2; return 1; }
      ln -sfn "$3" "$SDKMAN_CANDIDATES_DIR/$2/current"
      echo "Default $2 version set to $3"
      ;;
    flush|selfupdate|update|env) ;;
    current|c) for d in "$SDKMAN_CANDIDATES_DIR"/*/current; do [ -e "$d" ] && echo "$(basename "$(dirname "$d")"): $(readlink "$d")"; done ;;
    *) echo "sdk $1: not simulated by the layerlab sandbox" >&2; return 127 ;;
  esac
}
SDKEOF
for rc in "$HOME/.bashrc" "$HOME/.zshrc"; do
  grep -qsF 'sdkman-init.sh' "$rc" 2>/dev/null || printf '\n#THIS MUST BE AT THE END OF THE FILE FOR SDKMAN TO WORK!!!\nexport SDKMAN_DIR="%s"\n[[ -s "%s/bin/sdkman-init.sh" ]] && source "%s/bin/sdkman-init.sh"\n' "$SDKMAN_DIR" "$SDKMAN_DIR" "$SDKMAN_DIR" >> "$rc"
done
echo
echo "All done!"
echo
echo "Please open a new terminal, or run the following in the existing one:"
echo
echo "    source \"$SDKMAN_DIR/bin/sdkman-init.sh\""
echo
echo "Then issue the following command:"
echo
echo "    sdk help"
echo
echo "Enjoy!!!"
`
}

// standinCmd is the reserved command the stand-in installers write binaries with:
// `layerlab-standin binary DEST NAME VERSION SIZE`.
const standinCmd = "layerlab-standin"

func (p *proc) standin() int {
	if len(p.args) != 5 || p.args[0] != "binary" {
		p.errf("usage: %s binary DEST NAME VERSION SIZE (the playground's stand-in installers use it)", standinCmd)
		return 2
	}
	dest, name, ver := p.abs(p.args[1]), p.args[2], p.args[3]
	size, err := strconv.ParseInt(p.args[4], 10, 64)
	if err != nil || size < 0 {
		p.errf("bad size %q", p.args[4])
		return 2
	}
	if !p.writable(path.Dir(dest)) {
		p.errf("%s: Permission denied", dest)
		return 1
	}
	if err := p.put(dest, rootfs.Generated{Seed: seedOf("installer-bin", name, ver), N: size}, 0o755, p.s.uid, p.s.gid); err != nil {
		p.errf("%s: %s", dest, errno(err))
		return 1
	}
	return 0
}
