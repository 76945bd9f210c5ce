"""The server style library on a real SQLite file and disk, the context-menu picks, and the
settings a result's PNG carries."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.admission.picks import PickedImages
from bot.messages.png_metadata import text_of, with_text
from bot.store.database import Database
from bot.store.style_library import MAX_CHOICES, StyleError, StyleLibrary

GUILD, OTHER_GUILD, MODERATOR = 1, 2, 77


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[StyleLibrary]:
    db = await Database(tmp_path / "atelier.sqlite3").open()
    yield StyleLibrary(db, tmp_path / "styles")
    await db.close()


async def test_a_saved_style_is_found_by_any_case_and_kept_per_server(
    library: StyleLibrary, tmp_path: Path
) -> None:
    saved = await library.add(GUILD, "  Starry   Night ", b"painting", MODERATOR)
    assert saved.name == "Starry Night" and saved.added_by == MODERATOR
    assert saved.path.parent == tmp_path / "styles" / str(GUILD)
    assert await library.read(await library.require(GUILD, "starry night")) == b"painting"
    assert await library.find(OTHER_GUILD, "Starry Night") is None
    with pytest.raises(StyleError, match="already a style called “STARRY NIGHT”"):
        await library.add(GUILD, "STARRY NIGHT", b"other", MODERATOR)
    with pytest.raises(StyleError, match="1 to 50 characters"):
        await library.add(GUILD, "   ", b"x", MODERATOR)


async def test_renaming_keeps_the_picture_and_refuses_a_name_taken(library: StyleLibrary) -> None:
    await library.add(GUILD, "Monet", b"water lilies", MODERATOR)
    await library.add(GUILD, "Hokusai", b"wave", MODERATOR)
    with pytest.raises(StyleError, match="already a style called “Hokusai”"):
        await library.rename(GUILD, "Monet", "hokusai")
    recased = await library.rename(GUILD, "monet", "MONET")  # a change of case is fine
    assert recased.name == "MONET" and await library.read(recased) == b"water lilies"
    with pytest.raises(StyleError, match="no style called “Turner”"):
        await library.rename(GUILD, "Turner", "Constable")


async def test_removing_a_style_deletes_its_file(library: StyleLibrary) -> None:
    saved = await library.add(GUILD, "Klimt", b"gold", MODERATOR)
    await library.remove(GUILD, "klimt")
    assert not saved.path.exists() and await library.all(GUILD) == []
    with pytest.raises(StyleError, match="no style called"):
        await library.remove(GUILD, "Klimt")


async def test_autocomplete_offers_names_starting_with_the_text_first(
    library: StyleLibrary,
) -> None:
    for name in ("Night Cafe", "Starry Night", "Nightfall", "Sunflowers"):
        await library.add(GUILD, name, b"x", MODERATOR)
    assert await library.matching(GUILD, "night") == ["Night Cafe", "Nightfall", "Starry Night"]
    assert await library.matching(GUILD, "") == [
        "Night Cafe",
        "Nightfall",
        "Starry Night",
        "Sunflowers",
    ]
    for n in range(30):
        await library.add(OTHER_GUILD, f"style {n}", b"x", MODERATOR)
    assert len(await library.matching(OTHER_GUILD, "sty")) == MAX_CHOICES


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_pick_waits_for_its_member_and_is_forgotten_after_a_while() -> None:
    clock = Clock()
    picks = PickedImages(keep_seconds=60, clock=clock)
    photo = object()
    picks.remember(GUILD, 5, "content", photo)  # type: ignore[arg-type]
    assert picks.peek(GUILD, 6, "content") is None  # another member's pick is not theirs
    assert picks.peek(OTHER_GUILD, 5, "content") is None
    assert picks.peek(GUILD, 5, "style") is None
    clock.now = 59
    assert picks.take(GUILD, 5, "content") is photo
    assert picks.peek(GUILD, 5, "content") is None  # used up
    picks.remember(GUILD, 5, "style", photo)  # type: ignore[arg-type]
    clock.now = 120
    assert picks.peek(GUILD, 5, "style") is None


def test_settings_written_into_a_png_read_back_and_leave_the_pixels_alone() -> None:
    out = io.BytesIO()
    Image.effect_noise((20, 10), 60).convert("RGB").save(out, format="PNG")
    original = out.getvalue()
    tagged = with_text(original, {"Seed": "42", "Style": "Étoile + Nuit"})
    assert text_of(tagged) == {"Seed": "42", "Style": "Étoile + Nuit"}
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(tagged)) as b:
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="not a PNG"):
        with_text(b"GIF89a", {"Seed": "1"})
