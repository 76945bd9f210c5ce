"""The limits Discord enforces on what a bot sends, so the fake rejects what Discord would.

Each check returns Discord's nested "errors" object for a 400 Invalid Form Body (code 50035);
an empty dict means the request is fine.
"""

from __future__ import annotations

from typing import Any

from .errors import Errors
from .state import iter_components

COMPONENTS_V2 = 1 << 15
ACTION_ROW, BUTTON, PREMIUM_BUTTON = 1, 2, 6
SELECTS = (3, 5, 6, 7, 8)
ATTACHMENT_URL = "attachment://"


def _add(errors: Errors, path: str, code: str, text: str) -> None:
    node = errors
    for key in path.split("."):
        node = node.setdefault(key, {})
    node.setdefault("_errors", []).append({"code": code, "message": text})


def _too_long(errors: Errors, path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        _add(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def embed_errors(embeds: list[dict[str, Any]]) -> Errors:
    errors: Errors = {}
    if len(embeds) > 10:
        _add(errors, "embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        texts = {
            "title": (embed.get("title"), 256),
            "description": (embed.get("description"), 4096),
            "footer.text": (embed.get("footer", {}).get("text"), 2048),
            "author.name": (embed.get("author", {}).get("name"), 256),
        }
        fields = embed.get("fields", [])
        if len(fields) > 25:
            _add(errors, f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")
        for j, f in enumerate(fields):
            texts[f"fields.{j}.name"] = (f.get("name"), 256)
            texts[f"fields.{j}.value"] = (f.get("value"), 1024)
        for path, (value, limit) in texts.items():
            _too_long(errors, f"embeds.{i}.{path}", value, limit)
            total += len(value or "")
    if total > 6000:
        _add(errors, "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return errors


def component_errors(components: list[dict[str, Any]], flags: int) -> Errors:
    errors: Errors = {}
    if not flags & COMPONENTS_V2:
        if len(components) > 5:
            _add(errors, "components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if len(row.get("components", [])) > 5:
                _add(errors, f"components.{i}.components", "BASE_TYPE_MAX_LENGTH", "Max 5.")
    seen: set[str] = set()
    for component in iter_components(components):
        custom_id = component.get("custom_id")
        if custom_id is not None:
            _too_long(errors, "components.custom_id", custom_id, 100)
            if custom_id in seen:
                _add(
                    errors,
                    "components.custom_id",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        _too_long(errors, "components.label", component.get("label"), 80)
        if component.get("type") == 2 and ("url" in component) == (custom_id is not None):
            _add(
                errors, "components", "BUTTON_COMPONENT_INVALID", "A button needs url or custom_id"
            )
    return errors | _layout_errors(components)


def _layout_errors(components: list[dict[str, Any]]) -> Errors:
    """A select fills its action row alone; a button shows a label, an emoji or both."""
    errors: Errors = {}
    for i, row in enumerate(components):
        if row.get("type") != ACTION_ROW:
            continue
        inside = row.get("components", [])
        if len(inside) > 1 and any(c.get("type") in SELECTS for c in inside):
            _add(
                errors,
                f"components.{i}.components",
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, c in enumerate(inside):
            premium = c.get("style") == PREMIUM_BUTTON
            if c.get("type") == BUTTON and not premium and not (c.get("label") or c.get("emoji")):
                _add(
                    errors,
                    f"components.{i}.components.{j}.label",
                    "BASE_TYPE_REQUIRED",
                    "A button needs a label or an emoji",
                )
    return errors


def legacy_with_v2_errors(content: str, embeds: list[Any], flags: int) -> Errors:
    """With the components-v2 flag, text and embeds must be components, not these fields."""
    errors: Errors = {}
    if flags & COMPONENTS_V2:
        for name, value in (("content", content), ("embeds", embeds)):
            if value:
                _add(
                    errors,
                    name,
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    f"The '{name}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
                )
    return errors


def attachment_reference_errors(where: str, value: Any, filenames: set[str]) -> Errors:
    """Every `attachment://name` in embeds or components must name a file of the message."""
    errors: Errors = {}

    def walk(path: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(f"{path}.{key}", child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(f"{path}.{index}", child)
        elif (
            isinstance(node, str)
            and node.startswith(ATTACHMENT_URL)
            and node.removeprefix(ATTACHMENT_URL) not in filenames
        ):
            _add(errors, path, "ATTACHMENT_NOT_FOUND", f"No attachment named {node!r}")

    walk(where, value)
    return errors


def message_errors(
    content: str,
    embeds: list[dict[str, Any]],
    components: list[dict[str, Any]],
    filenames: list[str],
    flags: int,
) -> Errors:
    errors: Errors = {}
    _too_long(errors, "content", content, 2000)
    if len(filenames) > 10:
        _add(errors, "attachments", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    names = set(filenames)
    return merged(
        errors,
        embed_errors(embeds),
        component_errors(components, flags),
        legacy_with_v2_errors(content, embeds, flags),
        attachment_reference_errors("embeds", embeds, names),
        attachment_reference_errors("components", components, names),
    )


def merged(*parts: Errors) -> Errors:
    """One `errors` object holding every part's errors, nested paths joined."""
    result: Errors = {}

    def into(target: Errors, source: Errors) -> None:
        for key, value in source.items():
            if key == "_errors":
                target.setdefault("_errors", []).extend(value)
            else:
                into(target.setdefault(key, {}), value)

    for part in parts:
        into(result, part)
    return result


def is_empty(content: str, embeds: list[Any], components: list[Any], attachment_count: int) -> bool:
    """Discord answers 50006 "Cannot send an empty message" to these."""
    return not (content or embeds or components or attachment_count)


def thread_name_errors(name: Any) -> Errors:
    errors: Errors = {}
    if not isinstance(name, str) or not name:
        _add(errors, "name", "BASE_TYPE_REQUIRED", "This field is required")
    else:
        _too_long(errors, "name", name, 100)
    return errors


def choice_errors(choices: Any) -> Errors:
    """An autocomplete answer: at most 25 choices, each a 1..100 character name and a value."""
    errors: Errors = {}
    if not isinstance(choices, list):
        _add(errors, "choices", "BASE_TYPE_REQUIRED", "This field is required")
        return errors
    if len(choices) > 25:
        _add(errors, "choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            _add(errors, f"choices.{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be 1..100 long.")
        if not isinstance(choice, dict) or "value" not in choice:
            _add(errors, f"choices.{i}.value", "BASE_TYPE_REQUIRED", "This field is required")
        elif isinstance(choice["value"], str) and len(choice["value"]) > 100:
            _add(errors, f"choices.{i}.value", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer.")
    return errors


def modal_errors(modal: dict[str, Any]) -> Errors:
    """A modal: custom id, a title of at most 45 characters, 1..5 rows of one input each."""
    errors: Errors = {}
    if not modal.get("custom_id"):
        _add(errors, "custom_id", "BASE_TYPE_REQUIRED", "This field is required")
    title = modal.get("title") or ""
    if not 1 <= len(title) <= 45:
        _add(errors, "title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    rows = modal.get("components") or []
    if not 1 <= len(rows) <= 5:
        _add(errors, "components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, row in enumerate(rows):
        if row.get("type") == 18:
            label = row.get("label") or ""
            if not 1 <= len(label) <= 45:
                _add(errors, f"components.{i}.label", "BASE_TYPE_BAD_LENGTH", "1..45 long.")
            if not isinstance(row.get("component"), dict):
                _add(errors, f"components.{i}.component", "BASE_TYPE_REQUIRED", "Required.")
        elif row.get("type") != 1:
            _add(errors, f"components.{i}.type", "UNION_TYPE_CHOICES", "Label or action row.")
    return errors
