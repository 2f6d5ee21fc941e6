package baseimage

// goRelease is one served Go minor version.
type goRelease struct {
	minor   string // "1.23"
	version string // "1.23.6"
	size    int64  // bytes of /usr/local/go
	created string
}

// goToolchainSize is what the Debian golang image's apt-get install of gcc, g++,
// libc6-dev, make and pkg-config adds; goAlpineDeps is alpine's ca-certificates.
const (
	goToolchainSize = 335_000_000
	goAlpineDeps    = 700_000
)

// goFiles is a sample of a Go distribution, relative to /usr/local/go, with weights (KiB).
const goFiles = `
bin/go 14500 x
bin/gofmt 3200 x
pkg/tool/linux_amd64/compile 26000 x
pkg/tool/linux_amd64/link 9000 x
pkg/tool/linux_amd64/asm 4600 x
pkg/tool/linux_amd64/cgo 4400 x
pkg/tool/linux_amd64/vet 10000 x
pkg/tool/linux_amd64/cover 5200 x
pkg/tool/linux_amd64/objdump 4500 x
pkg/tool/linux_amd64/pprof 15000 x
pkg/tool/linux_amd64/trace 13000 x
pkg/tool/linux_amd64/buildid 2200 x
pkg/tool/linux_amd64/covdata 2700 x
pkg/tool/linux_amd64/dist 3300 x
pkg/tool/linux_amd64/nm 4400 x
pkg/tool/linux_amd64/pack 2600 x
pkg/tool/linux_amd64/addr2line 3300 x
pkg/include/textflag.h 2
pkg/include/funcdata.h 3
src/runtime/proc.go 230
src/runtime/malloc.go 70
src/runtime/mgc.go 65
src/runtime/asm_amd64.s 60
src/net/http/server.go 125
src/net/http/transport.go 95
src/net/http/h2_bundle.go 400
src/fmt/print.go 33
src/os/file.go 25
src/strings/strings.go 35
src/sync/mutex.go 9
src/encoding/json/encode.go 40
src/crypto/tls/handshake_client.go 40
src/cmd/compile/internal/ssa/rewriteAMD64.go 1000
src/cmd/compile/internal/ssa/rewritegeneric.go 850
src/cmd/compile/internal/types2/expr.go 50
src/cmd/go/internal/load/pkg.go 115
src/cmd/vendor/golang.org/x/tools/go/analysis/analysis.go 10
src/cmd/link/internal/ld/lib.go 85
src/unicode/tables.go 210
src/vendor/golang.org/x/net/idna/tables15.0.0.go 270
src/go.mod 1
src/all.bash 1 x
src/make.bash 8 x
src/internal/trace/testdata/tests/go122-annotations.test 300
src/crypto/internal/fips140/nistec/p256_table.go 400
src/debug/dwarf/testdata/typedef.elf 10
src/archive/zip/testdata/test.zip 1
lib/time/zoneinfo.zip 400
test/fixedbugs/issue9355.go 1
test/bench/go1/jsondata_test.go 1800
misc/wasm/wasm_exec.js 17
api/go1.txt 1800
api/go1.22.txt 9
doc/go_spec.html 280
doc/godebug.md 15
LICENSE 2
README.md 2
SECURITY.md 1
CONTRIBUTING.md 2
go.env 1
codereview.cfg 1
`

// buildGolang is golang:<minor>[-alpine], as the official Dockerfile builds it.
func buildGolang(s spec) (*Image, error) {
	r := s.line.data.(goRelease)
	alpine := s.distroKind() == "alpine"
	name, base := "golang:"+s.canonicalTag(), buildpackName(s.distro, "scm")
	if alpine {
		base = s.distro.baseName()
	}
	b, err := deriveFrom(base, name, date(r.created))
	if err != nil {
		return nil, err
	}
	b.seed = "golang:" + r.version
	if alpine {
		b.fill(goAlpineDeps, "/etc/ssl/certs/ca-certificates.crt.pem 214\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt 2\n/usr/bin/update-ca-certificates 30 x\n")
		b.run("apk add --no-cache ca-certificates")
	} else {
		b.addDebPackages(debMaint,
			"g++|4:12.2.0-3|devel|optional|GNU C++ compiler",
			"gcc|4:12.2.0-3|devel|optional|GNU C compiler",
			"libc6-dev|2.36-9+deb12u9|libdevel|optional|GNU C Library: Development Libraries and Header Files",
			"make|4.3-4.1|devel|optional|utility for directing compilation",
			"pkg-config|1.8.1-1|devel|optional|manage compile and link flags for libraries")
		b.link("/usr/bin/gcc", "gcc-12", "/usr/bin/g++", "g++-12", "/usr/bin/cc", "/etc/alternatives/cc", "/etc/alternatives/cc", "/usr/bin/gcc",
			"/usr/bin/ld", "x86_64-linux-gnu-ld.bfd", "/usr/bin/as", "x86_64-linux-gnu-as")
		b.fill(goToolchainSize, `
/usr/bin/gcc-12 1200 x
/usr/bin/g++-12 1200 x
/usr/bin/cpp-12 1200 x
/usr/bin/make 250 x
/usr/bin/pkgconf 40 x
/usr/libexec/gcc/x86_64-linux-gnu/12/cc1 34000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus 37000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/lto1 33000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/collect2 300 x
/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a 6200
/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a 5000
/usr/bin/x86_64-linux-gnu-ld.bfd 1900 x
/usr/bin/x86_64-linux-gnu-as 760 x
/usr/lib/x86_64-linux-gnu/libbfd-2.40-system.so 2200
/usr/lib/x86_64-linux-gnu/libc.a 6000
/usr/lib/x86_64-linux-gnu/libm.a 4000
/usr/lib/x86_64-linux-gnu/libisl.so.23.2.0 2500
/usr/lib/x86_64-linux-gnu/libmpfr.so.6.2.0 500
/usr/include/stdio.h 32
/usr/include/stdlib.h 41
/usr/include/c++/12/bits/stl_algo.h 210
`)
		b.run(aptRun("g++ \t\tgcc \t\tlibc6-dev \t\tmake \t\tpkg-config"))
	}
	b.env("GOLANG_VERSION", r.version)
	if compareVersions(r.minor, "1.21") >= 0 {
		// GOTOOLCHAIN exists from Go 1.21; the images set it from then on.
		b.env("GOTOOLCHAIN", "local")
	}
	b.env("GOPATH", "/go")
	b.env("PATH", "/go/bin:/usr/local/go/bin:"+mustEnv(b, "PATH"))
	b.file("/usr/local/go/VERSION", modeFile, "go"+r.version+"\ntime "+r.created+"\n")
	list := ""
	for _, line := range splitLines(goFiles) {
		list += "/usr/local/go/" + line + "\n"
	}
	b.fill(r.size, list)
	b.copyIn("dir", "/usr/local/go/")
	b.dir(modeTmp, "/go", "/go/src", "/go/bin")
	b.run("mkdir -p \"$GOPATH/src\" \"$GOPATH/bin\" && chmod -R 1777 \"$GOPATH\"")
	b.workdir("/go")
	return b.done()
}
