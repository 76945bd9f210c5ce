"""The out-of-memory policy: one retry at three quarters of the size, then a clear failure."""

from engine.params import StyleParams
from engine.pool.oom_retry import oom_note, params_after_oom


def test_first_out_of_memory_retries_at_three_quarters_of_the_size():
    retry = params_after_oom(StyleParams(size=512, min_scale=128), ooms_so_far=1)

    assert retry is not None
    assert (retry.size, retry.min_scale) == (384, 128)
    assert oom_note(retry.size) == "ran out of GPU memory; finished at 384 px"


def test_smaller_run_keeps_everything_but_the_size():
    original = StyleParams(size=64, iterations=50, strength=2.0, seed=7, min_scale=64)

    retry = params_after_oom(original, ooms_so_far=1)

    assert retry == original.with_changes(size=48, min_scale=48)


def test_second_out_of_memory_gives_up():
    assert params_after_oom(StyleParams(size=512), ooms_so_far=2) is None


def test_a_picture_already_at_the_smallest_size_is_not_retried():
    assert params_after_oom(StyleParams(size=16), ooms_so_far=1) is None
