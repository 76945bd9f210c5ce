"""Each safeguard proven by breaking it: patch it out of a copy of the repository, run the tests
that stand for it, and print safeguard → the tests that failed. Exit 1 when a safeguard broke
without any of its tests failing (its promise is untested) or when a patch no longer applies.

Usage: python .ci/break_safeguards.py [--list] [--baseline] [NAME ...]
  --list      only check that every patch still applies to the checkout (quick)
  --baseline  first run each safeguard's tests unpatched: they must pass there
  NAME        only the safeguards whose names contain NAME

Slow (each safeguard runs bot stories): run it after touching a safeguard or its tests, not in
every CI run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOST = "tests/test_bot_nothing_lost.py::"
E2E = "tests/test_bot_e2e.py::"
MEMBER = "tests/test_bot_member_stories.py::"
DELIVERY = "tests/test_bot_delivery.py::"
PREVIEWS = "tests/test_bot_preview_e2e.py::"
PRIVACY = "tests/test_bot_privacy.py::"


@dataclass(frozen=True)
class Safeguard:
    name: str
    path: str
    patches: tuple[tuple[str, str], ...]  # (exact text, what it becomes); each text occurs once
    tests: tuple[str, ...]


SAFEGUARDS = (
    Safeguard(
        "read-back before a retry",
        "bot/lifecycle/delivery.py",
        (
            (
                "earlier = await self._find_posted(channel, job) if unsure else None",
                "earlier = None",
            ),
        ),
        (
            LOST + "test_dropped_connections_on_the_result_post_still_post_it_once",
            LOST + "test_a_row_no_task_drives_is_picked_up_without_a_restart",
        ),
    ),
    Safeguard(
        "read-back of a job's posts after a restart",
        "bot/lifecycle/posts.py",
        (
            (
                "found = await find_own_message(self._client, channel, marker) if resumed else None\n"
                "        if found is None:\n"
                "            files,",
                "found = None\n        if found is None:\n            files,",
            ),
            (
                "found = await find_own_message(self._client, channel, marker) if resumed else None\n"
                "        if found is None:\n"
                "            text =",
                "found = None\n        if found is None:\n            text =",
            ),
        ),
        tuple(
            LOST + f"test_a_bot_killed_at_any_point_of_a_job_answers_once_in_the_right_thread[{p}]"
            for p in ("after the row is written-0", "after the thread exists-1")
        ),
    ),
    Safeguard(
        "nonce",
        "bot/lifecycle/delivery.py",
        (('nonce = f"r{job.id}"', "nonce = None"),),
        (DELIVERY + "test_a_resend_the_history_cannot_vouch_for_is_kept_single_by_its_nonce",),
    ),
    Safeguard(
        "atomic admission",
        "bot/store/jobs.py",
        (
            (
                "                    conn.execute(*insert_job(new, admission.now, inputs_ready=False))\n",
                "                    pass\n",
            ),
            (
                "        await self._db.run(admit)\n",
                "        await self._db.run(admit)\n"
                "        await self._db.write(*insert_job(new, admission.now, inputs_ready=False))\n",
            ),
        ),
        (
            "tests/test_bot_database.py::test_two_requests_at_once_from_one_member_admit_one_job",
            LOST + "test_two_stylize_at_once_with_a_limit_of_one_make_one_job_and_one_refusal",
        ),
    ),
    Safeguard(
        "instance lock",
        "bot/store/instance_lock.py",
        (("fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)", "pass"),),
        (LOST + "test_a_second_bot_on_the_same_data_directory_refuses_to_start",),
    ),
    Safeguard(
        "owner-only rule",
        "bot/rules/permissions.py",
        (("return member_id == job.user_id or is_moderator(permissions)", "return True"),),
        (
            "tests/test_bot_limits.py::test_only_the_author_or_a_moderator_may_act_on_a_job",
            E2E + "test_over_the_servers_job_limit_a_member_waits_and_only_the_owner_cancels",
        ),
    ),
    Safeguard(
        "spoiler flag (result)",
        "bot/lifecycle/delivery.py",
        (("upload.filename, spoiler=job.spoiler)", "upload.filename, spoiler=False)"),),
        (
            MEMBER
            + "test_a_server_can_hide_input_thumbnails_outside_nsfw_channels_and_spoil_results",
        ),
    ),
    Safeguard(
        "spoiler flag (thumbnails)",
        "bot/lifecycle/posts.py",
        (('f"{name}.png", spoiler=job.spoiler)', 'f"{name}.png", spoiler=False)'),),
        (
            MEMBER
            + "test_a_server_can_hide_input_thumbnails_outside_nsfw_channels_and_spoil_results",
        ),
    ),
    Safeguard(
        "private flag",
        "bot/commands/stylize.py",
        (
            (
                "follow_up_in = (await interaction.user.create_dm()).id if private else None",
                "follow_up_in = None",
            ),
        ),
        (MEMBER + "test_a_private_job_lands_in_the_members_direct_messages",),
    ),
    Safeguard(
        "shape limit",
        "bot/rules/images.py",
        (("    if thin >= MIN_FEATURE_SIDE:\n", "    if True:\n"),),
        (LOST + "test_a_twelve_to_one_panorama_is_refused_with_a_sentence_about_its_shape",),
    ),
    Safeguard(
        "pixel cap",
        "bot/rules/images.py",
        (
            ("content_size(data, limits.max_input_pixels)", "content_size(data, None)"),
            (
                "else probe_image(data, max_pixels=limits.max_input_pixels)",
                "else probe_image(data, max_pixels=None)",
            ),
        ),
        (
            "tests/test_bot_limits.py::test_an_image_with_too_many_pixels_is_refused_without_decoding_it",
        ),
    ),
    Safeguard(
        "spoiler flag (previews)",
        "bot/lifecycle/status_message.py",
        (('"preview.png", spoiler=self._spoiler)', '"preview.png", spoiler=False)'),),
        (PREVIEWS + "test_a_spoilered_job_hides_its_previews_as_well_as_its_result",),
    ),
    Safeguard(
        "private content not reused in public",
        "bot/commands/stylize.py",
        (("if job.private and not private:", "if False:"),),
        (PRIVACY + "test_a_private_picture_is_never_reused_for_a_public_job",),
    ),
    Safeguard(
        "moderator by server-wide permissions",
        "bot/commands/atelier.py",
        (
            (
                'check_may_act_on(found, interaction.user.id, server_powers(interaction), "see it")',
                'check_may_act_on(found, interaction.user.id, interaction.permissions, "see it")',
            ),
        ),
        (
            PRIVACY
            + "test_manage_messages_in_one_channel_does_not_open_another_members_private_job",
        ),
    ),
)


def patched(text: str, safeguard: Safeguard) -> str:
    for old, new in safeguard.patches:
        count = text.count(old)
        if count != 1:
            raise SystemExit(f"{safeguard.name}: {old!r} occurs {count} times in {safeguard.path}")
        text = text.replace(old, new)
    return text


def copy_of_checkout(into: Path) -> Path:
    """The checkout's tracked and untracked (not ignored) files, as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def failed_tests(checkout: Path, tests: tuple[str, ...]) -> list[str]:
    """The tests among `tests` that failed or errored in `checkout`."""
    report = checkout / "report.xml"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               f"--junitxml={report}", *tests]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, check=False)
    if not report.exists():
        return ["(pytest wrote no report)"]
    failed = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    chosen = [s for s in SAFEGUARDS if not args.names or any(n in s.name for n in args.names)]
    for safeguard in chosen:
        patched((REPO / safeguard.path).read_text(), safeguard)  # every patch still applies
    if args.list:
        for safeguard in chosen:
            print(f"{safeguard.name}: {safeguard.path} → {', '.join(safeguard.tests)}")
        return 0
    untested = 0
    with tempfile.TemporaryDirectory(prefix="atelier-break-") as temp:
        checkout = copy_of_checkout(Path(temp))
        if args.baseline:
            tests = tuple(dict.fromkeys(t for s in chosen for t in s.tests))
            broken = failed_tests(checkout, tests)
            print(f"baseline (nothing patched): {', '.join(broken) or 'all passed'}", flush=True)
            if broken:
                return 1
        for safeguard in chosen:
            target = checkout / safeguard.path
            original = target.read_text()
            target.write_text(patched(original, safeguard))
            try:
                failed = failed_tests(checkout, safeguard.tests)
            finally:
                target.write_text(original)
            untested += not failed
            print(f"{safeguard.name} → {', '.join(failed) or 'NO TEST FAILED'}", flush=True)
    return 1 if untested else 0


if __name__ == "__main__":
    sys.exit(main())
