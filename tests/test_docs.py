"""The README and docs/ tell the truth: every link, command, option, environment variable and file
path they name exists, and every option and variable the code has is described in them."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Config

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONFIGURATION = ROOT / "docs" / "configuration.md"
COMMANDS = ROOT / "docs" / "commands.md"
# Every module runnable with `python -m` that the project ships, and the file holding its argparse.
RUNNABLE = {
    "bot": ROOT / "bot" / "__main__.py",
    "engine": ROOT / "engine" / "cli.py",
    **{
        f"bench.{path.stem}": path
        for path in sorted((ROOT / "bench").glob("*.py"))
        if '__name__ == "__main__"' in path.read_text()
    },
}
# Read by tools rather than by Atelier's code, so no file of ours reads them.
EXTERNAL_VARIABLES = {"COMPOSE_FILE": "docker compose"}

VARIABLE = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
COMMAND = re.compile(r"python -m ([\w.]+)((?:[ \t]+[^\s`#;&][^\s`;&]*)*)")


def page_parts(page: Path) -> tuple[str, list[str]]:
    """The page's prose (fenced blocks removed) and the contents of its fenced blocks."""
    text = page.read_text()
    return FENCE.sub("", text), FENCE.findall(text)


def spans(prose: str) -> list[str]:
    """Inline code, whitespace collapsed and table-escaped pipes restored."""
    return [" ".join(span.replace("\\|", "|").split()) for span in SPAN.findall(prose)]


def snippets(page: Path) -> list[str]:
    """Everything on the page written as code: inline spans and fenced blocks' lines, an
    indented line joined to the one before (a command's continuation)."""
    prose, blocks = page_parts(page)
    blocks = [textwrap.dedent(block) for block in blocks]
    lines = [re.sub(r"\\?\n(?=[ \t]+\S)", " ", block).splitlines() for block in blocks]
    return spans(prose) + [line for block in lines for line in block]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    prose, _ = page_parts(page)
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", prose, re.M)}


def relative_links(page: Path) -> list[str]:
    prose, _ = page_parts(page)
    return [target for target in LINK.findall(prose) if not re.match(r"\w+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_reaches_a_file_and_heading(page: Path) -> None:
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target} links to a missing file"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: {target}: no such heading"


def test_ci_finds_the_readme_test_command() -> None:
    """`.ci/run` reads the line after the marker; the same awk must find the pytest command."""
    (program,) = re.findall(r"awk '([^']+)' README.md", (ROOT / ".ci" / "run").read_text())
    found = subprocess.run(
        ["awk", program, "README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert found.startswith("pip install ") and "python -m pytest" in found


def calls(path: Path, *methods: str) -> Iterator[ast.Call]:
    """Every call of one of `methods` (`parser.add_argument(...)`) in the file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in methods:
            yield node


def argparse_names(path: Path) -> tuple[set[str], set[str]]:
    """(options, subcommands) a CLI's argparse declares, read from its source."""

    def first_words(method: str) -> set[str]:
        return {a.value for c in calls(path, method) for a in c.args if isinstance(a, ast.Constant)}

    options = {name for name in first_words("add_argument") if name.startswith("-")}
    for helper in argument_helpers(path):  # `bench.X.add_arguments(parser)` adds its options
        options |= argparse_names(helper)[0]
    return options, first_words("add_parser")


def argument_helpers(path: Path) -> list[Path]:
    """The modules whose `add_arguments(parser)` this CLI calls (imported `from X import Y`)."""
    tree = ast.parse(path.read_text())
    modules = {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    called = {
        node.func.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "add_arguments"
        and isinstance(node.func.value, ast.Name)
    }
    return [ROOT / (modules[name].replace(".", "/") + ".py") for name in sorted(called)]


def named_commands() -> list[tuple[str, str, list[str]]]:
    """(page, module, words after it) for every `python -m MODULE ...` the pages write."""
    found = []
    for page in PAGES:
        for snippet in snippets(page):
            for module, rest in COMMAND.findall(snippet):
                found.append((page.name, module, rest.split()))
    return found


def test_every_python_m_command_runs_a_module_with_those_options() -> None:
    for page, module, words in named_commands():
        assert importlib.util.find_spec(module), f"{page}: python -m {module}: no such module"
        if module not in RUNNABLE:
            continue  # pytest, pip: not ours to check
        options, subcommands = argparse_names(RUNNABLE[module])
        options |= {"-h", "--help"}  # argparse adds them to every parser
        for word in words:
            option = re.match(r"\[?(--?[a-z][\w-]*)", word)
            if option:
                assert option[1] in options, f"{page}: python -m {module} {option[1]}"
        named = [word for word in words if re.fullmatch(r"[a-z]+", word)]
        if subcommands and named:
            assert named[0] in subcommands, f"{page}: python -m {module} {named[0]}"


@pytest.mark.parametrize("module", sorted(RUNNABLE))
def test_every_command_line_option_is_described(module: str) -> None:
    docs = "\n".join(page.read_text() for page in PAGES)
    assert f"python -m {module}" in docs
    options, subcommands = argparse_names(RUNNABLE[module])
    for option in options:
        assert re.search(rf"{option}\b", docs), f"python -m {module} {option} is not in docs/"
    for subcommand in subcommands:
        assert f"python -m {module} {subcommand}" in docs, f"python -m {module} {subcommand}"


def test_every_bench_and_engine_module_named_exists() -> None:
    for page in PAGES:
        text = page.read_text()
        for dotted in re.findall(r"(?<![\w./-])((?:bench|engine)(?:\.(?!md\b)\w+)+)", text):
            assert resolves(dotted), f"{page.name}: {dotted} does not exist"


def resolves(dotted: str) -> bool:
    """`engine.pool.EnginePool`: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:  # a parent is a module, not a package
            continue
        target = importlib.import_module(module)
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


class RecordingEnvironment(dict[str, str]):
    """An environment that remembers every variable asked of it."""

    def __init__(self) -> None:
        super().__init__(DISCORD_TOKEN="not-a-real-token")
        self.asked: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


def config_variables() -> set[str]:
    """The variables the bot's configuration reads, asked of `Config.from_env` itself."""
    environment = RecordingEnvironment()
    Config.from_env(environment)
    return environment.asked


def code_files() -> list[Path]:
    """Python, shell and compose files of the project (this test's own names left out)."""
    folders = [ROOT / name for name in ("bot", "engine", "bench", "tests", "docker")]
    files = [path for folder in folders for path in folder.rglob("*.*")]
    files = [path for path in files if path.suffix in (".py", ".sh", ".yml")]
    files.remove(Path(__file__).resolve())
    return [*files, ROOT / "Dockerfile", *ROOT.glob("docker-compose*.yml")]


def read_and_mentioned_variables() -> tuple[set[str], set[str]]:
    """Variables the code reads, and every variable it names at all (sets, passes on)."""
    read, mentioned = config_variables(), set()
    for path in code_files():
        if path.suffix == ".py":
            text = path.read_text()
            read |= set(re.findall(rf"(?:environ\.get\(|getenv\()\s*\"({VARIABLE})\"", text))
            read |= set(re.findall(rf"environ\[\"({VARIABLE})\"\](?!\s*=[^=])", text))
            read |= set(re.findall(rf"\"({VARIABLE})\" in (?:os\.)?environ\b", text))
            mentioned |= {
                node.value
                for node in ast.walk(ast.parse(text))
                if isinstance(node, ast.Constant) and re.fullmatch(VARIABLE, str(node.value))
            }
        else:
            lines = path.read_text().splitlines()
            code = "\n".join(re.sub(r"(^|\s)#.*", "", line) for line in lines)
            read |= set(re.findall(rf"\$+\{{?({VARIABLE})", code))
            read |= set(re.findall(rf"^ARG ({VARIABLE})", code, re.M))
            mentioned |= set(re.findall(rf"\b{VARIABLE}\b", code))
    return read, mentioned | read


def documented_variables(page: Path) -> set[str]:
    """Names written as variables: a whole code span, or set (`NAME=`), or expanded (`$NAME`)."""
    names = set()
    for snippet in snippets(page):
        if re.fullmatch(VARIABLE, snippet):
            names.add(snippet)
        names |= set(re.findall(rf"(?:^|[\s$]|\$\{{)({VARIABLE})(?==)", snippet))
        names |= set(re.findall(rf"\$\{{?({VARIABLE})", snippet))
    return names


def test_every_variable_the_docs_name_is_used_by_the_code() -> None:
    _, mentioned = read_and_mentioned_variables()
    for page in PAGES:
        unknown = documented_variables(page) - mentioned - set(EXTERNAL_VARIABLES)
        assert not unknown, f"{page.name} names variables no code uses: {sorted(unknown)}"


def test_every_variable_read_or_in_env_example_is_in_the_configuration_page() -> None:
    read, _ = read_and_mentioned_variables()
    example = re.findall(rf"^#? ?({VARIABLE})=", (ROOT / ".env.example").read_text(), re.M)
    missing = (read | set(example)) - documented_variables(CONFIGURATION)
    assert not missing, f"docs/configuration.md does not describe {sorted(missing)}"


def test_every_file_path_named_exists() -> None:
    for page in PAGES:
        for snippet in snippets(page):
            for word in re.findall(r"[\w.<>*/-]+", snippet):
                path = word.rstrip(".")
                if "/" not in path or path.startswith("/") or "//" in path:
                    continue
                if not (ROOT / path.split("/")[0]).exists():
                    continue  # not in the repository: a data folder, an output, a URL's part
                pattern = re.sub(r"<[^>]+>", "*", path.rstrip("/"))
                assert any(ROOT.glob(pattern)), f"{page.name}: {word} does not exist"


def discord_names(path: Path) -> set[str]:
    """Slash commands, groups and options a module declares with discord.py's app_commands."""
    named = {
        keyword.value.value
        for call in calls(path, "command", "Group")
        for keyword in call.keywords
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)
    }
    options = {keyword.arg for call in calls(path, "describe") for keyword in call.keywords}
    options |= helps_spread_into_describe(path)
    groups = {
        keyword.value.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        for keyword in node.keywords
        if keyword.arg == "group_name" and isinstance(keyword.value, ast.Constant)
    }
    return named | groups | {option for option in options if option}


def helps_spread_into_describe(path: Path) -> set[str]:
    """Options named by a `NAME = dict(option="help", ...)` spread into `describe(**NAME)`."""
    spread = {
        keyword.value.id
        for call in calls(path, "describe")
        for keyword in call.keywords
        if keyword.arg is None and isinstance(keyword.value, ast.Name)
    }
    return {
        keyword.arg
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and any(isinstance(t, ast.Name) and t.id in spread for t in node.targets)
        for keyword in node.value.keywords
        if keyword.arg
    }


def test_discord_commands_and_their_page_name_the_same_things() -> None:
    """Read from the bot's own declarations, wherever in bot/ they live."""
    declared = set().union(*(discord_names(path) for path in (ROOT / "bot").rglob("*.py")))
    prose, _ = page_parts(COMMANDS)
    for span in (span for span in spans(prose) if span.startswith("/")):
        unknown = set(re.findall(r"[a-z][\w-]*", span.split(":")[0])) - declared
        assert not unknown, f"docs/commands.md: {span}: the bot has no {sorted(unknown)}"
    written = {word for span in spans(prose) for word in re.findall(r"[\w-]+", span)}
    assert not declared - written, f"not in docs/commands.md: {sorted(declared - written)}"
