"""The client connection survives a router restart: it reopens by itself
(autobahn-js would give up after the router's GOODBYE), then registers and
subscribes everything again. Run by tests/js/test_client_router.py with a
private router that the Python node ``rc.py`` restarts on request."""

from ...errors import NoSuchEndpoint
from ...path import Path
from ...promise import reversed_promise, sleep
from ...signal import call, handler, register_signals
from ...testing import assert_equal, close_connections, connect_from_env
from ...wamp import WAMPNode


@register_signals
class Client(WAMPNode):
    def __init__(self):
        super().__init__()
        self.pings = []
        self.pinged = reversed_promise()
        self.something = None

    @call
    async def rpc(self, something):
        self.something = something

    @handler("@py.on_ping")
    def got(self, value):
        self.pings.append(value)
        self.pinged.resolve()


async def test_reconnects_and_restores_registrations():
    conn = await connect_from_env("js-reconnect")
    left = reversed_promise()
    conn.on_leave(lambda reason: left.resolve(reason))
    client = Client()
    await client.node_bind(Path("rc").add("js"), conn.new_context())
    py = client.remote("@py")
    first_session = conn.session_id

    assert await py.restart_router() == "restarting"
    await left
    await conn.when_connected(60)
    assert conn.session_id != first_session

    # Calls reach Python again, once its own connection is back too (it
    # reconnects on its own schedule)...
    assert await _when_served(py, 20) == 3
    # ... Python reaches our endpoint, registered again on the new session...
    assert await py.ping_back("rc.js") == "called rc.js"
    assert client.something == "from python"
    # ... and our subscription to its signal was made again.
    await py.emit("after restart")
    await client.pinged
    assert_equal(client.pings, ["after restart"])
    await client.node_unbind()


async def _when_served(py, seconds):
    """``py.add(1, 2)``, retried while nobody serves it."""
    waited = 0
    while True:
        try:
            return await py.add(1, 2)
        except NoSuchEndpoint as error:
            if waited >= seconds:
                raise error
        await sleep(0.1)
        waited += 0.1


async def teardown():
    await close_connections()
