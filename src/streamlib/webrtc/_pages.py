"""The pages a ``WhepServer`` and ``WhipServer`` serve at ``/``: watch, or publish a camera.

Both are plain HTML with inline JavaScript, no external resources (they work
offline and inside a network namespace). They gather ICE fully before the
POST (no trickle needed) and expose their state for tests and scripts::

    await window.streamlib.stats()   // {state, framesDecoded, width, height, ...}
"""

from __future__ import annotations

__all__ = ["PUBLISHER_PAGE", "VIEWER_PAGE"]

_COMMON_JS = """
const params = new URLSearchParams(location.search);
const endpoint = new URL(params.get("endpoint") || ENDPOINT, location.href).href;
const token = params.get("token");
const status = document.getElementById("status");
const pc = new RTCPeerConnection({iceServers: []});
let sessionUrl = null;
function show(text) { status.textContent = text; }
pc.onconnectionstatechange = () => show(pc.connectionState);
async function negotiate() {
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 3000);  // send what was gathered by then
  });
  const headers = {"Content-Type": "application/sdp"};
  if (token) headers["Authorization"] = "Bearer " + token;
  const response = await fetch(endpoint, {method: "POST", headers, body: pc.localDescription.sdp});
  if (response.status !== 201) throw new Error(response.status + " " + await response.text());
  sessionUrl = new URL(response.headers.get("Location"), endpoint).href;
  await pc.setRemoteDescription({type: "answer", sdp: await response.text()});
}
window.addEventListener("pagehide", () => {
  if (sessionUrl) fetch(sessionUrl, {method: "DELETE", keepalive: true,
    headers: token ? {"Authorization": "Bearer " + token} : {}});
});
async function rtpStats(type) {
  const out = {state: pc.connectionState};
  (await pc.getStats()).forEach((s) => {
    if (s.type === type && s.kind === "video") Object.assign(out, {
      framesDecoded: s.framesDecoded, framesEncoded: s.framesEncoded, framesSent: s.framesSent,
      width: s.frameWidth, height: s.frameHeight, codecId: s.codecId});
    if (s.type === "codec" && s.id === out.codecId) out.codec = s.mimeType;
  });
  return out;
}
"""

VIEWER_PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>streamlib viewer</title>
<style>body{{margin:0;background:#111;color:#ccc;font:14px sans-serif}}
video{{width:100vw;height:calc(100vh - 2em);background:#000}}</style></head>
<body><video id="video" autoplay playsinline muted controls></video>
<div id="status">connecting</div>
<script>
const ENDPOINT = "whep";
{_COMMON_JS}
const video = document.getElementById("video");
const stream = new MediaStream();
video.srcObject = stream;
pc.addTransceiver("video", {{direction: "recvonly"}});
pc.addTransceiver("audio", {{direction: "recvonly"}});
pc.ontrack = (event) => stream.addTrack(event.track);
window.streamlib = {{
  stats: async () => Object.assign(await rtpStats("inbound-rtp"),
    {{videoWidth: video.videoWidth, videoHeight: video.videoHeight}}),
  ready: negotiate().catch((error) => {{ show("error: " + error.message); throw error; }}),
}};
</script></body></html>
"""

PUBLISHER_PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>streamlib publisher</title>
<style>body{{margin:0;background:#111;color:#ccc;font:14px sans-serif}}
video{{width:100vw;height:calc(100vh - 2em);background:#000}}</style></head>
<body><video id="video" autoplay playsinline muted></video>
<div id="status">asking for the camera</div>
<script>
const ENDPOINT = "whip";
{_COMMON_JS}
async function publish() {{
  const media = await navigator.mediaDevices.getUserMedia({{
    video: {{width: 640, height: 480}}, audio: params.get("audio") !== "0"}});
  document.getElementById("video").srcObject = media;
  for (const track of media.getTracks()) {{
    const transceiver = pc.addTransceiver(track, {{direction: "sendonly"}});
    if (track.kind === "video") {{
      // H.264 first: what the server's pipeline expects and decodes cheaply.
      const codecs = RTCRtpSender.getCapabilities("video").codecs;
      const h264 = codecs.filter((c) => c.mimeType === "video/H264");
      if (h264.length) transceiver.setCodecPreferences(
        h264.concat(codecs.filter((c) => c.mimeType !== "video/H264")));
    }}
  }}
  await negotiate();
}}
window.streamlib = {{
  stats: () => rtpStats("outbound-rtp"),
  ready: publish().catch((error) => {{ show("error: " + error.message); throw error; }}),
}};
</script></body></html>
"""
