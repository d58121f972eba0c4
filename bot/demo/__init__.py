"""`upward demo`: a 4-week pilot in fast-forward on SQLite and the Slack stand-in, with a
transcript.

`cast` and `roles` hold the simulated people (shared with the end-to-end digest test), `scenario`
the pilot's dates and who is in it, `pilot` the seeded run, `report` the terminal summary and
`transcript` the HTML page (drawn with the stand-in's Block Kit renderer,
`bot.sandbox.blockkit_html`).
"""
