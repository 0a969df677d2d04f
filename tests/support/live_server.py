"""A real HTTP server for browser tests: werkzeug on 127.0.0.1, an OS-chosen port."""
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server


@contextmanager
def serve(app):
    """Serve `app` in a thread; yields its base URL and stops it on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP; the fixture value is its base URL."""
    with serve(app) as url:
        yield url
