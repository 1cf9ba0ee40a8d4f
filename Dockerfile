# DescentLab server image. Build: docker build -t descentlab .   Run: docker run -p 8000:8000 descentlab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DESCENTLAB_HOST=0.0.0.0 \
    DESCENTLAB_PORT=8000

WORKDIR /srv/descentlab
COPY pyproject.toml README.md ./
COPY app ./app
COPY engine ./engine
COPY static ./static
COPY templates ./templates
# Editable: templates/ and static/ are found beside app/ (app/main.py resolves them from its path).
RUN pip install --no-compile -e . \
    && useradd --create-home --uid 10001 descentlab

# No XLA compilation cache is baked in: set DESCENTLAB_JAX_CACHE_DIR to a per-host volume if wanted.
USER descentlab
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/catalog')"
CMD ["descentlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
