"""WebRTC processors (the webrtc extra): WHEP/WHIP clients and servers."""
