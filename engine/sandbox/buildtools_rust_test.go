package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// rustFS is a rust:1.80-like image: Debian plus cargo, rustc and rustup in /usr/local/cargo/bin.
func rustFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	for _, b := range []string{"cargo", "rustc", "rustup"} {
		put(t, f, "/usr/local/cargo/bin/"+b, elf, 0o755)
	}
	return f
}

// chefFS adds cargo-chef, as lukemathwalker/cargo-chef has it.
func chefFS(t testing.TB) *rootfs.FS {
	f := rustFS(t)
	put(t, f, "/usr/local/cargo/bin/cargo-chef", elf, 0o755)
	return f
}

var rustEnv = func(o *Options) {
	o.Env = []string{"PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CARGO_HOME=/usr/local/cargo", "RUSTUP_HOME=/usr/local/rustup", "RUST_VERSION=1.80.1", "HOME=/root"}
	o.Dir = "/app"
}

const cargoToml = "[package]\nname = \"zero2prod\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\npath = \"src/lib.rs\"\n\n[[bin]]\npath = \"src/main.rs\"\nname = \"zero2prod\"\n\n[dependencies]\nactix-web = \"4\"\nsqlx = { version = \"0.8\", default-features = false, features = [\n    \"macros\",\n] }\n"

func TestRustOutputsFollowInputs(t *testing.T) {
	files := map[string]string{"/app/Cargo.toml": cargoToml, "/app/src/main.rs": "fn main() {}\n", "/app/src/lib.rs": "pub fn f() {}\n"}
	checkOutputsFollowInputs(t, []buildCase{
		{name: "cargo build --release", image: rustFS, opts: rustEnv, script: "cargo build --release", files: files,
			outputs: []string{"/app/target/release/zero2prod"}, edit: "/app/src/lib.rs"},
		{name: "cargo install --path", image: rustFS, opts: rustEnv, script: "cargo install --path .", files: files,
			outputs: []string{"/usr/local/cargo/bin/zero2prod"}, edit: "/app/src/main.rs"},
		{name: "rustc", image: rustFS, opts: rustEnv, script: "rustc -O -o hello main.rs",
			files: map[string]string{"/app/main.rs": "fn main() {}\n"}, outputs: []string{"/app/hello"}, edit: "/app/main.rs"},
		{name: "cargo chef: the recipe follows the manifests", image: chefFS, opts: rustEnv, script: "cargo chef prepare --recipe-path recipe.json", files: files,
			outputs: []string{"/app/recipe.json"}, edit: "/app/Cargo.toml"},
	})
}

// TestCargoChefRecipeIgnoresSources: a source edit leaves recipe.json (and so the cook
// layer) as it was; cook builds the dependencies that cargo build then reuses.
func TestCargoChefRecipeIgnoresSources(t *testing.T) {
	recipe := func(main string) string {
		f := chefFS(t)
		put(t, f, "/app/Cargo.toml", cargoToml, 0o644)
		put(t, f, "/app/src/main.rs", main, 0o644)
		put(t, f, "/app/src/lib.rs", "pub fn f() {}\n", 0o644)
		r := run(t, f, "cargo chef prepare --recipe-path recipe.json", rustEnv)
		if r.code != 0 {
			t.Fatalf("%d\n%s", r.code, r.out)
		}
		return readFS(t, f, "/app/recipe.json")
	}
	if recipe("fn main() {}\n") != recipe("fn main() { println!(\"v2\"); }\n") {
		t.Error("recipe.json changed with a source edit")
	}

	f := chefFS(t)
	put(t, f, "/build/recipe.json", recipe("fn main() {}\n"), 0o644)
	r := run(t, f, "cd /build && cargo chef cook --release --recipe-path recipe.json && ls target/release/deps", rustEnv)
	if r.code != 0 || !strings.Contains(r.out, "libactix_web-") || !strings.Contains(r.out, "libsqlx-") {
		t.Fatalf("cook: %d\n%s", r.code, r.out)
	}
	put(t, f, "/build/src/main.rs", "fn main() {}\n", 0o644)
	r = run(t, f, "cd /build && cargo build --release --bin zero2prod", rustEnv)
	if r.code != 0 || strings.Contains(r.out, "Compiling actix-web") || !strings.Contains(r.out, "Compiling zero2prod v0.0.1") {
		t.Errorf("build after cook recompiled the dependencies or not the crate: %d\n%s", r.code, r.out)
	}
}

func TestCargoCommands(t *testing.T) {
	tests := []buildToolCase{
		{name: "new then build", script: "cd / && cargo new --bin rust-docker && cd /rust-docker && cargo build --release",
			want: []string{"Creating binary (application) `rust-docker` package", "Finished `release` profile"}, exists: []string{"/rust-docker/src/main.rs", "/rust-docker/target/release/rust-docker", "/rust-docker/Cargo.lock"}},
		{name: "no manifest", script: "cargo build", code: 101, want: []string{"error: could not find `Cargo.toml` in `/app` or any parent directory"}},
		{name: "--locked without a lockfile", files: map[string]string{"/app/Cargo.toml": cargoToml, "/app/src/main.rs": ""}, script: "cargo build --locked", code: 101, want: []string{"needs to be updated but --locked was passed"}},
		{name: "unknown flag", files: map[string]string{"/app/Cargo.toml": cargoToml}, script: "cargo build --frobnicate", code: 1, want: []string{"unexpected argument '--frobnicate'"}},
		{name: "debug build", files: map[string]string{"/app/Cargo.toml": cargoToml, "/app/src/main.rs": "", "/app/src/lib.rs": ""}, script: "cargo build", exists: []string{"/app/target/debug/zero2prod", "/app/target/debug/libzero2prod.rlib"}},
		{name: "--target", files: map[string]string{"/app/Cargo.toml": cargoToml, "/app/src/main.rs": ""}, script: "rustup target add x86_64-unknown-linux-musl && cargo build --release --target x86_64-unknown-linux-musl",
			exists: []string{"/app/target/x86_64-unknown-linux-musl/release/zero2prod"}},
		{name: "fetch", files: map[string]string{"/app/Cargo.toml": cargoToml}, script: "cargo fetch", want: []string{"Downloaded actix-web v4.0.0"}},
		{name: "install a crate", script: "cargo install cargo-chef --locked && cargo chef --help", want: []string{"synthesized", "Usage: cargo chef"}, exists: []string{"/usr/local/cargo/bin/cargo-chef"}},
		{name: "chef needs cargo-chef", files: map[string]string{"/app/Cargo.toml": cargoToml}, script: "cargo chef prepare", code: 101, want: []string{"error: no such command: `chef`"}},
		{name: "cargo run is refused by name", script: "cargo run", code: 101, want: []string{"cannot run them"}},
	}
	runBuildToolCases(t, rustFS, "/app", rustEnv, tests)
}
