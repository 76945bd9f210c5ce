"""What survives a restart: the SQLite file and the folders beside it.

Lives here: the database with its migrations (`database`), durable jobs (`jobs`), how a job
maps onto its row (`job_rows`) and what admitting one checks (`admission_checks`), servers' settings and their audit (`guild_settings`), saved
styles (`style_library`), each job's files (`job_files`), backup and restore (`backup`) and the
one-bot-per-data-directory lock (`instance_lock`).

May import: bot.config, bot.rules
Never imports: discord, aiohttp
"""
