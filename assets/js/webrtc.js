// The WebRTC island: streams the mic track to the server's pion peer.
// The page asks the server for its ICE servers (STUN, TURN with fresh
// credentials), sends the offer at once and trickles both ways: the
// browser's candidates go up as they are found, the server's come down
// from a long poll as it gathers them. When the network changes (the
// connection goes disconnected or failed) it restarts ICE; the server
// keeps the take, and the gap becomes silence.
import { getJSON, postJSON } from './api.js';
import { NetFacts } from './netfacts.js';

// How long to keep restarting ICE before the take is given up.
const RESTART_FOR_MS = 60000;
// How long one restart request may take. After a network change a
// request can go out on a kept-alive connection from the old address and
// never be answered (Firefox keeps such connections for seconds); it is
// abandoned, which closes that connection, and the next try opens another.
const RESTART_REQUEST_MS = 4000;

export function newSessionID() {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return `session_${Date.now()}_${rand[0].toString(36)}${rand[1].toString(36)}`;
}

export class LiveSession {
  constructor(sessionID, { onState } = {}) {
    this.id = sessionID;
    this.onState = onState || (() => {});
    this.pc = null;
    this.facts = null;
    this.connectedOnce = false;
    this.lostSince = 0;
    this.restarting = false;
  }

  async start(stream) {
    const ice = await getJSON('/webrtc/ice-config').catch(() => ({}));
    const pc = new RTCPeerConnection({
      iceServers: ice.iceServers || [],
      iceTransportPolicy: ice.iceTransportPolicy || 'all',
    });
    this.pc = pc;
    this.facts = new NetFacts(pc);
    pc.onconnectionstatechange = () => this.connectionChanged(pc);
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
      trickle: true,
    });
    await pc.setRemoteDescription(res.answer);
    answered = true;
    early.forEach((c) => this.sendCandidate(c));
    this.pollCandidates(pc);
    return res;
  }

  // pollCandidates adds the server's candidates as it gathers them.
  async pollCandidates(pc) {
    let next = 0;
    while (this.pc === pc && pc.signalingState !== 'closed') {
      let res;
      try {
        res = await getJSON(`/webrtc/sessions/${encodeURIComponent(this.id)}/candidates?from=${next}`);
      } catch (err) {
        console.warn('server candidates:', err.message);
        return;
      }
      for (const c of res.candidates) {
        await pc.addIceCandidate({ candidate: c.candidate, sdpMLineIndex: 0 }).catch((err) => console.warn('server candidate refused:', err.message));
      }
      next = res.next;
      if (res.complete) return;
    }
  }

  // connectionChanged passes the state on, but a connection that was up
  // and went down is restarted first; only giving up is a failure.
  connectionChanged(pc) {
    const state = pc.connectionState;
    if (state === 'connected') {
      this.connectedOnce = true;
      this.lostSince = 0;
      this.onState(state);
      return;
    }
    if ((state === 'disconnected' || state === 'failed') && this.connectedOnce && this.pc === pc) {
      this.lostSince = this.lostSince || Date.now();
      if (Date.now() - this.lostSince < RESTART_FOR_MS) {
        this.onState('reconnecting');
        this.restart(pc);
        return;
      }
    }
    if (state === 'failed') this.facts?.fail();
    this.onState(state);
  }

  // restart renegotiates ICE over whatever network the browser has now;
  // while the connection stays down it tries again every 2 s.
  async restart(pc) {
    if (this.restarting) return;
    this.restarting = true;
    try {
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      const res = await postJSON(
        '/webrtc/restart',
        { session_id: this.id, offer: { type: offer.type, sdp: offer.sdp } },
        { signal: AbortSignal.timeout(RESTART_REQUEST_MS) },
      );
      await pc.setRemoteDescription(res.answer);
      this.facts?.restarted();
    } catch (err) {
      console.warn('ICE restart:', err.message);
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
    } finally {
      this.restarting = false;
    }
    setTimeout(() => {
      if (this.pc === pc && ['disconnected', 'failed'].includes(pc.connectionState)) this.connectionChanged(pc);
    }, 2000);
  }

  sendCandidate(candidate) {
    postJSON('/webrtc/ice-candidate', { candidate: candidate.toJSON(), session_id: this.id }).catch((err) =>
      console.warn('ICE candidate refused:', err.message),
    );
  }

  // close hangs up without telling the server (it may be unreachable).
  close() {
    this.facts?.stop();
    this.pc?.close();
    this.pc = null;
  }

  // stop hangs up and ends the take on the server (it stays a draft).
  async stop() {
    this.close();
    return postJSON('/webrtc/stop', { session_id: this.id }, { signal: AbortSignal.timeout(RESTART_REQUEST_MS) });
  }
}
