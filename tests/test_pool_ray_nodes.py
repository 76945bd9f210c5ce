"""Which machines of a Ray cluster get engine actors, read from `ray.nodes()` (no cluster here)."""

from engine.pool.ray_nodes import GpuNode, gpu_nodes


def node(node_id: str, alive: bool = True, **resources: float) -> dict:
    return {
        "NodeID": node_id,
        "Alive": alive,
        "NodeManagerHostname": f"host-{node_id[:2]}",
        "NodeManagerAddress": "10.0.0.9",
        "Resources": resources,
    }


def test_every_whole_gpu_of_every_live_machine_counts_and_nothing_else():
    nodes = [
        node("aa" * 28, CPU=16, GPU=2),
        node("bb" * 28, CPU=8),  # the head, coordinating only
        node("cc" * 28, alive=False, CPU=8, GPU=4),  # gone
        node("dd" * 28, CPU=4, GPU=0.5),  # a share of a GPU is not a GPU to run a job on
    ]

    assert gpu_nodes(nodes) == [GpuNode("aa" * 28, "host-aa", gpus=2, cpus=16)]


def test_a_machine_is_named_by_host_and_node_id_and_its_cpus_are_shared_by_its_gpus():
    gpu_box = GpuNode("5b1f3f2c" + "0" * 48, "gpu-box-2", gpus=4, cpus=32)

    assert gpu_box.label == "gpu-box-2 (5b1f3f2c)"
    assert gpu_box.threads_per_actor == 8
    assert GpuNode("x" * 56, "tiny", gpus=2, cpus=1).threads_per_actor == 1
