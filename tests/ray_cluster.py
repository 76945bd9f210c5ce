"""A real Ray cluster on this machine for tests: a head and more nodes on 127.0.0.1, each
claiming GPUs it does not have (the engine actors run on the CPU), kept small in memory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# Ray reads these when imported. Without the first, Ray rewrites 127.0.0.1 to the host's address
# on Linux; a stale RAY_ADDRESS would point the tests at some other cluster.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.pop("RAY_ADDRESS", None)
ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

NODE = {
    "num_cpus": 1,
    "num_gpus": 1,
    "object_store_memory": 100 * 1024 * 1024,
    "node_ip_address": "127.0.0.1",
}


@contextmanager
def ray_cluster(nodes: int = 1) -> Iterator[Cluster]:
    """`nodes` nodes with one fake GPU each; more can join with `cluster.add_node(**NODE)`."""
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(**NODE)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def atelier_actors() -> list[str]:
    """Names of the live named actors in Ray namespace "atelier" (needs ray.init)."""
    return [
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["namespace"] == "atelier"
    ]
