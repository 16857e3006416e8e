// The WebRTC island: streams the mic track to the server's pion peer.
// The offer goes out at once; the browser's ICE candidates follow as they
// are found (trickle ICE), and the server answers with all of its own.
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
    // Candidates found before the server knows the session wait here.
    const early = [];
    let answered = false;
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate) return;
      if (answered) this.sendCandidate(candidate);
      else early.push(candidate);
    };
    for (const track of stream.getAudioTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
    await pc.setLocalDescription(await pc.createOffer());
    const res = await postJSON('/webrtc/offer', {
      offer: { type: pc.localDescription.type, sdp: pc.localDescription.sdp },
      session_id: this.id,
    });
    await pc.setRemoteDescription(res.answer);
    answered = true;
    early.forEach((c) => this.sendCandidate(c));
    return res;
  }

  sendCandidate(candidate) {
    postJSON('/webrtc/ice-candidate', { candidate: candidate.toJSON(), session_id: this.id }).catch((err) =>
      console.warn('ICE candidate refused:', err.message),
    );
  }

  async stop() {
    this.pc?.close();
    this.pc = null;
    return postJSON('/webrtc/stop', { session_id: this.id });
  }
}
