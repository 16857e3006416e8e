// The recorder page's controller: wires the buttons to the mic, the
// visualizer and a live WebRTC session, and keeps the status line honest.
import { getJSON, postJSON } from './api.js';
import { MicError, openMic, stopMic } from './mic.js';
import { Visualizer } from './visualizer.js';
import { LiveSession, newSessionID } from './webrtc.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  webrtc: $('btn-webrtc'),
  stop: $('btn-stop'),
  save: $('btn-save'),
  discard: $('btn-discard'),
  sessionID: $('session-id'),
  elapsed: $('elapsed'),
  serverStats: $('server-stats'),
  echo: $('opt-echo'),
  noise: $('opt-noise'),
  agc: $('opt-agc'),
};
const visualizer = new Visualizer($('spectrum'), $('level'));

let stream = null;
let live = null; // the LiveSession being recorded or waiting to be saved
let liveSince = 0; // when audio started flowing (connection "connected")
let recordedSeconds = 0; // what this page measured, sent with Save
let ticker = 0;

// setState drives which buttons work; body[data-state] lets tests and CSS follow.
function setState(state, message, isError = false) {
  document.body.dataset.state = state;
  ui.webrtc.disabled = !['idle', 'error'].includes(state);
  ui.stop.disabled = !['connecting', 'live'].includes(state);
  ui.save.disabled = state !== 'draft';
  ui.discard.disabled = state !== 'draft';
  if (message) {
    ui.status.textContent = message;
    ui.status.classList.toggle('error', isError);
  }
}

async function startWebRTC() {
  setState('starting', 'Opening the microphone…');
  try {
    stream = await openMic({
      echoCancellation: ui.echo.checked,
      noiseSuppression: ui.noise.checked,
      autoGainControl: ui.agc.checked,
    });
  } catch (err) {
    setState('error', err instanceof MicError ? err.message : `Microphone error: ${err.message}`, true);
    return;
  }
  visualizer.start(stream);
  live = new LiveSession(newSessionID(), { onState: onConnectionState });
  ui.sessionID.textContent = live.id;
  setState('connecting', 'Connecting to the server…');
  try {
    await live.start(stream);
  } catch (err) {
    cleanupMedia();
    live = null;
    setState('error', `Could not start the WebRTC session: ${err.message}`, true);
  }
}

function onConnectionState(state) {
  if (state === 'connected' && document.body.dataset.state === 'connecting') {
    liveSince = performance.now();
    ticker = setInterval(tick, 250);
    setState('live', 'Recording over WebRTC — the server is decoding your audio live.');
  } else if (state === 'failed') {
    setState('error', 'The WebRTC connection failed. Check the network and try again.', true);
    stopWebRTC();
  }
}

let lastPoll = 0;
async function tick() {
  ui.elapsed.textContent = `${((performance.now() - liveSince) / 1000).toFixed(1)} s`;
  if (performance.now() - lastPoll < 1000 || !live) return;
  lastPoll = performance.now();
  try {
    showServerStats(await getJSON(`/webrtc/sessions/${encodeURIComponent(live.id)}`));
  } catch {
    /* stats are a nicety; the next tick tries again */
  }
}

function showServerStats(info) {
  const s = info.stats;
  ui.serverStats.textContent = `${info.state} · ${info.duration.toFixed(1)} s decoded · ${s.packets} packets · ${s.lost_packets} lost · ${s.gaps} gaps`;
}

function cleanupMedia() {
  clearInterval(ticker);
  ticker = 0;
  visualizer.stop();
  stopMic(stream);
  stream = null;
}

async function stopWebRTC() {
  if (!live) return;
  recordedSeconds = liveSince ? (performance.now() - liveSince) / 1000 : 0;
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  cleanupMedia();
  setState('stopping', 'Stopping…');
  try {
    const info = await live.stop();
    showServerStats(info);
    setState('draft', `Stopped: ${info.duration.toFixed(1)} s recorded. Save it or discard it.`);
  } catch (err) {
    live = null;
    setState('error', `Nothing to save: ${err.message}`, true);
  }
}

async function save() {
  setState('saving', 'Saving…');
  try {
    const res = await postJSON('/save_recording', {
      session_id: live.id,
      recording_type: 'webrtc',
      duration: recordedSeconds,
    });
    live = null;
    document.body.dataset.savedFilename = res.filename;
    setState('idle', `Saved as ${res.filename}.`);
    document.body.dispatchEvent(new CustomEvent('recordings-changed', { bubbles: true }));
  } catch (err) {
    setState('draft', `Could not save: ${err.message}`, true);
  }
}

async function discard() {
  try {
    await postJSON('/webrtc/discard', { session_id: live.id });
    live = null;
    ui.sessionID.textContent = '—';
    setState('idle', 'Discarded.');
  } catch (err) {
    setState('draft', `Could not discard: ${err.message}`, true);
  }
}

ui.webrtc.addEventListener('click', startWebRTC);
ui.stop.addEventListener('click', stopWebRTC);
ui.save.addEventListener('click', save);
ui.discard.addEventListener('click', discard);
window.addEventListener('pagehide', () => live?.pc?.close());
setState('idle');

// A handle for the browser console (and tests): the live session and its
// RTCPeerConnection, e.g. recorder.session.pc.getStats().
window.recorder = {
  get session() {
    return live;
  },
};
