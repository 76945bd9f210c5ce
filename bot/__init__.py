"""Atelier's Discord bot: discord.py on top of the style-transfer engine (`engine/`).

Packages, from the bottom up (each `__init__` says what it may import; tests/test_bot_layout.py
holds every module to it):

- `rules/`: pure decisions, no I/O: request options, refusals, limits, picture checks, settings,
  permissions.
- `store/`: what survives a restart: the SQLite database, jobs, server settings, saved styles,
  job files, backups, the data directory's lock.
- `messages/`: what members read and click: texts, buttons, attachments, PNG metadata, and
  which Discord errors a retry can fix.
- `ops/`: running it: metrics, health endpoint, `--check`, logging, the engine backend.
- `admission/`: from a member's request to an accepted job: intake, downloads, picked images.
- `lifecycle/`: from an accepted job to its one final answer: supervisor, driver, posts,
  status message, engine runs, previews, delivery, housekeeping.
- `commands/`: the slash commands, context menus and buttons members use.

At the top: `config.py` (settings from the environment), `app.py` (the client that wires it
all) and `__main__.py` (the command line). The bot process never imports torch: tensors stay in
the engine's workers.
"""
