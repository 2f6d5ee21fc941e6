#!/bin/sh
set -e

# The volume may be mounted root-owned: fix it, then drop to the app user.
if [ "$(id -u)" = '0' ]; then
	chown -R app:app "$DATA_DIR"
	exec gosu app "$@"
fi

exec "$@"
