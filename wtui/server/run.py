"""Run the team server under uvicorn, logging one JSON line a request to standard error."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from wtui.core.config import Config


def serve(path: Path, cfg: Config, *, host: str, port: int) -> int:
    import uvicorn

    from wtui.server.app import make_app

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("wtui.access", "wtui.serve"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # uvicorn stops taking connections on SIGTERM/SIGINT, lets requests in flight finish (a push's batch
    # finishes on the book's thread either way), then the app's lifespan closes the book.
    app = make_app(path, cfg)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning",
                                           timeout_graceful_shutdown=10, proxy_headers=True, server_header=False))
    stop = server.handle_exit

    def handle_exit(sig, frame) -> None:  # long polls answer at once instead of being cut off at the timeout
        app.state.host.stop_waiting()
        stop(sig, frame)

    server.handle_exit = handle_exit
    logging.getLogger("wtui.serve").info("wtui serve: %s on http://%s:%d", path, host, port)
    server.run()
    return 0
