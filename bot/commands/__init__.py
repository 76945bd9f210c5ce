"""What members and moderators use: slash commands, context menus and the buttons under a job.

Lives here: `/stylize` (`stylize`), the members' `/atelier` (`atelier`), the moderators'
`/atelier-admin` (`admin`), the "use as content / style" context menus (`context_menus`), what
the buttons under a job do (`job_buttons`, with Delete in `job_deletion`), the one way to
answer a member privately (`private`), a member's server-wide powers for the moderator checks
(`powers`), how often one member may act (`action_rate`), and keeping the bot to the servers
its host allows (`servers`). Each receives the few components it uses.

May import: bot.config, bot.rules, bot.store, bot.messages, bot.ops, bot.admission, bot.lifecycle
"""
