"""bot/'s packages keep to the imports their `__init__` docstrings allow, and the bot process
never loads torch. The docstrings are the rules: a "May import:" line lists the modules (and
module prefixes) a package may use besides itself, a "Never imports:" line the libraries it
must not touch."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
# The top-level modules, which have no package docstring of their own.
TOP_LEVEL = {
    "config": ("engine",),
    "app": ("bot", "engine"),
    "__main__": ("bot.config", "bot.app", "bot.ops", "bot.store", "engine.pool"),
}
NEVER_ANYWHERE = ("torch", "torchvision")


@dataclass(frozen=True)
class Rules:
    may_import: tuple[str, ...]
    never_imports: tuple[str, ...]


def listed(docstring: str, heading: str) -> tuple[str, ...]:
    for line in docstring.splitlines():
        if line.startswith(heading):
            return tuple(name.strip() for name in line.removeprefix(heading).split(","))
    return ()


def rules_of(package: Path) -> Rules:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    may = listed(docstring, "May import:")
    assert may, f"bot/{package.name}/__init__.py has no 'May import:' line"
    return Rules((f"bot.{package.name}", *may), listed(docstring, "Never imports:"))


def packages() -> list[Path]:
    return sorted(p for p in BOT.iterdir() if (p / "__init__.py").is_file())


def modules_with_rules() -> list[tuple[Path, Rules]]:
    found = [(BOT / f"{name}.py", Rules(allowed, ())) for name, allowed in TOP_LEVEL.items()]
    for package in packages():
        rules = rules_of(package)
        found.extend((module, rules) for module in sorted(package.rglob("*.py")))
    return found


def imports_of(module: Path) -> list[str]:
    """Every module `module` imports, at any depth (TYPE_CHECKING and late imports too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("bot", "engine"):
                names.extend(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                names.append(node.module)
    return names


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def broken_rules(module: Path, rules: Rules) -> list[str]:
    broken = []
    for name in imports_of(module):
        top = name.split(".")[0]
        if top in (*rules.never_imports, *NEVER_ANYWHERE):
            broken.append(f"{name} (never imported here)")
        elif top in ("bot", "engine") and not any(within(name, p) for p in rules.may_import):
            broken.append(f"{name} (not in 'May import')")
    return broken


def test_every_module_of_the_bot_is_in_a_package_or_a_known_top_level_module() -> None:
    loose = {p.stem for p in BOT.glob("*.py")} - {"__init__", *TOP_LEVEL}
    assert loose == set()


@pytest.mark.parametrize(
    ("module", "rules"),
    modules_with_rules(),
    ids=lambda value: str(value.relative_to(BOT)) if isinstance(value, Path) else "",
)
def test_a_module_imports_only_what_its_package_allows(module: Path, rules: Rules) -> None:
    assert broken_rules(module, rules) == []


def test_the_rules_package_is_pure() -> None:
    assert {"discord", "sqlite3", "asyncio"} <= set(rules_of(BOT / "rules").never_imports)


def test_the_layout_test_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("import discord\nfrom bot.lifecycle.supervisor import Supervisor\n")
    assert broken_rules(module, rules_of(BOT / "rules")) == [
        "discord (never imported here)",
        "bot.lifecycle.supervisor (not in 'May import')",
    ]


def test_the_bot_process_never_loads_torch() -> None:
    """The bot checks uploads with engine.images and runs the pool; tensors stay in workers."""
    check = (
        "import importlib, pkgutil, sys, bot\n"
        "for info in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    importlib.import_module(info.name)\n"
        "sys.exit('torch' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", check], timeout=120).returncode == 0
