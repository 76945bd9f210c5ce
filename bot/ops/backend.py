"""Which engine backend the bot runs its jobs on: local worker processes, or a Ray cluster when
ENGINE_RAY_ADDRESS is set. Ray is an optional extra, imported only then."""

from __future__ import annotations

from bot.config import Config
from engine.pool import EnginePool, EngineService, EngineUnavailable

RAY_MISSING = (
    "ENGINE_RAY_ADDRESS is set but Ray is not installed; install the extra with "
    "pip install 'atelier[ray]' (or clear ENGINE_RAY_ADDRESS to use local workers)"
)


def engine_service(config: Config) -> EngineService:
    """Not started yet; raises EngineUnavailable when the configured backend cannot exist here."""
    options = {
        "max_queue": config.engine_max_queue,
        "job_timeout": config.engine_job_timeout,
        "preview_interval": config.status_edit_seconds,
        "on_shutdown": "cancel",
        "weights": config.engine_weights,
    }
    if not config.engine_ray_address:
        return EnginePool(devices=config.engine_devices, workers=config.engine_workers, **options)
    try:
        from engine.pool.ray_engine import RayEngine
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] != "ray":
            raise
        raise EngineUnavailable(RAY_MISSING) from None
    return RayEngine(config.engine_ray_address, **options)
