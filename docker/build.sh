#!/bin/sh
# `make image`: the Debian base (once), the dependencies' wheels, the image (podman, chroot isolation), then
# the smoke test (docker/smoke.py). Each step is timed. Root, with podman and mmdebstrap (make image
# installs them from Debian's packages).
#   IMAGE (localhost/descentlab:latest), BASE_IMAGE (localhost/descentlab-base:bookworm), PY (.venv/bin/python)
set -eu
cd "$(dirname "$0")/.."
image=${IMAGE:-localhost/descentlab:latest}
base=${BASE_IMAGE:-localhost/descentlab-base:bookworm}
py=${PY:-.venv/bin/python}
step() { now=$(date +%s); echo "== $1: $((now - mark)) s"; mark=$now; }
start=$(date +%s); mark=$start

podman image exists "$base" || docker/base.sh "$base"
step "base image $base"

mkdir -p build
"$py" -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
  > build/requirements.txt
"$py" -m pip wheel --quiet --wheel-dir docker/wheels -r build/requirements.txt "setuptools>=68"
step "wheels ($(du -sh docker/wheels | cut -f1))"

# --format docker keeps HEALTHCHECK (the OCI format has no such field); chroot isolation: no user
# namespaces or cgroups needed.
podman build --quiet --format docker --isolation chroot --build-arg BASE="$base" --build-arg PIP_NO_INDEX=1 \
  --tag "$image" . >/dev/null
step "image $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"

"$py" docker/smoke.py "$image"
step "smoke test"
echo "== total: $((mark - start)) s"
