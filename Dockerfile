# DescentLab server image (docs/deploy.md).
#   make image                      podman, on a Debian base built here (docker/base.sh), wheels built here
#   docker build -t descentlab .    anywhere python:3.11-slim and PyPI can be reached (BuildKit: RUN --mount)
#   docker run -p 8000:8000 -v descentlab-jax:/var/cache/descentlab/jax descentlab
# BASE: any image with Python 3.11 as python3, its venv module and useradd.
ARG BASE=python:3.11-slim
FROM ${BASE}

# PIP_NO_INDEX=1 (make image): install only from docker/wheels/, which make image fills on the host.
ARG PIP_NO_INDEX
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DESCENTLAB_HOST=0.0.0.0 \
    DESCENTLAB_PORT=8000 \
    DESCENTLAB_JAX_CACHE_DIR=/var/cache/descentlab/jax \
    DESCENTLAB_ASSET_CACHE_DIR=/srv/descentlab/asset-cache

WORKDIR /srv/descentlab
# Dependencies first (their layer outlives code changes), then the code, installed editable: templates/ and
# static/ are found beside app/ (app/main.py resolves them from its path). The wheels are bind-mounted, not
# copied: they stay out of the image's layers.
COPY pyproject.toml README.md ./
RUN --mount=type=bind,source=docker/wheels,target=/tmp/wheels \
    python3 -m venv /opt/venv \
    && python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && pip install --no-compile --find-links /tmp/wheels -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY app ./app
COPY engine ./engine
RUN --mount=type=bind,source=docker/wheels,target=/tmp/wheels pip install --no-compile --no-deps --find-links /tmp/wheels -e .
COPY static ./static
COPY templates ./templates
# The static files' gzip and Brotli encodings, at Brotli's best, made once here and read at every start.
RUN descentlab precompress --best \
    && useradd --uid 10001 --user-group --home-dir /var/cache/descentlab --create-home descentlab \
    && mkdir -p /var/cache/descentlab/jax && chown -R descentlab:descentlab /var/cache/descentlab

# The XLA compilation cache: per host, on a volume, never baked into the image (minutes of compiling saved
# at the next start).
VOLUME /var/cache/descentlab/jax
USER descentlab
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import json, os, urllib.request as u; port = os.environ.get('DESCENTLAB_PORT', '8000'); assert json.load(u.urlopen('http://127.0.0.1:' + port + '/api/v1/health', timeout=4))['status'] == 'ok'"]
# Host and port from DESCENTLAB_HOST and DESCENTLAB_PORT (the health check asks the same port).
CMD ["descentlab", "serve"]
