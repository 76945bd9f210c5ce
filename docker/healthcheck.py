"""Container health probe: exit 0 when the bot's /healthz answers 2xx, 1 otherwise.

Standard library only, so it needs no curl in the slim image, and it does not import the bot: a
probe that loaded the bot's dependencies every interval would cost seconds of CPU each time.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

# bot.config.Config.health_port's default (tests/test_docker_healthcheck.py keeps them equal).
DEFAULT_HEALTH_PORT = 8080
TIMEOUT_SECONDS = 5.0


class HealthEndpointOff(Exception):
    """HEALTH_PORT=0: the bot serves no /healthz, so there is nothing to probe."""


def healthz_url(environ: Mapping[str, str] = os.environ) -> str:
    """The bot serves /healthz on HEALTH_PORT (blank means the default), on 127.0.0.1 unless
    HEALTH_HOST says otherwise: the probe runs inside the container, so loopback reaches it."""
    raw = environ.get("HEALTH_PORT", "").strip()
    port = int(raw) if raw else DEFAULT_HEALTH_PORT
    if port == 0:
        raise HealthEndpointOff(
            "HEALTH_PORT=0 turns the bot's health endpoint off; turn the container healthcheck "
            "off too (compose: `healthcheck: {disable: true}`)"
        )
    return f"http://127.0.0.1:{port}/healthz"


def probe(url: str, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(healthy, one line for `docker inspect`: the status and the start of the body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, f"{response.status} {_first_line(response.read(200))}"
    except urllib.error.HTTPError as error:
        return False, f"{error.code} {_first_line(error.read(200))}"
    except OSError as error:
        return False, f"no answer from {url}: {error}"


def _first_line(body: bytes) -> str:
    return body.decode(errors="replace").strip().splitlines()[0] if body.strip() else ""


def main() -> int:
    try:
        healthy, detail = probe(healthz_url())
    except (HealthEndpointOff, ValueError) as error:
        healthy, detail = False, str(error)
    # Docker keeps each probe's output: `docker inspect` then shows why the bot is unhealthy.
    print(detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
