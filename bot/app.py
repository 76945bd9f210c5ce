"""AtelierBot: the discord.py client that wires config, stores, engine, lifecycle and commands."""

from __future__ import annotations

import logging

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.admission.inputs import Downloads
from bot.admission.intake import Intake
from bot.admission.picks import PickedImages
from bot.commands.action_rate import ActionRate
from bot.commands.admin import AdminCog
from bot.commands.atelier import AtelierCog
from bot.commands.context_menus import Picks
from bot.commands.job_buttons import JobActions
from bot.commands.job_deletion import JobDeletion
from bot.commands.private import INTERNAL_ERROR, tell_privately
from bot.commands.servers import ServerGuard
from bot.commands.stylize import StylizeCog
from bot.config import DISCORD_GATEWAY_URL, Config
from bot.lifecycle.preview_lane import PreviewLane
from bot.lifecycle.retry import DEFAULT_POLICY, RetryPolicy
from bot.lifecycle.supervisor import SUPERVISE_EVERY_SECONDS, build_supervisor
from bot.messages import texts
from bot.messages.buttons import JOB_BUTTONS
from bot.ops.health import JobCounts
from bot.ops.metrics import Metrics, Snapshot
from bot.store.database import Database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.jobs import JobStore
from bot.store.style_library import StyleLibrary
from engine.pool import EngineService

log = logging.getLogger(__name__)


def point_at_api(config: Config) -> None:
    """discord.py reads its REST base and gateway from class attributes: one bot per process."""
    discord.http.Route.BASE = config.api_base
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class AtelierTree(app_commands.CommandTree):
    # Set by the bot as it wires itself up.
    server_guard: ServerGuard | None = None
    action_rate: ActionRate | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """A command from a server outside ALLOWED_GUILDS, or from a member going too fast,
        gets a sentence, not an answer."""
        if self.server_guard is not None and not await self.server_guard.refuse(interaction):
            return False
        return self.action_rate is None or await self.action_rate.allows(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("command failed", exc_info=error)
        await tell_privately(interaction, INTERNAL_ERROR)


def client_options() -> dict[str, object]:
    """discord.py's settings for Atelier: slash commands only, no mentions unless asked for."""
    # Atelier never joins voice: spare operators discord.py's warnings about voice libraries.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    intents = discord.Intents.none()
    intents.guilds = True
    return {
        "command_prefix": commands.when_mentioned,
        "intents": intents,
        "help_command": None,
        "tree_cls": AtelierTree,
        "allowed_mentions": discord.AllowedMentions.none(),
    }


class AtelierBot(commands.Bot):
    """The Discord side of Atelier. Its database and engine are opened by the caller (`serve()`,
    or a test) with `async with` and passed in; the bot closes neither."""

    def __init__(
        self,
        config: Config,
        *,
        database: Database,
        pool: EngineService,
        metrics: Metrics,
        retry: RetryPolicy = DEFAULT_POLICY,
        supervise_seconds: float = SUPERVISE_EVERY_SECONDS,
        preview_lane: PreviewLane | None = None,
    ) -> None:
        """`retry` says how long and how often posting a job's messages is retried;
        `supervise_seconds` how often unfinished jobs without a task are looked for;
        `preview_lane` where instant previews are painted (a fresh one if not given; the bot
        closes it at shutdown, as it is the lane's only user)."""
        super().__init__(**client_options())
        point_at_api(config)
        self.config = config
        self.pool = pool
        self.metrics = metrics
        self.jobs = JobStore(database)
        self.guild_settings = GuildSettingsStore(database)
        self.files = JobFiles(config.files_dir)
        self.styles = StyleLibrary(database, config.styles_dir)
        self.job_counts = JobCounts(self.jobs.counts_by_state)
        self.picks = PickedImages()
        self.preview_lane = preview_lane or PreviewLane()
        self.server_guard = ServerGuard(self, config.allowed_guilds)
        self.tree.server_guard = self.server_guard
        self._wire(retry, supervise_seconds)

    def _wire(self, retry: RetryPolicy, supervise_seconds: float) -> None:
        """The lifecycle, the intake and the button actions, each given the parts it uses."""
        config, metrics, files = self.config, self.metrics, self.files
        self.lifecycle = build_supervisor(
            self,
            self.pool,
            self.jobs,
            files,
            metrics,
            edit_seconds=config.status_edit_seconds,
            retention_hours=config.retention_hours,
            retry_policy=retry,
            supervise_seconds=supervise_seconds,
            preview_lane=self.preview_lane,
        )
        self.intake = Intake(
            self,
            config,
            self.jobs,
            files,
            self.guild_settings,
            metrics,
            self.lifecycle.hand_over,
        )
        self.downloads = Downloads(config.limits, config.api_base)
        action_rate = ActionRate(config.member_actions_per_minute, metrics)
        self.tree.action_rate = action_rate
        self.job_actions = JobActions(
            self.jobs,
            files,
            self.guild_settings,
            config.limits,
            self.intake,
            self.lifecycle,
            JobDeletion(self, self.jobs, files),
            metrics,
            action_rate,
        )

    async def setup_hook(self) -> None:
        self.preview_lane.load_soon()
        await self._find_gateway()
        self.add_dynamic_items(*JOB_BUTTONS)
        await self.add_cog(self.server_guard)
        await self.add_cog(
            StylizeCog(
                self.intake,
                self.downloads,
                self.jobs,
                self.files,
                self.styles,
                self.picks,
                self.metrics,
            )
        )
        await self.add_cog(
            AtelierCog(
                self.guild_settings,
                self.jobs,
                self.files,
                self.styles,
                self.config.limits,
                self.job_status,
                self.pool.position,
            )
        )
        await self.add_cog(
            AdminCog(self.guild_settings, self.config.limits, self.downloads, self.styles)
        )
        for menu in Picks(self.intake, self.downloads, self.picks).commands:
            self.tree.add_command(menu)
        await self._sync_commands()
        self.job_counts.start()
        resumed = await self.lifecycle.recover()
        if resumed:
            log.info("resuming %d job(s) from before the restart", resumed)

    async def _find_gateway(self) -> None:
        """Behind a custom API base with no gateway URL given, ask that API where its gateway is."""
        if self.config.gateway_url or not self.config.custom_api_base:
            return
        _, url, _ = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url or DISCORD_GATEWAY_URL)
        log.info("gateway: %s", url)

    async def _sync_commands(self) -> None:
        try:
            if self.config.dev_guild_id:
                guild = discord.Object(self.config.dev_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.warning("could not sync slash commands (the old ones stay): %s", exc)
            return
        log.info("synced %d slash commands", len(synced))

    @property
    def gateway_connected(self) -> bool:
        return self.is_ready() and not self.is_closed() and self.ws is not None and self.ws.open

    def job_status(self, job_id: str) -> str:
        """An active job's latest status line, or its place in the queue."""
        return self.lifecycle.status_line(job_id) or texts.queued_line(self.pool.position(job_id))

    async def snapshot(self) -> Snapshot:
        """What /healthz and /metrics report at this moment (without touching the database)."""
        return Snapshot(
            gateway_connected=self.gateway_connected,
            engine_alive=self.pool.alive,
            queue_length=self.pool.queue_length,
            running=self.pool.running,
            jobs_by_state=self.job_counts.latest,
            engine=self.pool.health,
        )

    async def shutdown(self) -> None:
        """Stop accepting, park running jobs for the next start, then leave Discord."""
        self.intake.accepting = False
        await self.lifecycle.shut_down()
        await self.job_counts.stop()
        self.preview_lane.close()
        await self.close()
