"""Which machines of a Ray cluster can take engine actors: one actor per GPU of each live node.

Pure functions over `ray.nodes()` entries, so the rules are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.pool.devices import threads_per_worker


@dataclass(frozen=True)
class GpuNode:
    node_id: str
    hostname: str
    gpus: int
    cpus: int

    @property
    def label(self) -> str:
        """How a user sees the machine: its host name, and the node id for machines that
        share one (containers, a test cluster on one host)."""
        return f"{self.hostname} ({self.node_id[:8]})"

    @property
    def threads_per_actor(self) -> int:
        return threads_per_worker(self.gpus, self.cpus)


def gpu_nodes(nodes: Iterable[Mapping[str, Any]]) -> list[GpuNode]:
    """The live nodes with at least one whole GPU, in `ray.nodes()` order."""
    found = []
    for node in nodes:
        resources = node.get("Resources", {})
        gpus = int(resources.get("GPU", 0))
        if node.get("Alive") and gpus >= 1:
            hostname = node.get("NodeManagerHostname") or node.get("NodeManagerAddress", "?")
            found.append(GpuNode(node["NodeID"], hostname, gpus, int(resources.get("CPU", 1))))
    return found
