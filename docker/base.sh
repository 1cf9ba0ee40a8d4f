#!/bin/sh
# The image's base: Debian bookworm with Python 3.11, built from Debian's packages with mmdebstrap (through
# this machine's own apt sources) and imported into podman. For machines that cannot pull python:3.11-slim.
#   docker/base.sh [TAG]      (root; default TAG localhost/descentlab-base:bookworm)
set -eu
tag=${1:-localhost/descentlab-base:bookworm}
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# minbase (Essential packages and apt) + Python, venv, TLS roots and useradd; no docs, man pages or locales.
mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates,passwd \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  bookworm "$work/base.tar" "$sources" </dev/null
podman import --quiet --change 'CMD ["/bin/bash"]' "$work/base.tar" "$tag" >/dev/null
echo "$tag: $(podman image inspect --format '{{.Size}}' "$tag") bytes"
