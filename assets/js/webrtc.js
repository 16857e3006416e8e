// The WebRTC island: streams the mic track to the server's pion peer.
// ICE gathering completes before the offer is sent, and the server answers
// with all of its candidates, so one round trip sets the call up.
import { postJSON } from './api.js';

export function newSessionID() {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return `session_${Date.now()}_${rand[0].toString(36)}${rand[1].toString(36)}`;
}

export class LiveSession {
  constructor(sessionID, { onState } = {}) {
    this.id = sessionID;
    this.onState = onState || (() => {});
    this.pc = null;
  }

  async start(stream) {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    for (const track of stream.getAudioTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const res = await postJSON('/webrtc/offer', {
      offer: { type: pc.localDescription.type, sdp: pc.localDescription.sdp },
      session_id: this.id,
    });
    await pc.setRemoteDescription(res.answer);
    return res;
  }

  async stop() {
    this.pc?.close();
    this.pc = null;
    return postJSON('/webrtc/stop', { session_id: this.id });
  }
}

function gatheringComplete(pc, timeoutMs = 3000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === 'complete') finish();
    };
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    // Some networks never report "complete": go with what we have.
    const timer = setTimeout(finish, timeoutMs);
    pc.addEventListener('icegatheringstatechange', done);
  });
}
