#!/bin/sh
# The image's install steps, one per Dockerfile RUN. .ci/docker-check runs this same script in a
# fresh virtualenv from a clean checkout, so what CI proves is what the image does.
#
#   VIRTUAL_ENV=/opt/venv docker/build-steps.sh torch cuda|cpu   # from the source tree
#   VIRTUAL_ENV=/opt/venv docker/build-steps.sh app               # from the source tree
#   ATELIER_EXTRAS=ray VIRTUAL_ENV=/opt/venv docker/build-steps.sh app   # with Ray
#   VIRTUAL_ENV=/opt/venv docker/build-steps.sh check             # from anywhere
set -eu

venv=${VIRTUAL_ENV:?set VIRTUAL_ENV to the virtualenv to install into}

case "${1:-}" in
torch)
    variant=${2:?usage: build-steps.sh torch cuda|cpu}
    requirements="requirements/torch-$variant.txt"
    if [ ! -f "$requirements" ]; then
        echo "build-steps.sh: unknown TORCH_VARIANT '$variant' (expected cuda or cpu)" >&2
        exit 2
    fi
    python3 -m venv "$venv"
    # torch first, from its own requirements file: a separate, cacheable layer of several GB that
    # a change to the bot's code does not invalidate. Its dependencies are pinned there or, through
    # its `-c lock.txt`, by the lock.
    "$venv/bin/pip" install --no-cache-dir -r "$requirements"
    ;;
app)
    # Exact versions from the lock, then Atelier itself without letting pip pick any version;
    # `pip check` fails the build if the lock missed a dependency, so two builds of one commit
    # install the same packages. Not editable: the image carries the virtualenv, not the source.
    "$venv/bin/pip" install --no-cache-dir -r requirements/lock.txt
    "$venv/bin/pip" install --no-cache-dir --no-deps .
    if [ -n "${ATELIER_EXTRAS:-}" ]; then
        # Optional extras, e.g. `ray` for the machines of a Ray cluster: their version is pinned
        # in pyproject.toml, what they need besides within the lock's versions.
        "$venv/bin/pip" install --no-cache-dir -c requirements/lock.txt ".[$ATELIER_EXTRAS]"
    fi
    "$venv/bin/pip" check
    ;;
check)
    # Loads the config, opens and migrates a database and checks the VGG-19 weights, exactly as the
    # bot does at start-up. Clean environment, throwaway token and data dir: no secret is needed or
    # kept, and no variable of the machine running the build leaks in. Run outside the source tree
    # so the installed package is tested, not the checkout.
    data=$(mktemp -d)
    trap 'rm -rf "$data"' EXIT
    cd "$data"
    env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$data" \
        DISCORD_TOKEN=build-check-not-a-real-token ATELIER_DATA_DIR="$data/data" \
        "$venv/bin/python" -m bot --check
    ;;
*)
    echo "usage: build-steps.sh torch cuda|cpu | app | check" >&2
    exit 2
    ;;
esac
