"""Which devices pool workers land on, decided without importing torch."""

import os

import pytest

from engine.pool.devices import (
    available_cpus,
    cgroup_cpu_limit,
    gpu_count,
    listed_gpus_count,
    threads_per_worker,
    visible_devices_count,
    worker_devices,
)

NVIDIA_SMI_TWO_GPUS = """\
GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-5b1f3f2c-0d6e-4c1a-9f0e-1a2b3c4d5e6f)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-7c2a4b3d-1e7f-4d2b-8a1f-2b3c4d5e6f70)
"""


def test_a_machine_without_gpus_gets_one_cpu_worker_by_default():
    assert worker_devices(None, None, gpus=0) == ["cpu"]
    assert worker_devices(None, 3, gpus=0) == ["cpu", "cpu", "cpu"]


def test_every_gpu_gets_a_worker_unless_told_otherwise():
    assert worker_devices(None, None, gpus=2) == ["cuda:0", "cuda:1"]
    assert worker_devices(None, 4, gpus=2) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]


def test_explicit_devices_win_over_detection():
    assert worker_devices(["cuda:1"], None, gpus=4) == ["cuda:1"]
    assert worker_devices(["cpu"], 2, gpus=4) == ["cpu", "cpu"]
    with pytest.raises(ValueError):
        worker_devices([], None, gpus=0)
    with pytest.raises(ValueError):
        worker_devices(None, 0, gpus=0)


def test_cuda_visible_devices_decides_how_many_gpus_the_pool_sees():
    assert gpu_count({"CUDA_VISIBLE_DEVICES": "0,1"}) == 2
    assert gpu_count({"CUDA_VISIBLE_DEVICES": ""}) == 0
    assert visible_devices_count("GPU-5b1f3f2c,GPU-7c2a4b3d") == 2
    assert visible_devices_count("0,-1,1") == 1  # CUDA ignores everything after a negative id
    assert visible_devices_count("-1") == 0


def test_nvidia_smi_listing_is_counted_line_by_line():
    assert listed_gpus_count(NVIDIA_SMI_TWO_GPUS) == 2
    assert listed_gpus_count("") == 0


def test_cpu_workers_share_the_cores():
    assert threads_per_worker(workers=2, cpus=16) == 8
    assert threads_per_worker(workers=4, cpus=2) == 1


def test_a_container_cpu_limit_caps_the_cores_workers_count_on():
    assert cgroup_cpu_limit("200000 100000\n") == 2
    assert cgroup_cpu_limit("50000 100000") == 1
    assert cgroup_cpu_limit("max 100000") is None
    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))
