#!/usr/bin/env bash
# Installs the Debian packages the test suite's real engines come from, when they are missing:
# shellcheck (host scripts), docker.io (the extractor image), radosgw + ceph-mon + ceph-osd (S3 with
# conditional writes and versioning), chromium (the dashboard), debootstrap (the locally made base
# image), pyflakes3 (the DAG factory). It only installs; the tests start and stop every engine they use.
# Runs before `pnpm test` and from .ci/run; a second run costs one `command -v` per package.
set -uo pipefail

# package → a command it provides (what we check for)
declare -A PROVIDES=(
  [shellcheck]=shellcheck
  [docker.io]=dockerd
  [radosgw]=radosgw
  [ceph-mon]=ceph-mon
  [ceph-osd]=ceph-osd
  [chromium]=chromium
  [debootstrap]=debootstrap
  [pyflakes3]=pyflakes3
)

missing=()
for pkg in "${!PROVIDES[@]}"; do
  command -v "${PROVIDES[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "Installing test engines from Debian: ${missing[*]}" >&2
if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
  echo "Missing Debian packages (${missing[*]}) and no root: install them, then run the tests again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 &&
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
  echo "Could not install ${missing[*]} from Debian." >&2
  exit 1
}
