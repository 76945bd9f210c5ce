"""What members read and click, and how talking to Discord can fail.

Lives here: the lines of a job's posts (`texts`), the private answers to `/atelier` and
`/atelier-admin` (`replies`), the buttons under a job's messages (`buttons`), fitting a result
under the upload limit and the inputs' thumbnails (`attachments`), a result's settings written
into its PNG (`png_metadata`), and which Discord errors a retry can fix (`discord_errors`).

May import: bot.config, bot.rules, bot.store, engine.events, engine.images
"""
