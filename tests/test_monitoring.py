"""Monitoring as admins run it: docker/monitoring's Prometheus config, alert rules and Grafana
dashboard, checked by Debian's real `promtool` and `prometheus` against the real bot.

The Prometheus tests are skipped where Debian's `prometheus` package is not installed (.ci/run
installs it).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml
from bot_process_env import bot_process_env
from engine_images import ASTRONAUT, HUBBLE, png_bytes, small
from fake_discord import FakeDiscord
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Config
from bot.ops.metrics import Metrics

REPO = Path(__file__).resolve().parents[1]
MONITORING = REPO / "docker" / "monitoring"
GRAFANA = MONITORING / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "atelier.json"
WAIT = 180.0
# Grafana's own variables, given the values Grafana would pick for a 1 s scrape interval.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}
NOT_INSTALLED = "Debian's prometheus package is not installed (apt-get install prometheus)"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"no `{name}`: {NOT_INSTALLED}; .ci/run installs it")
    return found


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], cwd=MONITORING, capture_output=True, text=True, timeout=120
    )


def load(path: Path) -> Any:
    return (
        json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    )


def alerts() -> list[str]:
    return [
        rule["alert"]
        for group in load(MONITORING / "alerts.yml")["groups"]
        for rule in group["rules"]
    ]


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of the dashboard, Grafana's variables filled in."""
    queries = []
    for panel in load(DASHBOARD)["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{panel['title']}: a Grafana variable without a value"
            queries.append((panel["title"], expr))
    return queries


def compose_service(name: str) -> dict[str, Any]:
    return load(REPO / "docker-compose.yml")["services"][name]


# --- What the bot exports ---------------------------------------------------------------------


def test_the_bot_exports_pythons_platform_and_gc_metrics_and_whether_its_engine_is_alive() -> None:
    families = {f.name for f in text_string_to_metric_families(Metrics().exposition().decode())}
    assert {"python_info", "python_gc_objects_collected", "python_gc_collections"} <= families
    assert {"process_resident_memory_bytes", "atelier_engine_alive"} <= families


def test_every_metric_the_bot_exports_is_on_the_dashboard() -> None:
    exported = {
        family.name
        for family in text_string_to_metric_families(Metrics().exposition().decode())
        if family.name.startswith("atelier_") and not family.name.endswith("_created")
    }
    shown = " ".join(expr for _, expr in dashboard_queries())
    assert {
        name for name in exported if not re.search(rf"\b{name}(_total|_bucket)?\b", shown)
    } == set()


# --- The shipped files, as Prometheus and Grafana read them ------------------------------------


def test_promtool_accepts_the_shipped_prometheus_config_and_its_alert_rules() -> None:
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_every_alert_is_proven_both_firing_and_quiet_by_promtools_rule_tests() -> None:
    tested = promtool("test", "rules", "alerts.test.yml")
    print(tested.stdout)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    fired, quiet = set(), set()
    for case in load(MONITORING / "alerts.test.yml")["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    assert fired == quiet == set(alerts())


def test_prometheus_scrapes_the_bot_service_on_its_default_health_port() -> None:
    (scrape,) = load(MONITORING / "prometheus.yml")["scrape_configs"]
    (target,) = scrape["static_configs"][0]["targets"]
    assert scrape["job_name"] == "atelier", "the alerts and the dashboard select job=atelier"
    assert target == f"bot:{Config(token='').health_port}"
    assert "bot" in load(REPO / "docker-compose.yml")["services"]


def test_compose_monitoring_profile_mounts_the_shipped_files_where_they_are_read() -> None:
    for name in ("prometheus", "grafana"):
        service = compose_service(name)
        assert service["profiles"] == ["monitoring"], "started only when asked for"
        for mount in service["volumes"]:
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), mount
        assert all(port.startswith("127.0.0.1:") for port in service["ports"]), "no login"
    prometheus_mounts = {m.split(":")[1] for m in compose_service("prometheus")["volumes"]}
    config_dir = "/etc/prometheus"
    for rule_file in load(MONITORING / "prometheus.yml")["rule_files"]:
        assert f"{config_dir}/{rule_file}" in prometheus_mounts


def test_grafana_is_provisioned_with_the_prometheus_and_the_dashboard_it_shows() -> None:
    (datasource,) = load(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert "9090" in compose_service("prometheus")["ports"][0]
    for panel in load(DASHBOARD)["panels"]:
        uids = {panel["datasource"]["uid"], *(t["datasource"]["uid"] for t in panel["targets"])}
        assert uids == {datasource["uid"]}, panel["title"]
    (provider,) = load(GRAFANA / "provisioning" / "dashboards" / "atelier.yml")["providers"]
    grafana_mounts = dict(m.split(":")[:2] for m in compose_service("grafana")["volumes"])
    assert grafana_mounts["./docker/monitoring/grafana/dashboards"] == provider["options"]["path"]


# --- A real Prometheus scraping the real bot ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def stopped(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)


@pytest_asyncio.fixture(loop_scope="module")
async def bot_port(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[int]:
    """`python -m bot` against the fake Discord, serving /metrics on the port it yields."""
    port = free_port()
    env = bot_process_env(
        fake,
        tmp_path,
        HEALTH_PORT=str(port),
        HEALTH_HOST="127.0.0.1",
        ENGINE_WORKERS="1",
        DEFAULT_SIZE="32",
        DEFAULT_ITERATIONS="3",
        STATUS_EDIT_SECONDS="0.2",
    )
    log = tmp_path / "bot.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        await fake.wait_until_connected(timeout=WAIT)
        yield port
    finally:
        await stopped(process)


@pytest_asyncio.fixture(loop_scope="module")
async def prometheus(bot_port: int, tmp_path: Path) -> AsyncIterator[str]:
    """Debian's Prometheus with the shipped config and rules, scraping the bot every second."""
    binary = tool("prometheus")
    config = load(MONITORING / "prometheus.yml")
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(MONITORING / f) for f in config["rule_files"]]
    config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{bot_port}"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    address = f"127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address={address}",
        stdout=(tmp_path / "prometheus.log").open("ab"),
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await ready(f"http://{address}")
        yield f"http://{address}"
    finally:
        await stopped(process)


async def ready(prometheus: str) -> None:
    """Until Prometheus has loaded its config and rules and answers (seconds on a busy machine)."""

    async def answers() -> bool:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{prometheus}/-/ready") as response,
            ):
                return response.status == 200
        except aiohttp.ClientConnectionError:
            return False

    await until(answers)


async def api(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    async with session.get(url, params=params) as response:
        body = await response.json()
    assert body["status"] == "success", body
    return body["data"]


async def until(check, timeout: float = WAIT):  # type: ignore[no-untyped-def]
    """Prometheus answers on its own schedule (one scrape a second): ask until `check` is happy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (answer := await check()):
        assert asyncio.get_running_loop().time() < deadline, "Prometheus never got there"
        await asyncio.sleep(0.5)
    return answer


def picture(path: Path) -> tuple[bytes, str]:
    return png_bytes(small(path, 40)), path.with_suffix(".png").name


@pytest.mark.asyncio(loop_scope="module")
async def test_a_real_prometheus_scrapes_the_bot_during_a_stylize_and_every_panel_shows_a_series(
    fake: FakeDiscord, prometheus: str
) -> None:
    attachments = {"content": picture(ASTRONAUT), "style": picture(HUBBLE)}
    refused = await fake.slash_command("stylize", {"blend": 50}, attachments=attachments)
    assert "style2" in (await refused.wait_for_reply(timeout=60)).content
    queued = await fake.slash_command("stylize", attachments=attachments)
    assert (await queued.wait_for_reply(timeout=60)).content.startswith("Queued as job")

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def query(expr: str) -> list[dict[str, Any]]:
            return (await api(session, f"{prometheus}/api/v1/query", query=expr))["result"]

        await until(lambda: query('atelier_jobs_ended_total{outcome="done"} > 0'))
        answers = {}
        for title, expr in dashboard_queries():
            answers[expr] = await until(lambda expr=expr: query(expr))
            print(f"{title}: {expr}")
            for series in answers[expr]:
                print(f"    {series['metric']} = {series['value'][1]}")

        rules = await api(session, f"{prometheus}/api/v1/rules")
        evaluated = [r for group in rules["groups"] for r in group["rules"]]
        assert sorted(r["name"] for r in evaluated) == sorted(alerts())
        assert {(r["name"], r["health"]) for r in evaluated} == {(a, "ok") for a in alerts()}
        assert [r for r in evaluated if r["state"] != "inactive"] == [], "a healthy bot alerts"
    assert all(answers.values())
