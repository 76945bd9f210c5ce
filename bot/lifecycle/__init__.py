"""From an accepted job to its one final answer.

Lives here: the registry of job tasks, recovery and shutdown, and the wiring of the rest
(`supervisor`); driving one job (`driver`); its public posts (`posts`); its status message
(`status_message`); one run through the engine (`engine_runs`); instant previews and the lane
that paints them (`instant_previews`, `preview_lane`); keeping a finished picture, or one clear
failure when the disk is full (`results`); the final answer (`delivery`); the one retry
policy and clock for talking to Discord (`retry`); finding and editing the bot's own messages
(`own_messages`); tidying the data directory (`housekeeping`).

Glossary:
- job: one accepted request and its durable row (`bot.store.jobs.Job`), from queued to done,
  failed or cancelled.
- request: what the member asked for (`RequestedOptions`), and the values the job runs with
  after the limits were applied (`StyleRequest`). The public message that opens a job is its
  opening post, not its request.
- hand over: the intake gives an admitted job, inputs saved, to the supervisor, and waits until
  its posts exist.
- drive: carry one job from wherever its row says it is to its one final answer; one task per
  job does it.
- run: one pass of a job through the engine (or the preview lane), from submit to its last
  event.
- attempt: one drive of an active job, counted before the bot starts work on its pictures
  (thumbnails, instant preview, engine) and given back when the drive is parked, so only drives
  the bot died in or that stopped on an error count. After `MAX_ATTEMPTS` the job is given up.
- post: a message the bot sends for a job: its opening post, its status message, its answer.
- deliver: post the final answer (the result, or why there is none) exactly once.
- park: put a running job back in line without counting an attempt, so the next start runs it
  again (at shutdown, or when the engine closes).
- recover: at start-up, tidy up and drive every unfinished job again.

May import: bot.config, bot.rules, bot.store, bot.messages, bot.ops, engine
"""
