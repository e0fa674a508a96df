"""How `hedgerow serve` handles a client connection around the application.

Two pieces that sit between the socket and the ASGI app and belong to neither capture nor
the API: uvicorn's HTTP protocol with a header timeout and a lingering close
(`protocol.py`), and the ASGI body deadline (`deadline.py`). `cli.py` wires both into
uvicorn's config.
"""
