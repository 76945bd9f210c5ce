"""Previews travel from a worker at most once per interval, however often the engine draws them."""

from engine.pool.throttle import Throttle


def test_previews_wait_a_full_interval_between_each_other():
    throttle = Throttle(interval=5.0, start=100.0)

    sent = [now for now in (101.0, 104.9, 105.0, 106.0, 109.9, 110.0, 110.1) if throttle.allow(now)]

    assert sent == [105.0, 110.0]


def test_zero_interval_lets_every_preview_through():
    throttle = Throttle(interval=0.0, start=0.0)

    assert all(throttle.allow(now) for now in (0.0, 0.0, 0.1))
