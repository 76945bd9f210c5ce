"""The fake Discord checks what a bot sends the way Discord does: per-route rate limits with
Discord's headers, component and message rules, allowed mentions, attachment references, every
request against Discord's own API description, and a story fails on a refusal it did not mean.
Driven with plain HTTP requests and with the real discord.py client."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import discord
import pytest
from fake_discord import FakeDiscord

TESTS = Path(__file__).parent


def raw(fake: FakeDiscord) -> aiohttp.ClientSession:
    """A client that does what it is told, without discord.py's manners."""
    return aiohttp.ClientSession(headers={"Authorization": f"Bot {fake.token}"})


def row(*components: dict) -> dict:
    return {"type": 1, "components": list(components)}


def button(custom_id: str, **extra: object) -> dict:
    return {"type": 2, "style": 1, "custom_id": custom_id} | extra


def select(custom_id: str, options: int) -> dict:
    choices = [{"label": f"o{i}", "value": f"o{i}"} for i in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": choices}


async def refused(fake: FakeDiscord, body: dict) -> dict:
    """Discord's answer to posting `body` in #general, which must be a 400 Invalid Form Body."""
    async with raw(fake) as http:
        url = f"{fake.api_base}/channels/{fake.channel.id}/messages"
        async with http.post(url, json=body) as response:
            answer = await response.json()
    assert (response.status, answer["code"], answer["message"]) == (
        400,
        50035,
        "Invalid Form Body",
    ), answer
    return answer["errors"]


def codes(errors: dict) -> set[str]:
    found = {e["code"] for e in errors.get("_errors", [])}
    for key, value in errors.items():
        if key != "_errors":
            found |= codes(value)
    return found


@pytest.mark.discord_refusals(status=429)
async def test_message_edits_meet_the_rate_limit_with_discords_headers(fake_discord: FakeDiscord):
    fake = fake_discord
    message = await fake.post("to be edited", user=fake.bot)
    url = f"{fake.api_base}/channels/{fake.channel.id}/messages/{message.id}"
    answers = []
    async with raw(fake) as http:
        for n in range(6):
            async with http.patch(url, json={"content": f"edit {n}"}) as response:
                answers.append((response.status, dict(response.headers), await response.json()))
    assert [status for status, _, _ in answers] == [200] * 5 + [429]
    assert [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]] == ["4", "3", "2", "1", "0"]
    _, headers, body = answers[5]
    assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Bucket"]
    assert 0 < float(headers["X-RateLimit-Reset-After"]) <= 5
    assert float(headers["X-RateLimit-Reset"]) > time.time()
    assert int(headers["Retry-After"]) >= body["retry_after"] > 0
    assert body["global"] is False and headers["X-RateLimit-Scope"] == "user"
    assert message.content == "edit 4"


async def test_discord_py_waits_out_the_edit_limit_and_every_edit_lands(fake_discord: FakeDiscord):
    fake = fake_discord
    bot = discord.Client(intents=discord.Intents.none())
    async with fake.running(bot):
        channel = bot.get_partial_messageable(int(fake.channel.id))
        sent = await channel.send("edit me")
        started = time.monotonic()
        for n in range(7):
            await sent.edit(content=f"edit {n}")
        waited = time.monotonic() - started
    edits = [r for r in fake.requests if r.method == "PATCH"]
    assert fake.message(sent.id).content == "edit 6" and len(edits) >= 7
    assert waited >= 4, "the sixth edit waited for the bucket's 5-second window to reset"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"components": [row(button("go", label="Go"), select("pick", 2))]}, "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
        ({"components": [row(button("blank"))]}, "BASE_TYPE_REQUIRED"),
        ({"components": [row(select("many", 26))]}, "BASE_TYPE_MAX_LENGTH"),
        (
            {"flags": 1 << 15, "content": "text", "components": [{"type": 10, "content": "hi"}]},
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        ),
        ({"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"),
        ({"embeds": [{"image": {"url": "attachment://missing.png"}}]}, "ATTACHMENT_NOT_FOUND"),
    ],
    ids=[
        "select-and-button-in-one-row",
        "button-without-label-or-emoji",
        "26-select-options",
        "components-v2-with-content",
        "allowed-mentions-parse-and-list",
        "attachment-reference-to-no-file",
    ],
)  # fmt: skip
@pytest.mark.discord_refusals(code=50035)
async def test_messages_discord_refuses_are_refused(fake_discord: FakeDiscord, body, code):
    assert code in codes(await refused(fake_discord, body))
    assert fake_discord.messages_in(fake_discord.channel) == []


async def test_allowed_mentions_decide_who_is_mentioned(fake_discord: FakeDiscord):
    fake = fake_discord
    bot = discord.Client(intents=discord.Intents.none())
    text = f"{fake.member.mention} and {fake.moderator.mention}: done"
    async with fake.running(bot):
        channel = bot.get_partial_messageable(int(fake.channel.id))
        pinged = await channel.send(text)
        quiet = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        one = await channel.send(
            text, allowed_mentions=discord.AllowedMentions(users=[discord.Object(fake.member.id)])
        )
    assert [u.id for u in pinged.mentions] == [int(fake.member.id), int(fake.moderator.id)]
    assert quiet.mentions == [] and fake.message(quiet.id).current.mentions.users == []
    assert [u.id for u in one.mentions] == [int(fake.member.id)]


async def test_an_attachment_reference_to_an_attached_file_is_kept(fake_discord: FakeDiscord):
    bot = discord.Client(intents=discord.Intents.none())
    async with fake_discord.running(bot):
        channel = bot.get_partial_messageable(int(fake_discord.channel.id))
        embed = discord.Embed(title="result").set_image(url="attachment://result.png")
        sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(b"png"), "result.png"))
    stored = fake_discord.message(sent.id)
    assert stored.embeds[0]["image"]["url"] == "attachment://result.png"
    assert stored.attachments[0].filename == "result.png"


@pytest.mark.discord_refusals(code=50035)
@pytest.mark.discord_refusals(path="/users/@me/nonsense$")
async def test_requests_are_checked_against_discords_api_description(fake_discord: FakeDiscord):
    fake = fake_discord
    errors = await refused(fake, {"content": 42, "embeds": [{"title": ["not", "a", "string"]}]})
    assert errors["content"]["_errors"][0]["code"] == "STRING_TYPE_CONVERT"
    assert errors["embeds"]["0"]["title"]["_errors"][0]["code"] == "STRING_TYPE_CONVERT"

    bot = discord.Client(intents=discord.Intents.none())
    async with fake.running(bot):
        channel = bot.get_partial_messageable(int(fake.channel.id))
        first = await channel.send("snowflakes may be numbers")
        # discord.py sends message_reference ids as JSON numbers; Discord takes them.
        assert (await channel.send("reply", reference=first)).reference.message_id == first.id
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/users/@me/nonsense"))
    assert [r.path for r in fake.unknown_requests] == ["/api/v10/users/@me/nonsense"]
    assert [str(r.code) for r in fake.rejected_requests] == ["50035"]


STORY = """
import discord
import pytest
from fake_discord import FakeDiscord


@pytest.fixture
async def fake_discord():
    async with FakeDiscord() as fake:
        with fake.patched():
            yield fake


async def post_nothing(fake):
    bot = discord.Client(intents=discord.Intents.none())
    async with fake.running(bot):
        try:
            await bot.get_partial_messageable(int(fake.channel.id)).send("")
        except discord.HTTPException:
            pass  # a bot that swallows Discord's refusal


async def test_an_unmeant_refusal(fake_discord):
    await post_nothing(fake_discord)


async def test_a_declared_refusal(fake_discord):
    with fake_discord.expect_refusal(code=50006):
        await post_nothing(fake_discord)
"""


def test_a_story_fails_when_its_bot_was_refused_without_meaning_it(tmp_path: Path):
    (tmp_path / "test_story.py").write_text(textwrap.dedent(STORY))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "fake_discord.plugin", "-p", "no:cacheprovider",
         "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function",
         "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": f"{TESTS.parent}:{TESTS}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    # The refused test errors at its teardown; the one that declared its refusal passes.
    assert "2 passed" in run.stdout and "1 error" in run.stdout, run.stdout + run.stderr
    assert "ERROR at teardown of test_an_unmeant_refusal" in run.stdout
    assert "teardown of test_a_declared_refusal" not in run.stdout
    assert "Cannot send an empty message" in run.stdout
