#!/usr/bin/env bash
# Builds the Docker image the Docker executor's tests use (and that users without registry
# access can use): a Debian bookworm root file system made with mmdebstrap from Debian's own
# packages, imported with `docker import`. No image registry is needed, only a Debian mirror.
#
#   scripts/build-test-image.sh [TAG]     default TAG: codeexec/python:bookworm
#
# Skipped when TAG already exists and runs python3 (remove it with `docker rmi TAG` to rebuild). The mirror is
# this machine's apt configuration when it is Debian, else deb.debian.org (set
# CODEEXEC_DEBIAN_MIRROR to choose another). About 40 s and 560 MB the first time.
set -euo pipefail

tag="${1:-codeexec/python:bookworm}"
# python3-munkres satisfies python3-fonttools' "python3-scipy | python3-munkres" with 100 kB
# instead of scipy and its compiler toolchain (0.6 GB). util-linux brings setsid, procps ps.
# python3-ipykernel is for the Jupyter executor's kernels in a container (isolation "docker").
packages="python3,python3-numpy,python3-matplotlib,python3-munkres,python3-ipykernel,bash,coreutils,procps,util-linux"

if ! command -v docker >/dev/null; then
  echo "build-test-image: the docker command is missing: install docker.io" >&2
  exit 1
fi
# An image that exists but cannot run python3 with numpy and ipykernel is the remnant of an
# interrupted build, or of an older version of this script: replaced.
works() {
  docker run --rm --network none --entrypoint /usr/bin/python3 "$1" -c 'import numpy, ipykernel' \
    >/dev/null 2>&1
}
if docker image inspect "$tag" >/dev/null 2>&1; then
  if works "$tag"; then
    echo "build-test-image: $tag exists; skipped"
    exit 0
  fi
  echo "build-test-image: $tag exists but lacks python3, numpy or ipykernel: rebuilding"
  docker rmi -f "$tag" >/dev/null
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "build-test-image: mmdebstrap is missing: apt-get install mmdebstrap" >&2
  exit 1
fi

# Mirrors: an explicit one, else the host's Debian sources (they hold bookworm and its
# security updates), else Debian's redirector.
mirrors=()
if [[ -n "${CODEEXEC_DEBIAN_MIRROR:-}" ]]; then
  mirrors=("$CODEEXEC_DEBIAN_MIRROR")
elif [[ -f /etc/apt/sources.list.d/debian.sources ]] &&
  grep -q '^Suites:.*\bbookworm\b' /etc/apt/sources.list.d/debian.sources; then
  mirrors=(/etc/apt/sources.list.d/debian.sources)
fi

start=$(date +%s)
echo "build-test-image: building $tag with mmdebstrap (bookworm: ${packages//,/ })"
# --format=tar to stdout, straight into docker import; the image gets the environment a
# Debian shell would have, and a shell as its default command. It is imported under a temporary
# tag and gets its name only once it works: a failed mmdebstrap still feeds docker import a
# truncated archive.
staging="$tag-building-$$"
trap 'docker rmi -f "$staging" >/dev/null 2>&1 || true' EXIT
mmdebstrap --quiet --variant=apt --format=tar --include="$packages" \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  bookworm - "${mirrors[@]}" |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    --message "codeexec test image: Debian bookworm with ${packages//,/ }" \
    - "$staging" >/dev/null
if ! works "$staging"; then
  echo "build-test-image: the built image cannot run python3 with numpy and ipykernel" >&2
  exit 1
fi
docker tag "$staging" "$tag"
echo "build-test-image: built $tag in $(($(date +%s) - start)) s"
