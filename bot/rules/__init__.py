"""Pure rules, no I/O: what a member may ask for and why a request is refused.

Lives here: request options and how they map onto the engine's params (`request`), the one
refusal exception and its reasons (`refusals`), defaults, ceilings, clamping, quota and channel
rules (`limits`), checks of a picture's type, bytes and shape (`images`), a server's settings
and the rules a change keeps to (`settings`), who may act on a job (`permissions`), which
servers the bot works in (`servers`), what makes a job an animation (`animation`).

May import: bot.config, engine.params, engine.shapes, engine.images, engine.errors, engine.motion
Never imports: discord, aiohttp, sqlite3, asyncio
"""
