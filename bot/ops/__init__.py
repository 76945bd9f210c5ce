"""Running the bot: what operators watch and choose.

Lives here: Prometheus metrics (`metrics`), `/healthz` and `/metrics` over HTTP (`health`),
`python -m bot --check` (`self_check`), logging that keeps secrets out (`log`), and the choice of
engine backend, local workers or Ray (`backend`).

May import: bot.config, bot.store, engine
"""
