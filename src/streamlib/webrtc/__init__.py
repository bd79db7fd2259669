"""WebRTC for streamlib over aiortc: WHIP (RFC 9725) publish, WHEP play, and serving both.

Processors (``WhipPublisher``, ``WhepPlayer``, ``WhepServer``, ``WhipServer``)
use these pieces; each runs its network I/O on an :class:`EventLoopThread` so
the runtime's workers never wait on the network::

    from streamlib.webrtc import EventLoopThread, IceSettings, WhepPlayerSession

    loop = EventLoopThread("player", loopback=True)
    player = WhepPlayerSession(loop, url, on_frame=print, ice=IceSettings(mode="loopback"))
    player.start()  # connects, and reconnects with backoff until stop()

Importing this package needs aiortc and aiohttp: ``pip install 'streamlib[webrtc]'``.
"""

from ._ice import IceMode, IceSettings, loopback_offered_here, offer_loopback_in_this_thread
from ._keyframes import keyframe_requests_observable, observe_keyframe_requests
from ._loop import EventLoopThread
from ._pages import PUBLISHER_PAGE, VIEWER_PAGE
from ._peers import (
    accept_offer,
    last_report_age,
    last_sender_report_age,
    negotiated,
    receiving_peer,
    sending_peer,
    set_answer,
)
from ._player import WhepPlayerSession
from ._publisher import WhipPublisherSession
from ._reconnecting import ReconnectingSession, wait_connected
from ._server import EndpointBusyError, EndpointHandler, SignallingServer
from ._signalling_client import SDP_TYPE, TRICKLE_TYPE, SignallingClient
from ._tracks import PacketTrack, drain_track, prefer_codec, to_av_packet
from ._trickle import candidates_from_fragment
from ._whep_host import Viewer, WhepHost
from ._whip_host import WhipHost

__all__ = [
    "PUBLISHER_PAGE",
    "SDP_TYPE",
    "TRICKLE_TYPE",
    "VIEWER_PAGE",
    "EndpointBusyError",
    "EndpointHandler",
    "EventLoopThread",
    "IceMode",
    "IceSettings",
    "PacketTrack",
    "ReconnectingSession",
    "SignallingClient",
    "SignallingServer",
    "Viewer",
    "WhepHost",
    "WhepPlayerSession",
    "WhipHost",
    "WhipPublisherSession",
    "accept_offer",
    "candidates_from_fragment",
    "drain_track",
    "keyframe_requests_observable",
    "last_report_age",
    "last_sender_report_age",
    "loopback_offered_here",
    "negotiated",
    "observe_keyframe_requests",
    "offer_loopback_in_this_thread",
    "prefer_codec",
    "receiving_peer",
    "sending_peer",
    "set_answer",
    "to_av_packet",
    "wait_connected",
]
