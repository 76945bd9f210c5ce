"""The order waiting jobs run in: round-robin across groups, then across members within a group.

The engine knows nothing of who its callers are: each job carries an opaque `Owner` (the bot
passes its server as the group and its member as the member). A group with many members, or a
member with many jobs, then takes its turn like any other instead of holding the rest back.
Jobs of one owner keep their order; callers that pass no owner share `SHARED` and get plain
first-in, first-out.

A member or group that has nothing waiting leaves the rotation and, when it comes back, joins at
its end, after everyone already waiting. The order is computed, not guessed: `order()` is
exactly the sequence `pop()` will follow until something is added or removed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Owner:
    """Whose job it is, for fairness only: `group` takes turns with other groups, `member` with
    the other members of its group."""

    group: str = ""
    member: str = ""


SHARED = Owner()  # everyone who does not say: one member of one group, first in, first out
_NEXT = "\0next"  # a key no caller's job has, for `place_for`


def round_robin(queues: Iterable[Sequence[T]]) -> list[T]:
    """One from each queue in turn, skipping the ones used up: [[a1, a2], [b1]] → a1, b1, a2."""
    iterators: deque[Iterator[T]] = deque(iter(q) for q in queues)
    taken: list[T] = []
    while iterators:
        head = iterators.popleft()
        for item in head:
            taken.append(item)
            iterators.append(head)
            break
    return taken


class FairQueue(Generic[T]):
    """Waiting items by key, each with its owner; `pop` takes them in `order()`."""

    def __init__(self) -> None:
        # Dicts keep insertion order: the first key is the next to take a turn, and a turn
        # taken moves the key to the end.
        self._groups: dict[str, dict[str, deque[tuple[str, T]]]] = {}
        self._owners: dict[str, Owner] = {}

    def push(self, key: str, owner: Owner, item: T) -> None:
        if key in self._owners:
            raise ValueError(f"{key!r} is already waiting")
        members = self._groups.setdefault(owner.group, {})
        members.setdefault(owner.member, deque()).append((key, item))
        self._owners[key] = owner

    def pop(self) -> T:
        """The next item: the first member of the first group; both go to the end of their
        rotation (or leave it, with nothing more waiting)."""
        group = next(iter(self._groups))
        members = self._groups.pop(group)
        member = next(iter(members))
        jobs = members.pop(member)
        key, item = jobs.popleft()
        del self._owners[key]
        if jobs:
            members[member] = jobs
        if members:
            self._groups[group] = members
        return item

    def remove(self, key: str) -> T | None:
        """Take one item out of the line wherever it stands; None if it is not waiting."""
        owner = self._owners.pop(key, None)
        if owner is None:
            return None
        members = self._groups[owner.group]
        jobs = members[owner.member]
        found = next(entry for entry in jobs if entry[0] == key)
        jobs.remove(found)
        if not jobs:
            del members[owner.member]
        if not members:
            del self._groups[owner.group]
        return found[1]

    def order(self) -> list[T]:
        """Every waiting item, in the order `pop` will take them."""
        return [item for _, item in self._keyed_order()]

    def place(self, key: str) -> int | None:
        """1-based place in `order()`, None if not waiting."""
        if key not in self._owners:
            return None
        return next(n for n, (k, _) in enumerate(self._keyed_order(), start=1) if k == key)

    def place_for(self, owner: Owner) -> int:
        """The place a job of `owner` pushed now would take."""
        self.push(_NEXT, owner, None)  # type: ignore[arg-type]  # taken out again below
        try:
            return self.place(_NEXT) or 0
        finally:
            self.remove(_NEXT)

    def _keyed_order(self) -> list[tuple[str, T]]:
        return round_robin(round_robin(members.values()) for members in self._groups.values())

    def __len__(self) -> int:
        return len(self._owners)

    def __contains__(self, key: object) -> bool:
        return key in self._owners
