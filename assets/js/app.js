// The recorder page's controller: wires the buttons to the mic, the
// visualizer, and a take in one of two modes: a live WebRTC session the
// server decodes, or a MediaRecorder recording uploaded as it goes.
import { postJSON } from './api.js';
import { MicError, listMics, openMic, stopMic } from './mic.js';
import { ChunkedRecorder } from './recorder.js';
import { showMic, showSession } from './stats.js';
import { Visualizer } from './visualizer.js';
import { LiveSession, newSessionID } from './webrtc.js';
import { LiveChannel } from './ws.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  webrtc: $('btn-webrtc'),
  record: $('btn-record'),
  pause: $('btn-pause'),
  stop: $('btn-stop'),
  save: $('btn-save'),
  discard: $('btn-discard'),
  sessionID: $('session-id'),
  elapsed: $('elapsed'),
  device: $('mic-device'),
  echo: $('opt-echo'),
  noise: $('opt-noise'),
  agc: $('opt-agc'),
  preview: $('preview'),
  progress: $('upload-progress'),
  progressText: $('upload-text'),
};
const visualizer = new Visualizer($('spectrum'), $('level'));
const channel = new LiveChannel({ onParams: paramsChanged, onStats: sessionChanged });

let stream = null;
let take = null; // {mode: 'webrtc', live} or {mode: 'record', rec}: the take being made or waiting to be saved
let since = 0; // when audio started flowing
let pausedFor = 0; // ms spent paused (record mode)
let pausedAt = 0;
let recordedSeconds = 0; // what this page measured, sent with Save
let ticker = 0;

// setState drives which buttons work; body[data-state] lets tests and CSS follow.
function setState(state, message, isError = false) {
  document.body.dataset.state = state;
  const idle = ['idle', 'error'].includes(state);
  ui.webrtc.disabled = !idle;
  ui.record.disabled = !idle;
  ui.pause.disabled = !['recording', 'paused'].includes(state);
  ui.pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
  ui.stop.disabled = !['connecting', 'live', 'recording', 'paused'].includes(state);
  ui.save.disabled = state !== 'draft';
  ui.discard.disabled = state !== 'draft';
  if (message) {
    ui.status.textContent = message;
    ui.status.classList.toggle('error', isError);
  }
}

async function openStream() {
  const asked = {
    deviceId: ui.device.value ? { exact: ui.device.value } : undefined,
    echoCancellation: ui.echo.checked,
    noiseSuppression: ui.noise.checked,
    autoGainControl: ui.agc.checked,
  };
  stream = await openMic(asked);
  showMic(stream.getAudioTracks()[0], asked);
  fillDevices(); // labels are only readable once permission is granted
  visualizer.start(stream);
}

function failMic(err) {
  cleanupMedia();
  take = null;
  setState('error', err instanceof MicError ? err.message : `Microphone error: ${err.message}`, true);
}

async function startWebRTC() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  const live = new LiveSession(newSessionID(), { onState: onConnectionState });
  take = { mode: 'webrtc', live };
  ui.sessionID.textContent = live.id;
  channel.watch(live.id);
  setState('connecting', 'Connecting to the server…');
  try {
    await live.start(stream);
    // Again, now that the server has the session: a watch that reached it
    // before the offer was answered "gone" and dropped.
    if (take?.live === live) channel.watch(live.id);
  } catch (err) {
    cleanupMedia();
    take = null;
    setState('error', `Could not start the WebRTC session: ${err.message}`, true);
  }
}

// sessionChanged shows the watched session's stats; a take the server
// ended by itself (a full disk, the longest take allowed) is stopped here
// too, so the page offers its draft and says why.
function sessionChanged(info) {
  if (!info.chain) return; // a session that is gone
  showSession(info);
  const ended = ['failed', 'stopped'].includes(info.state);
  const ours = take?.mode === 'webrtc' && take.live.id === info.session_id;
  if (ended && ours && ['connecting', 'live'].includes(document.body.dataset.state)) stop();
}

function onConnectionState(state) {
  if (state === 'connected' && document.body.dataset.state === 'connecting') {
    startClock();
    setState('live', 'Recording over WebRTC — the server is decoding your audio live.');
  } else if (state === 'failed' && ['connecting', 'live'].includes(document.body.dataset.state)) {
    setState('error', 'The WebRTC connection failed. Check the network and try again.', true);
    stop();
  }
}

async function startRecord() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  const rec = new ChunkedRecorder(stream, { onProgress: showProgress });
  take = { mode: 'record', rec };
  try {
    await rec.start();
  } catch (err) {
    cleanupMedia();
    take = null;
    setState('error', `Could not start recording: ${err.message}`, true);
    return;
  }
  ui.sessionID.textContent = rec.id;
  startClock();
  setState('recording', `Recording (${rec.mime}) — each second is uploaded as it is recorded.`);
}

function togglePause() {
  const rec = take?.rec;
  if (!rec) return;
  if (rec.paused) {
    rec.resume();
    pausedFor += performance.now() - pausedAt;
    setState('recording', 'Recording resumed.');
  } else {
    rec.pause();
    pausedAt = performance.now();
    setState('paused', 'Paused. Resume to go on, or Stop to finish the take.');
  }
}

function startClock() {
  since = performance.now();
  pausedFor = 0;
  ticker = setInterval(() => (ui.elapsed.textContent = `${elapsed().toFixed(1)} s`), 250);
}

function elapsed() {
  const pausedNow = document.body.dataset.state === 'paused' ? performance.now() - pausedAt : 0;
  return since ? (performance.now() - since - pausedFor - pausedNow) / 1000 : 0;
}

function showProgress(sent, total) {
  ui.progress.max = Math.max(total, 1);
  ui.progress.value = sent;
  const pending = total - sent;
  ui.progressText.textContent = pending > 0 ? `${(pending / 1024).toFixed(0)} KiB still uploading` : `${(total / 1024).toFixed(0)} KiB uploaded`;
}

function cleanupMedia() {
  clearInterval(ticker);
  ticker = 0;
  visualizer.stop();
  stopMic(stream);
  stream = null;
}

async function stop() {
  if (!take) return;
  recordedSeconds = elapsed();
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  setState('stopping', take.mode === 'record' ? 'Finishing the upload…' : 'Stopping…');
  try {
    if (take.mode === 'webrtc') {
      cleanupMedia();
      const info = await take.live.stop();
      const why = info.reason ? ` (${info.reason})` : '';
      setState('draft', `Stopped${why}: ${info.duration.toFixed(1)} s recorded. Save it or discard it.`, Boolean(info.reason));
    } else {
      const status = await take.rec.stop();
      cleanupMedia();
      ui.preview.src = `/uploads/${encodeURIComponent(take.rec.id)}/audio`;
      ui.preview.hidden = false;
      setState('draft', `Stopped: ${(status.bytes / 1024).toFixed(0)} KiB uploaded. Listen back, then save it or discard it.`);
    }
  } catch (err) {
    cleanupMedia();
    take = null;
    setState('error', `Nothing to save: ${err.message}`, true);
  }
}

async function save() {
  setState('saving', 'Saving…');
  try {
    const body =
      take.mode === 'webrtc'
        ? { session_id: take.live.id, recording_type: 'webrtc', duration: recordedSeconds }
        : { upload_id: take.rec.id, recording_type: 'mediarecorder', duration: recordedSeconds };
    const res = await saveOnce(body);
    take = null;
    hidePreview();
    document.body.dataset.savedFilename = res.filename;
    setState('idle', `Saved as ${res.filename}.`);
    document.body.dispatchEvent(new CustomEvent('recordings-changed', { bubbles: true }));
  } catch (err) {
    setState('draft', `Could not save: ${err.message}`, true);
  }
}

// saveOnce saves the take; a retry (a double click, a lost answer) that the
// server refuses because the take is saved already is a success: the
// answer names the recording it became.
async function saveOnce(body) {
  try {
    return await postJSON('/save_recording', body);
  } catch (err) {
    if (err.filename) return { filename: err.filename };
    throw err;
  }
}

async function discard() {
  try {
    if (take.mode === 'webrtc') await postJSON('/webrtc/discard', { session_id: take.live.id });
    else await take.rec.discard();
    take = null;
    hidePreview();
    ui.sessionID.textContent = '—';
    setState('idle', 'Discarded.');
  } catch (err) {
    setState('draft', `Could not discard: ${err.message}`, true);
  }
}

function hidePreview() {
  ui.preview.removeAttribute('src');
  ui.preview.hidden = true;
}

async function fillDevices() {
  const mics = await listMics();
  const chosen = ui.device.value;
  ui.device.replaceChildren(new Option('Default microphone', ''), ...mics.map((m, i) => new Option(m.label || `Microphone ${i + 1}`, m.deviceId)));
  ui.device.value = mics.some((m) => m.deviceId === chosen) ? chosen : '';
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

ui.webrtc.addEventListener('click', startWebRTC);
ui.record.addEventListener('click', startRecord);
ui.pause.addEventListener('click', togglePause);
ui.stop.addEventListener('click', stop);
ui.save.addEventListener('click', save);
ui.discard.addEventListener('click', discard);
window.addEventListener('pagehide', () => take?.live?.pc?.close());
setState('idle');
fillDevices();

// A handle for the browser console (and tests): the take, its
// RTCPeerConnection or recorder, and the live channel.
window.recorder = {
  get session() {
    return take?.live || null;
  },
  get take() {
    return take;
  },
  channel,
};
