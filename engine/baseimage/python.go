package baseimage

import (
	"fmt"
	"strings"
)

// pythonRelease is one served Python minor version.
type pythonRelease struct {
	minor      string // "3.11"
	version    string // "3.11.11"
	gpgKey     string
	pip        string // pip version (installed by get-pip up to 3.11, by ensurepip from 3.12)
	setuptools string // "" from 3.12: no setuptools
	build      int64  // bytes the build layer adds (the full image's; slim and alpine differ)
	created    string
}

// Sizes of the python image layers that do not depend on the version.
const (
	pythonDepsFull   = 20_000_000 // libbluetooth-dev tk-dev uuid-dev
	pythonDepsSlim   = 4_500_000  // ca-certificates netbase tzdata
	pythonDepsAlpine = 1_600_000  // ca-certificates tzdata
	pythonSlimExtra  = 6_000_000  // runtime libraries the slim build keeps
	pythonAlpineLess = 4_000_000  // a musl build without libpython's debug symbols
	pythonGetPip     = 12_000_000 // pip and setuptools from get-pip.py
)

const (
	getPipURL    = "https://github.com/pypa/get-pip/raw/9af82b715db434abb94a0a6f3569f43e72157346/public/get-pip.py"
	getPipSHA256 = "45a2bb8bf2bb5eff16fdd00faef6f29731831c7c59bd9fc2bf1f3bed511ff1fe"
)

// pythonStdlib is a sample of the standard library, relative to /usr/local/lib/pythonX.Y,
// with weights (KiB). lib-dynload names get the version's ABI tag.
const pythonStdlib = `
__future__.py 5
abc.py 7
argparse.py 100
ast.py 64
base64.py 21
bisect.py 4
calendar.py 25
collections/__init__.py 52
collections/abc.py 1
contextlib.py 28
copy.py 9
csv.py 16
dataclasses.py 62
datetime.py 92
decimal.py 1
enum.py 80
functools.py 38
glob.py 9
hashlib.py 12
heapq.py 23
inspect.py 126
io.py 4
json/__init__.py 14
json/decoder.py 13
json/encoder.py 16
logging/__init__.py 82
logging/handlers.py 61
os.py 40
pathlib.py 49
pickle.py 65
platform.py 42
random.py 33
re/__init__.py 16
re/_compiler.py 27
re/_parser.py 41
shutil.py 57
socket.py 37
sqlite3/__init__.py 3
ssl.py 54
string.py 11
subprocess.py 88
tempfile.py 32
threading.py 58
traceback.py 45
typing.py 120
unittest/__init__.py 4
unittest/case.py 58
urllib/parse.py 45
urllib/request.py 101
uuid.py 28
zipfile.py 94
asyncio/__init__.py 2
asyncio/base_events.py 78
asyncio/events.py 28
asyncio/tasks.py 37
concurrent/futures/thread.py 9
email/__init__.py 2
email/message.py 47
email/_header_value_parser.py 108
encodings/__init__.py 6
encodings/utf_8.py 1
encodings/aliases.py 16
encodings/idna.py 9
http/client.py 57
http/server.py 48
importlib/__init__.py 6
importlib/_bootstrap.py 50
importlib/metadata/__init__.py 32
multiprocessing/connection.py 40
multiprocessing/pool.py 33
pydoc.py 111
pydoc_data/topics.py 790
tkinter/__init__.py 173
turtle.py 145
xml/etree/ElementTree.py 74
xml/dom/minidom.py 68
idlelib/editor.py 71
distutils/ccompiler.py 47
config-{X}-x86_64-linux-gnu/Makefile 140
config-{X}-x86_64-linux-gnu/python.o 20
lib-dynload/_asyncio.{TAG}.so 250
lib-dynload/_ctypes.{TAG}.so 620
lib-dynload/_datetime.{TAG}.so 560
lib-dynload/_decimal.{TAG}.so 1000
lib-dynload/_hashlib.{TAG}.so 210
lib-dynload/_json.{TAG}.so 160
lib-dynload/_pickle.{TAG}.so 550
lib-dynload/_socket.{TAG}.so 370
lib-dynload/_sqlite3.{TAG}.so 330
lib-dynload/_ssl.{TAG}.so 680
lib-dynload/_tkinter.{TAG}.so 300
lib-dynload/array.{TAG}.so 330
lib-dynload/math.{TAG}.so 280
lib-dynload/pyexpat.{TAG}.so 290
lib-dynload/select.{TAG}.so 150
lib-dynload/unicodedata.{TAG}.so 1170
lib-dynload/zlib.{TAG}.so 150
ensurepip/__init__.py 9
ensurepip/_bundled/pip-{PIP}-py3-none-any.whl 2100
`

// pipFiles is what pip (and setuptools) put in site-packages, with weights (KiB).
const pipFiles = `
pip/__init__.py 1
pip/__main__.py 1
pip/_internal/cli/main.py 3
pip/_internal/commands/install.py 29
pip/_internal/index/package_finder.py 38
pip/_internal/req/req_install.py 35
pip/_internal/resolution/resolvelib/factory.py 32
pip/_vendor/rich/console.py 100
pip/_vendor/requests/models.py 35
pip/_vendor/urllib3/connectionpool.py 40
pip/_vendor/pygments/lexers/_mapping.py 70
pip/_vendor/distlib/t64.exe 106
pip/_vendor/distlib/w64.exe 100
pip/_vendor/certifi/cacert.pem 290
pip/_vendor/idna/uts46data.py 200
pip/_vendor/pkg_resources/__init__.py 110
pip-{PIP}.dist-info/METADATA 4
pip-{PIP}.dist-info/RECORD 70
`

const setuptoolsFiles = `
setuptools/__init__.py 10
setuptools/dist.py 45
setuptools/_distutils/ccompiler.py 48
setuptools/_vendor/more_itertools/more.py 135
setuptools/cli-64.exe 14
setuptools/gui-64.exe 14
pkg_resources/__init__.py 110
_distutils_hack/__init__.py 6
setuptools-{ST}.dist-info/RECORD 30
`

// pipScript is the console script pip installs.
func pipScript(minor string) string {
	return "#!/usr/local/bin/python" + minor + "\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pip._internal.cli.main import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n"
}

// pythonBuildRun is the (abbreviated) RUN that builds CPython in each variant.
func pythonBuildRun(r pythonRelease, variant string) string {
	pip := "--without-ensurepip"
	check := "python3 --version"
	if r.setuptools == "" {
		pip = "--with-ensurepip"
		check = "python3 --version; \tpip3 --version"
	}
	fetch := "set -eux; \t\twget -O python.tar.xz \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz\"; \twget -O python.tar.xz.asc \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz.asc\"; \tGNUPGHOME=\"$(mktemp -d)\"; export GNUPGHOME; \tgpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$GPG_KEY\"; \tgpg --batch --verify python.tar.xz.asc python.tar.xz; \tgpgconf --kill all; \trm -rf \"$GNUPGHOME\" python.tar.xz.asc; \tmkdir -p /usr/src/python; \ttar --extract --directory /usr/src/python --strip-components=1 --file python.tar.xz; \trm python.tar.xz; \t\tcd /usr/src/python; \t"
	configure := "./configure \t\t--build=\"$gnuArch\" \t\t--enable-loadable-sqlite-extensions \t\t--enable-optimizations \t\t--enable-option-checking=fatal \t\t--enable-shared \t\t--with-lto \t\t--with-system-expat \t\t" + pip + " \t; \tnproc=\"$(nproc)\"; \tmake -j \"$nproc\" \t; \tmake install; \t\tcd /; \trm -rf /usr/src/python; \t\tfind /usr/local -depth \t\t\\( \t\t\t\\( -type d -a \\( -name test -o -name tests -o -name idle_test \\) \\) \t\t\t-o \\( -type f -a \\( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \\) \\) \t\t\\) -exec rm -rf '{}' + \t; \t"
	switch variant {
	case "slim":
		return "set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tdpkg-dev \t\tgcc \t\tgnupg \t\tlibbluetooth-dev \t\tlibbz2-dev \t\tlibc6-dev \t\tlibdb-dev \t\tlibexpat1-dev \t\tlibffi-dev \t\tlibgdbm-dev \t\tliblzma-dev \t\tlibncursesw5-dev \t\tlibreadline-dev \t\tlibsqlite3-dev \t\tlibssl-dev \t\tmake \t\ttk-dev \t\tuuid-dev \t\twget \t\txz-utils \t\tzlib1g-dev \t; \t\t" +
			strings.TrimPrefix(fetch, "set -eux; \t\t") + "gnuArch=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"; \t" + configure +
			"ldconfig; \t\tapt-mark auto '.*' > /dev/null; \tapt-mark manual $savedAptMark; \tfind /usr/local -type f -executable -not \\( -name '*tkinter*' \\) -exec ldd '{}' ';' \t\t| awk '/=>/ { so = $(NF-1); if (index(so, \"/usr/local/\") == 1) { next }; gsub(\"^/(usr/)?\", \"\", so); printf \"*%s\\n\", so }' \t\t| sort -u \t\t| xargs -r dpkg-query --search \t\t| cut -d: -f1 \t\t| sort -u \t\t| xargs -r apt-mark manual \t; \tapt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \trm -rf /var/lib/apt/lists/*; \t\t" + check
	case "alpine":
		return "set -eux; \t\tapk add --no-cache --virtual .build-deps \t\tgnupg \t\ttar \t\txz \t\t\t\tbluez-dev \t\tbzip2-dev \t\tdpkg-dev dpkg \t\texpat-dev \t\tfindutils \t\tgcc \t\tgdbm-dev \t\tlibc-dev \t\tlibffi-dev \t\tlibnsl-dev \t\tlibtirpc-dev \t\tlinux-headers \t\tmake \t\tncurses-dev \t\topenssl-dev \t\tpax-utils \t\treadline-dev \t\tsqlite-dev \t\ttcl-dev \t\ttk \t\ttk-dev \t\tutil-linux-dev \t\txz-dev \t\tzlib-dev \t; \t\t" +
			strings.TrimPrefix(fetch, "set -eux; \t\t") + "gnuArch=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"; \t" + configure +
			"find /usr/local -type f -executable -not \\( -name '*tkinter*' \\) -exec scanelf --needed --nobanner --format '%n#p' '{}' ';' \t\t| tr ',' '\\n' \t\t| sort -u \t\t| awk 'system(\"[ -e /usr/local/lib/\" $1 \" ]\") == 0 { next } { print \"so:\" $1 }' \t\t| xargs -rt apk add --no-network --virtual .python-rundeps \t; \tapk del --no-network .build-deps; \t\t" + check
	}
	return fetch + "gnuArch=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"; \t" + configure + "ldconfig; \t\t" + check
}

// buildPython is python:<minor>[-slim|-alpine], as the official Dockerfile builds it.
func buildPython(s spec) (*Image, error) {
	r := s.line.data.(pythonRelease)
	variant := s.flavor
	if s.distroKind() == "alpine" {
		variant = "alpine"
	}
	name, base := "python:"+s.canonicalTag(), buildpackName(s.distro, "")
	deps, build := int64(pythonDepsFull), r.build
	tag := "cpython-" + strings.ReplaceAll(r.minor, ".", "") + "-x86_64-linux-gnu"
	switch variant {
	case "slim":
		base = s.distro.baseName()
		deps, build = pythonDepsSlim, r.build+pythonSlimExtra
	case "alpine":
		base = s.distro.baseName()
		deps, build = pythonDepsAlpine, r.build-pythonAlpineLess
		tag = "cpython-" + strings.ReplaceAll(r.minor, ".", "") + "-x86_64-linux-musl"
	}
	b, err := deriveFrom(base, name, date(r.created))
	if err != nil {
		return nil, err
	}
	b.seed = "python:" + r.version + "-" + variant
	b.env("PATH", "/usr/local/bin:"+mustEnv(b, "PATH"))
	b.env("LANG", "C.UTF-8")

	// Layer: the runtime dependencies.
	switch variant {
	case "alpine":
		b.fill(deps, `
/etc/ssl/certs/ca-certificates.crt 214
/usr/share/zoneinfo/Etc/UTC 1
/usr/share/zoneinfo/America/New_York 4
/usr/share/zoneinfo/Europe/London 4
/usr/share/zoneinfo/tzdata.zi 105
/usr/share/zoneinfo/zone1970.tab 18
/usr/bin/c_rehash 7 x
`)
		b.run("set -eux; \tapk add --no-cache \t\tca-certificates \t\ttzdata \t;")
	case "slim":
		b.addDebPackages(debMaint,
			"ca-certificates|20230311|misc|optional|Common CA certificates",
			"netbase|6.4|admin|optional|Basic TCP/IP networking system",
			"libssl3|3.0.15-1~deb12u1|libs|optional|Secure Sockets Layer toolkit - shared libraries",
			"openssl|3.0.15-1~deb12u1|utils|optional|Secure Sockets Layer toolkit - cryptographic utility")
		b.fill(deps, `
/etc/ssl/certs/ca-certificates.crt 214
/etc/ssl/openssl.cnf 12
/usr/bin/openssl 999 x
/usr/lib/x86_64-linux-gnu/libssl.so.3 692
/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4604
/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt 2
`)
		b.run(aptRun("ca-certificates \t\tnetbase \t\ttzdata"))
	default:
		b.addDebPackages(debMaint,
			"libbluetooth-dev|5.66-1+deb12u2|libdevel|optional|Development files for using the BlueZ Linux Bluetooth library",
			"tk-dev|8.6.13|devel|optional|Toolkit for Tcl and X11 (default version) - development files",
			"uuid-dev|2.38.1-5+deb12u3|libdevel|optional|Universally Unique ID library - headers and static libraries")
		b.fill(deps, `
/usr/lib/x86_64-linux-gnu/libtk8.6.so 1560
/usr/lib/x86_64-linux-gnu/libtcl8.6.so 1700
/usr/lib/x86_64-linux-gnu/libtk8.6.a 2900
/usr/lib/x86_64-linux-gnu/libtcl8.6.a 3100
/usr/lib/x86_64-linux-gnu/libbluetooth.so.3.19.8 180
/usr/lib/x86_64-linux-gnu/libuuid.a 60
/usr/include/tcl8.6/tcl.h 90
/usr/include/tcl8.6/tk.h 80
/usr/include/bluetooth/bluetooth.h 11
/usr/include/uuid/uuid.h 4
/usr/share/tcltk/tk8.6/tk.tcl 24
/usr/share/tcltk/tcl8.6/init.tcl 25
/usr/share/tcltk/tcl8.6/tzdata/America/New_York 9
/usr/share/tcltk/tcl8.6/encoding/cp1252.enc 1
/usr/lib/x86_64-linux-gnu/libX11.a 2500
/usr/lib/x86_64-linux-gnu/libxcb.a 400
/usr/lib/x86_64-linux-gnu/libXft.so.2.3.6 95
/usr/lib/x86_64-linux-gnu/libfontconfig.a 400
/usr/lib/x86_64-linux-gnu/libfreetype.a 1400
`)
		b.run(aptRun("libbluetooth-dev \t\ttk-dev \t\tuuid-dev"))
	}
	if r.gpgKey != "" { // from 3.14 releases are signed with Sigstore only
		b.env("GPG_KEY", r.gpgKey)
	}
	b.env("PYTHON_VERSION", r.version)

	// Layer: CPython itself.
	lib := "/usr/local/lib/python" + r.minor + "/"
	b.file("/usr/local/bin/python"+r.minor+"-config", modeExec, "#!/bin/sh\n\n# Keep this script in sync with python-config.in\n\nexit_with_usage ()\n{\n    echo \"Usage: $0 --prefix|--exec-prefix|--includes|--libs|--cflags|--ldflags|--extension-suffix|--help|--abiflags|--configdir|--embed\"\n    exit $1\n}\n\nprefix_real=$(installed_prefix \"$0\")\n")
	b.file("/usr/local/bin/pydoc"+r.minor, modeExec, "#!/usr/local/bin/python"+r.minor+"\n\nimport pydoc\nif __name__ == '__main__':\n    pydoc.cli()\n")
	b.file("/usr/local/bin/idle"+r.minor, modeExec, "#!/usr/local/bin/python"+r.minor+"\n\nfrom idlelib.pyshell import main\nif __name__ == '__main__':\n    main()\n")
	b.link("/usr/local/bin/python3", "python"+r.minor, "/usr/local/bin/pydoc3", "pydoc"+r.minor,
		"/usr/local/bin/idle3", "idle"+r.minor, "/usr/local/bin/python3-config", "python"+r.minor+"-config",
		"/usr/local/lib/libpython"+r.minor+".so", "libpython"+r.minor+".so.1.0")
	if compareVersions(r.minor, "3.13") < 0 {
		b.file("/usr/local/bin/2to3-"+r.minor, modeExec, "#!/usr/local/bin/python"+r.minor+"\nimport sys\nfrom lib2to3.main import main\n\nsys.exit(main(\"lib2to3.fixes\"))\n")
		b.link("/usr/local/bin/2to3", "2to3-"+r.minor)
	}
	b.file("/usr/local/lib/pkgconfig/python3.pc", modeFile, fmt.Sprintf("prefix=/usr/local\nexec_prefix=${prefix}\nlibdir=${exec_prefix}/lib\nincludedir=${prefix}/include\n\nName: Python\nDescription: Build a C extension for Python\nRequires:\nVersion: %s\nLibs.private: -ldl \nLibs: -L${libdir} \nCflags: -I${includedir}/python%s\n", r.minor, r.minor))
	b.file(lib+"site-packages/README.txt", modeFile, "This directory exists so that 3rd party packages can be installed\nhere.  Read the source for site.py for more details.\n")
	list := "/usr/local/bin/python" + r.minor + " 17 x\n/usr/local/lib/libpython" + r.minor + ".so.1.0 21000\n/usr/local/lib/libpython3.so 15\n" +
		"/usr/local/include/python" + r.minor + "/Python.h 4\n/usr/local/include/python" + r.minor + "/object.h 30\n/usr/local/include/python" + r.minor + "/pyconfig.h 60\n"
	for _, line := range strings.Split(strings.TrimSpace(pythonStdlib), "\n") {
		list += lib + line + "\n"
	}
	pipLines := ""
	for _, line := range strings.Split(strings.TrimSpace(pipFiles), "\n") {
		pipLines += lib + "site-packages/" + line + "\n"
	}
	if r.setuptools == "" {
		// ensurepip installs pip in the build step.
		list += pipLines
		b.file("/usr/local/bin/pip3", modeExec, pipScript(r.minor))
		b.file("/usr/local/bin/pip"+r.minor, modeExec, pipScript(r.minor))
	}
	rep := strings.NewReplacer("{X}", r.minor, "{TAG}", tag, "{PIP}", r.pip, "{ST}", r.setuptools)
	b.fill(build, rep.Replace(list))
	b.run(pythonBuildRun(r, variant))

	// Layer: the unversioned names.
	links := "idle3 pydoc3 python3 python3-config"
	if r.setuptools == "" {
		links = "idle3 pip3 pydoc3 python3 python3-config"
	}
	for _, src := range strings.Fields(links) {
		b.link("/usr/local/bin/"+strings.ReplaceAll(src, "3", ""), src)
	}
	b.run("set -eux; \tfor src in " + links + "; do \t\tdst=\"$(echo \"$src\" | tr -d 3)\"; \t\t[ -s \"/usr/local/bin/$src\" ]; \t\t[ ! -e \"/usr/local/bin/$dst\" ]; \t\tln -svT \"$src\" \"/usr/local/bin/$dst\"; \tdone")

	if r.setuptools != "" {
		b.env("PYTHON_PIP_VERSION", r.pip)
		b.env("PYTHON_SETUPTOOLS_VERSION", r.setuptools)
		b.env("PYTHON_GET_PIP_URL", getPipURL)
		b.env("PYTHON_GET_PIP_SHA256", getPipSHA256)
		for _, p := range []string{"pip", "pip3", "pip" + r.minor} {
			b.file("/usr/local/bin/"+p, modeExec, pipScript(r.minor))
		}
		st := ""
		for _, line := range strings.Split(strings.TrimSpace(setuptoolsFiles), "\n") {
			st += lib + "site-packages/" + line + "\n"
		}
		b.fill(pythonGetPip, rep.Replace(pipLines+st))
		b.run("set -eux; \t\twget -O get-pip.py \"$PYTHON_GET_PIP_URL\"; \techo \"$PYTHON_GET_PIP_SHA256 *get-pip.py\" | sha256sum -c -; \t\texport PYTHONDONTWRITEBYTECODE=1; \t\tpython get-pip.py \t\t--disable-pip-version-check \t\t--no-cache-dir \t\t--no-compile \t\t\"pip==$PYTHON_PIP_VERSION\" \t\t\"setuptools==$PYTHON_SETUPTOOLS_VERSION\" \t; \trm -f get-pip.py; \t\tpip --version")
	}
	b.cmd("python3")
	return b.done()
}

// mustEnv returns the base image's value of an environment variable.
func mustEnv(b *builder, key string) string {
	v, ok := b.img.Config.GetEnv(key)
	if !ok {
		b.fail(fmt.Errorf("base image has no %s", key))
	}
	return v
}
