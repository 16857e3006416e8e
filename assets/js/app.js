// The recorder page's controller: wires the buttons to the mic, the
// visualizer and a live WebRTC session, and keeps the status line honest.
import { postJSON } from './api.js';
import { MicError, openMic, stopMic } from './mic.js';
import { showMic, showSession } from './stats.js';
import { Visualizer } from './visualizer.js';
import { LiveSession, newSessionID } from './webrtc.js';
import { LiveChannel } from './ws.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  webrtc: $('btn-webrtc'),
  stop: $('btn-stop'),
  save: $('btn-save'),
  discard: $('btn-discard'),
  sessionID: $('session-id'),
  elapsed: $('elapsed'),
  echo: $('opt-echo'),
  noise: $('opt-noise'),
  agc: $('opt-agc'),
};
const visualizer = new Visualizer($('spectrum'), $('level'));
const channel = new LiveChannel({ onParams: paramsChanged, onStats: showSession });

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
  const asked = {
    echoCancellation: ui.echo.checked,
    noiseSuppression: ui.noise.checked,
    autoGainControl: ui.agc.checked,
  };
  try {
    stream = await openMic(asked);
    showMic(stream.getAudioTracks()[0], asked);
  } catch (err) {
    setState('error', err instanceof MicError ? err.message : `Microphone error: ${err.message}`, true);
    return;
  }
  visualizer.start(stream);
  live = new LiveSession(newSessionID(), { onState: onConnectionState });
  ui.sessionID.textContent = live.id;
  channel.watch(live.id);
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

function tick() {
  ui.elapsed.textContent = `${((performance.now() - liveSince) / 1000).toFixed(1)} s`;
}

// paramsChanged refreshes the parameters form when a change made
// elsewhere (another page, the API, the WebSocket) does not show in it yet.
function paramsChanged(params) {
  const form = document.getElementById('params-form');
  if (!form || !params) return;
  const shown = ['fps', 'batch_size', 'sample_rate', 'channels'].every(
    (name) => Number(form.elements[name]?.value) === params[name],
  );
  if (!shown) document.body.dispatchEvent(new Event('params-changed'));
}

// Range sliders show their value as they move.
document.addEventListener('input', (ev) => {
  const name = ev.target.dataset?.output;
  const out = name && document.querySelector(`output[for="${name}"]`);
  if (out) out.textContent = ev.target.value;
});

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
  channel,
};
