"""configurable-http-proxy's Python port with room for a class: JupyterHub runs this as its proxy.

The port forwards each HTTP request with tornado's default client, which keeps at most 10 requests
in flight and fails the rest with 503 after 20 s in its queue. A learner's spawn request is held for
10 s and their progress page streams for as long as the server starts, so with thirty learners
starting at once the queue overflowed (classroom/loadtest.py: 8 of 30 failed). Same command line as
``configurable-http-proxy``.
"""

from tornado.httpclient import AsyncHTTPClient

AsyncHTTPClient.configure(None, max_clients=1000)

from configurable_http_proxy.cli import main  # noqa: E402 (after the client is configured)

if __name__ == "__main__":
    main()
