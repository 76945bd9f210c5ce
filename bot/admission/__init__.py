"""From a member's request to an accepted, durable job.

Lives here: the intake that checks, admits and saves a job and tells the member (`intake`), the
checked downloads of a member's pictures (`inputs`), and the pictures picked with the context
menus until they are used (`picks`). A job is handed over to `lifecycle` through a callable
the app passes in, so admission never imports it.

May import: bot.config, bot.rules, bot.store, bot.messages, bot.ops, engine.images, engine.params
"""
