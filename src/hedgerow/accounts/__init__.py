"""Users, their sign-in sessions and the limits on signing in.

`users` keeps users and the one-time setup token in `meta.sqlite3` (beside the projects and
organizations of `hedgerow.projects`), `passwords` hashes with argon2id, `sessions` keeps
server-side sessions and says whether a browser request is signed in, `throttle` counts
failed sign-ins. The HTTP side is in `hedgerow.api.accounts` and `hedgerow.api.auth`.
"""
