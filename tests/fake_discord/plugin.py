"""pytest plugin: a story fails when its bot made a request the fake refused or did not know.

Enable it with `pytest_plugins = ["fake_discord.plugin"]` in tests/conftest.py (or
`-p fake_discord.plugin`). A refusal does not fail the story when the story caused it: an
injected fault (`fake.fail`), a world change that makes Discord refuse (`forbid_threads`,
`set_permissions`, `close_dms`, `moderate_thread`, `expire`, `advance`, `set_upload_limit`), a
`with fake.expect_refusal(code=...)` block, or a marker on the test:

    @pytest.mark.discord_refusals(code=10062, path="/callback$")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake import LIVE
from .refusals import Expected

MARKER = "discord_refusals"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(code=, status=, path=, method=): a refusal by the fake Discord that this "
        "test provokes on purpose (one marker per kind)",
    )


@pytest.fixture(autouse=True)
def refusals_fail_the_story(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test for each refused or unknown request it did not inject or declare."""
    already = {id(fake): len(fake.requests) for fake in LIVE}
    declared = [Expected(**mark.kwargs) for mark in request.node.iter_markers(MARKER)]
    yield
    unexpected = []
    for fake in list(LIVE):
        made = fake.requests[already.get(id(fake), 0) :]
        unexpected += [
            r
            for r in made
            if r.refused and not r.expected and not any(e.covers(r) for e in declared)
        ]
        fake.state.refusals.reset()
        if fake.closed:
            LIVE.remove(fake)
    if unexpected:
        listed = "\n  ".join(str(r) for r in unexpected)
        pytest.fail(
            f"the bot made requests Discord would refuse or does not know:\n  {listed}\n"
            f"(a story that means it: fake.expect_refusal(...) or "
            f"@pytest.mark.{MARKER}(code=...))",
            pytrace=False,
        )
