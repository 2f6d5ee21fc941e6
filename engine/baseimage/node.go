package baseimage

import "strings"

// nodeRelease is one served Node.js major version.
type nodeRelease struct {
	major   string // "22"
	version string // "22.14.0"
	size    int64  // bytes the node layer adds on Debian (alpine adds libstdc++ too)
	created string
}

const (
	yarnVersion    = "1.22.22"
	yarnLayerSize  = 5_300_000
	nodeAlpineMore = 2_000_000 // libstdc++ and libgcc from apk
)

// nodeEntrypoint is the official image's docker-entrypoint.sh.
const nodeEntrypoint = `#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
`

// nodeFiles are what the Node.js tarball puts under /usr/local, with weights (KiB).
const nodeFiles = `
/usr/local/bin/node 96000 x
/usr/local/include/node/node.h 60
/usr/local/include/node/v8.h 5
/usr/local/include/node/v8-isolate.h 65
/usr/local/include/node/uv.h 70
/usr/local/include/node/openssl/ssl.h 130
/usr/local/share/doc/node/gdbinit 10
/usr/local/share/man/man1/node.1 20
/usr/local/share/systemtap/tapset/node.stp 10
/usr/local/lib/node_modules/npm/package.json 3
/usr/local/lib/node_modules/npm/bin/npm-cli.js 1 x
/usr/local/lib/node_modules/npm/bin/npx-cli.js 1 x
/usr/local/lib/node_modules/npm/bin/npm 2 x
/usr/local/lib/node_modules/npm/bin/npx 2 x
/usr/local/lib/node_modules/npm/lib/npm.js 14
/usr/local/lib/node_modules/npm/lib/commands/install.js 7
/usr/local/lib/node_modules/npm/node_modules/@npmcli/arborist/lib/arborist/reify.js 55
/usr/local/lib/node_modules/npm/node_modules/pacote/lib/fetcher.js 16
/usr/local/lib/node_modules/npm/node_modules/semver/classes/range.js 15
/usr/local/lib/node_modules/npm/node_modules/tar/lib/unpack.js 25
/usr/local/lib/node_modules/npm/docs/content/commands/npm-install.md 18
/usr/local/lib/node_modules/npm/man/man1/npm-install.1 16
/usr/local/lib/node_modules/npm/README.md 4
/usr/local/lib/node_modules/corepack/package.json 4
/usr/local/lib/node_modules/corepack/dist/corepack.js 1 x
/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs 1900
`

// buildNode is node:<major>[-slim|-alpine], as the official Dockerfile builds it.
func buildNode(s spec) (*Image, error) {
	r := s.line.data.(nodeRelease)
	variant := s.flavor
	if s.distroKind() == "alpine" {
		variant = "alpine"
	}
	name, base := "node:"+s.canonicalTag(), buildpackName(s.distro, "")
	size := r.size
	switch variant {
	case "slim":
		base = s.distro.baseName()
	case "alpine":
		base = s.distro.baseName()
		size += nodeAlpineMore
	}
	b, err := deriveFrom(base, name, date(r.created))
	if err != nil {
		return nil, err
	}
	b.seed = "node:" + r.version + "-" + variant
	addUser := func(shell string) {
		passwd, err1 := b.cur.ReadFile("/etc/passwd")
		group, err2 := b.cur.ReadFile("/etc/group")
		if err1 != nil || err2 != nil {
			b.fail(err1)
			b.fail(err2)
			return
		}
		b.file("/etc/passwd", modeFile, string(passwd)+"node:x:1000:1000::/home/node:"+shell+"\n")
		b.file("/etc/group", modeFile, string(group)+"node:x:1000:\n")
		b.dir(modeDir, "/home/node")
		b.chown("/home/node", 1000, 1000)
	}
	installNode := func() {
		b.link("/usr/local/bin/nodejs", "node",
			"/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js",
			"/usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js",
			"/usr/local/bin/corepack", "../lib/node_modules/corepack/dist/corepack.js")
		list := nodeFiles
		if variant == "alpine" {
			list += "/usr/lib/libstdc++.so.6.0.33 2600\n/usr/lib/libgcc_s.so.1 150\n"
			b.link("/usr/lib/libstdc++.so.6", "libstdc++.so.6.0.33")
		}
		b.fill(size, list)
	}
	nodeRun := "ARCH= && dpkgArch=\"$(dpkg --print-architecture)\"     && case \"${dpkgArch##*-}\" in       amd64) ARCH='x64';;       ppc64el) ARCH='ppc64le';;       s390x) ARCH='s390x';;       arm64) ARCH='arm64';;       armhf) ARCH='armv7l';;       i386) ARCH='x86';;       *) echo \"unsupported architecture\"; exit 1 ;;     esac     && set -ex     && for key in       C0D6248439F1D5604AAFFB4021D900FFDB233756       DD792F5973C6DE3D0F75B6C97D2F7EBE1B1A8F29       CC68F5A3106FF448322E48ED27F5E38D5B0A215F     ; do       gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$key\" ||       gpg --batch --keyserver keyserver.ubuntu.com --recv-keys \"$key\" ;     done     && curl -fsSLO --compressed \"https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-$ARCH.tar.xz\"     && curl -fsSLO --compressed \"https://nodejs.org/dist/v$NODE_VERSION/SHASUMS256.txt.asc\"     && gpg --batch --decrypt --output SHASUMS256.txt SHASUMS256.txt.asc     && grep \" node-v$NODE_VERSION-linux-$ARCH.tar.xz\\$\" SHASUMS256.txt | sha256sum -c -     && tar -xJf \"node-v$NODE_VERSION-linux-$ARCH.tar.xz\" -C /usr/local --strip-components=1 --no-same-owner     && rm \"node-v$NODE_VERSION-linux-$ARCH.tar.xz\" SHASUMS256.txt.asc SHASUMS256.txt     && ln -s /usr/local/bin/node /usr/local/bin/nodejs     && node --version     && npm --version"
	switch variant {
	case "alpine":
		b.env("NODE_VERSION", r.version)
		addUser("/bin/sh")
		installNode()
		b.run("addgroup -g 1000 node     && adduser -u 1000 -G node -s /bin/sh -D node     && apk add --no-cache         libstdc++     && apk add --no-cache --virtual .build-deps         curl     && ARCH= OPENSSL_ARCH='linux*' && alpineArch=\"$(apk --print-arch)\"       && case \"${alpineArch##*-}\" in         x86_64) ARCH='x64' CHECKSUM=\"" + fakeSum("node", r.version, "musl") + "\" OPENSSL_ARCH=linux-x86_64;;         *) ;;       esac   && if [ -n \"${CHECKSUM}\" ]; then     set -eu;     curl -fsSLO --compressed \"https://unofficial-builds.nodejs.org/download/release/v$NODE_VERSION/node-v$NODE_VERSION-linux-$ARCH-musl.tar.xz\";     echo \"$CHECKSUM  node-v$NODE_VERSION-linux-$ARCH-musl.tar.xz\" | sha256sum -c -       && tar -xJf \"node-v$NODE_VERSION-linux-$ARCH-musl.tar.xz\" -C /usr/local --strip-components=1 --no-same-owner       && ln -s /usr/local/bin/node /usr/local/bin/nodejs;   fi   && rm -f \"node-v$NODE_VERSION-linux-$ARCH-musl.tar.xz\"   && apk del .build-deps   && node --version   && npm --version")
	case "slim":
		addUser("/bin/bash")
		b.run("groupadd --gid 1000 node   && useradd --uid 1000 --gid node --shell /bin/bash --create-home node")
		b.env("NODE_VERSION", r.version)
		installNode()
		b.run(strings.Replace(nodeRun, "&& set -ex ", "&& set -ex     && savedAptMark=\"$(apt-mark showmanual)\"     && apt-get update && apt-get install -y ca-certificates curl wget gnupg dirmngr xz-utils libatomic1 --no-install-recommends     && rm -rf /var/lib/apt/lists/* ", 1) + "     && apt-mark auto '.*' > /dev/null     && apt-mark manual $savedAptMark     && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false")
	default:
		addUser("/bin/bash")
		b.run("groupadd --gid 1000 node   && useradd --uid 1000 --gid node --shell /bin/bash --create-home node")
		b.env("NODE_VERSION", r.version)
		installNode()
		b.run(nodeRun)
	}
	b.env("YARN_VERSION", yarnVersion)
	b.link("/usr/local/bin/yarn", "/opt/yarn-v"+yarnVersion+"/bin/yarn", "/usr/local/bin/yarnpkg", "/opt/yarn-v"+yarnVersion+"/bin/yarnpkg")
	b.fill(yarnLayerSize, `
/opt/yarn-v1.22.22/bin/yarn 2 x
/opt/yarn-v1.22.22/bin/yarnpkg 1 x
/opt/yarn-v1.22.22/bin/yarn.js 1 x
/opt/yarn-v1.22.22/lib/cli.js 5200
/opt/yarn-v1.22.22/package.json 1
/opt/yarn-v1.22.22/LICENSE 2
`)
	yarnRun := "set -ex   && for key in     6A010C5166006599AA17F08146C2130DFD2497F5   ; do     gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$key\" ||     gpg --batch --keyserver keyserver.ubuntu.com --recv-keys \"$key\" ;   done   && curl -fsSLO --compressed \"https://yarnpkg.com/downloads/$YARN_VERSION/yarn-v$YARN_VERSION.tar.gz\"   && curl -fsSLO --compressed \"https://yarnpkg.com/downloads/$YARN_VERSION/yarn-v$YARN_VERSION.tar.gz.asc\"   && gpg --batch --verify yarn-v$YARN_VERSION.tar.gz.asc yarn-v$YARN_VERSION.tar.gz   && mkdir -p /opt   && tar -xzf yarn-v$YARN_VERSION.tar.gz -C /opt/   && ln -s /opt/yarn-v$YARN_VERSION/bin/yarn /usr/local/bin/yarn   && ln -s /opt/yarn-v$YARN_VERSION/bin/yarnpkg /usr/local/bin/yarnpkg   && rm yarn-v$YARN_VERSION.tar.gz.asc yarn-v$YARN_VERSION.tar.gz   && yarn --version"
	if variant == "alpine" {
		yarnRun = "apk add --no-cache --virtual .build-deps-yarn curl gnupg tar   && " + strings.TrimPrefix(yarnRun, "set -ex   && ") + "   && apk del .build-deps-yarn"
	}
	b.run(yarnRun)
	b.file("/usr/local/bin/docker-entrypoint.sh", modeExec, nodeEntrypoint)
	b.copyIn("file", "/usr/local/bin/")
	b.entrypoint("docker-entrypoint.sh")
	b.cmd("node")
	return b.done()
}
