#!/bin/sh
# Builds Atelier's image from this checkout, on the official python:3.11-slim-bookworm base where
# it can be pulled and on the stand-in base (docker/stand-in-base.sh) where Docker Hub is out of
# reach. The classic builder (DOCKER_BUILDKIT=0): BuildKit would fetch the Dockerfile's
# `# syntax` frontend image from Docker Hub too.
#
#   docker/build-image.sh [TAG] [TORCH_VARIANT]     # default atelier:cuda cuda
#
# Prints the base used, the build's time and the image's size. Run from anywhere in the checkout.
set -eu

tag=${1:-atelier:cuda}
variant=${2:-cuda}
official=python:3.11-slim-bookworm
stand_in=atelier-base:bookworm
cd "$(dirname "$0")/.."

started=$(date +%s)
if docker image inspect "$official" >/dev/null 2>&1 \
    || timeout 60 docker pull --quiet "$official" >/dev/null 2>&1; then
    base=$official
else
    base=$stand_in
    if ! docker image inspect "$base" >/dev/null 2>&1; then
        echo "build-image: $official cannot be pulled; building the stand-in base $base"
        docker/stand-in-base.sh "$base"
    fi
fi

echo "build-image: $tag (TORCH_VARIANT=$variant) on $base"
log=$(mktemp "${TMPDIR:-/tmp}/atelier-build.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! DOCKER_BUILDKIT=0 docker build --build-arg PYTHON_IMAGE="$base" \
    --build-arg TORCH_VARIANT="$variant" --tag "$tag" . >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    exit 1
fi
size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "build-image: $tag built in $(($(date +%s) - started)) s, $(numfmt --to=si "$size")B"
