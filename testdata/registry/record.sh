#!/usr/bin/env bash
# Records what Docker 20.10's client prints (stdout not a TTY) for push, pull, login
# and logout against Debian's docker-registry, into this directory: the golden texts of
# cmd/layerlab/registry_test.go. Each NAME.txt is the command's stdout and stderr, in
# order (2>&1). Run from the repository root:
#   testdata/registry/record.sh
# Needs scripts/dockerd-up's private daemon (with busybox:local) and
# scripts/docker-registry-up; leaves nothing running that it started.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$out/../.." && pwd)
eval "$("$root/scripts/dockerd-up")"
D=/usr/bin/docker
work=$(mktemp -d)
export DOCKER_CONFIG=$work/docker-config
mkdir -p "$DOCKER_CONFIG"
A=$(LAYERLAB_REGISTRY_DIR=$work/reg "$root/scripts/docker-registry-up")
B=$(LAYERLAB_REGISTRY_DIR=$work/reg-auth "$root/scripts/docker-registry-up" --htpasswd alice:s3cret)
cleanup() {
  kill "$(cat "$work/reg/pid")" "$(cat "$work/reg-auth/pid")" 2>/dev/null || true
  # By name, never by ID: busybox:local shares its ID with the tags made here.
  $D images --format '{{.Repository}}:{{.Tag}}' | grep -E "^($A|$B)/" | xargs -r $D rmi >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
rec() { # rec NAME CMD...: run, keep stdout+stderr and the exit code
  local name=$1; shift
  local rc=0
  "$@" >"$out/$name.txt" 2>&1 || rc=$?
  echo "$rc" >"$out/$name.exit"
}
mkdir -p "$work/ctx" "$work/base/etc"
echo v1 >"$work/ctx/app.txt"
printf 'FROM busybox:local\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n' >"$work/ctx/Dockerfile"
DOCKER_BUILDKIT=0 $D build -q -t "$A/team/app:1" "$work/ctx" >/dev/null

rec push-new $D push "$A/team/app:1"
rec push-again $D push "$A/team/app:1"
$D rmi "$A/team/app:1" >/dev/null
rec pull-partial $D pull "$A/team/app:1"           # the busybox layer is here already
rec pull-uptodate $D pull "$A/team/app:1"
rec pull-missing-tag $D pull "$A/team/app:nope"
rec pull-missing-repo $D pull "$A/team/nothere:1"

# An image none of whose layers the daemon has: a unique imported base.
echo "recorded $(date -u +%FT%T.%NZ)" >"$work/base/etc/marker"
printf 'FROM %s/team/base:1\nCOPY app.txt /app/\nRUN ["/bin/busybox", "sh", "-c", "echo hi > /hi.txt"]\n' "$A" >"$work/ctx/Dockerfile.two"
cp /usr/bin/busybox "$work/base/busybox"; mkdir -p "$work/base/bin"; mv "$work/base/busybox" "$work/base/bin/busybox"
tar -C "$work/base" -cf "$work/base.tar" .
$D import "$work/base.tar" "$A/team/base:1" >/dev/null
DOCKER_BUILDKIT=0 $D build -q -f "$work/ctx/Dockerfile.two" -t "$A/team/two:1" "$work/ctx" >/dev/null
$D push "$A/team/two:1" >/dev/null
$D rmi "$A/team/two:1" "$A/team/base:1" >/dev/null
rec pull-new $D pull "$A/team/two:1"
$D tag "$A/team/two:1" "$A/team/two:other"
rec push-other-tag $D push "$A/team/two:other"
$D rmi "$A/team/two:other" >/dev/null
rec pull-other-tag $D pull "$A/team/two:other"       # the image is here under another tag
dg=$(awk '/^Digest:/ {print $2}' "$out/pull-new.txt")
rec pull-by-digest $D pull "$A/team/two@$dg"
rec push-no-image $D push "$A/team/nothere:1"
rec pull-notag $D pull "$A/team/app"                  # no tag: latest, which is not there
rec push-notag $D push "$A/team/app"

# A registry that wants credentials (htpasswd, basic auth).
$D tag busybox:local "$B/team/sec:1"
rec push-noauth $D push "$B/team/sec:1"
rec pull-noauth $D pull "$B/team/sec:1"
rec login-bad $D login -u alice -p wrong "$B"
echo s3cret | rec login-ok $D login -u alice --password-stdin "$B"
rec push-auth $D push "$B/team/sec:1"
rec logout $D logout "$B"
rec logout-again $D logout "$B"
# Wrong credentials stored (as if the password changed since login).
printf '{"auths":{"%s":{"auth":"%s"}}}' "$B" "$(printf alice:wrong | base64)" >"$DOCKER_CONFIG/config.json"
rec pull-badauth $D pull "$B/team/sec:1"
rec push-badauth $D push "$B/team/sec:1"
rm "$DOCKER_CONFIG/config.json"

# Nothing listens there.
rec login-refused $D login -u a -p b 127.0.0.1:1
rec pull-refused $D pull 127.0.0.1:1/x:1

# Where the addresses and the docker config dir appear, put placeholders.
for f in "$out"/*.txt; do
  sed -i -e "s#$A#REGISTRY#g" -e "s#$B#AUTHREGISTRY#g" -e "s#$DOCKER_CONFIG#DOCKER_CONFIG#g" "$f"
done
echo "recorded into $out" >&2
