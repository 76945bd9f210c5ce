#!/bin/sh
# Builds a stand-in for the official python:3.11-slim-bookworm base, for machines that cannot
# reach Docker Hub: Debian bookworm's own Python 3.11 (debootstrap from a Debian mirror), imported
# as an image with `docker import`. Then build Atelier on it:
#
#   docker/stand-in-base.sh                      # tags atelier-base:bookworm
#   DOCKER_BUILDKIT=0 docker build --build-arg PYTHON_IMAGE=atelier-base:bookworm -t atelier:cuda .
#
# (docker/build-image.sh does both, and uses the official base wherever it can be pulled.)
# The base carries this machine's CA bundle and a pip configuration that uses it: where HTTPS goes
# through a proxy with its own certificate authority, pip inside the build verifies the package
# index against it. Needs root, debootstrap and about 2 minutes.
#
# Settings: DEBIAN_MIRROR (default: the first Debian mirror of this machine's apt sources, else
# deb.debian.org), CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
set -eu

tag=${1:-atelier-base:bookworm}
bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

apt_mirror() {
    # deb822 (URIs: …) or one-line (deb URL suite …) sources; the first one serving bookworm.
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | grep -Eo 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' '
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}

pip_index_settings() {
    # The index settings pip uses on this machine (the build needs the same index), except
    # file:// ones, whose folders do not exist inside the build.
    for key in index-url extra-index-url trusted-host; do
        value=$(python3 -m pip config get "global.$key" 2>/dev/null | tr ' ' '\n' \
            | grep -v '^file:' | tr '\n' ' ' | sed 's/ *$//') || true
        if [ -n "$value" ]; then
            echo "$key = $value"
        fi
    done
}

root=$(mktemp -d "${TMPDIR:-/tmp}/atelier-base.XXXXXX")
trap 'rm -rf "$root"' EXIT

echo "stand-in-base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 20 "$root.log" >&2
    exit 1
}
rm -f "$root.log"

cp "$bundle" "$root/etc/ssl/certs/ca-certificates.crt"
{
    echo "[global]"
    echo "cert = /etc/ssl/certs/ca-certificates.crt"
    pip_index_settings
} >"$root/etc/pip.conf"
# What the official image leaves out too: package caches and lists.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/*

tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    - "$tag" >/dev/null
echo "stand-in-base: $tag, $(docker image inspect --format '{{.Size}}' "$tag" | numfmt --to=si)B," \
    "$(docker run --rm "$tag" python3 --version)"
