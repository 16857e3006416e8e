// The recorder page's controller: wires the buttons to the mic, the
// visualizer, and a take in one of two modes: a live WebRTC session the
// server decodes, or a MediaRecorder recording uploaded as it goes.
import { postJSON } from './api.js';
import * as drafts from './drafts.js';
import { MicError, listMics, openMic, stopMic } from './mic.js';
import { ChunkedRecorder } from './recorder.js';
import { clearSession, showMic, showSession } from './stats.js';
import { Visualizer } from './visualizer.js';
import { LiveSession, newSessionID } from './webrtc.js';
import { LiveChannel } from './ws.js';

document.documentElement.classList.add('js');
const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  start: $('btn-start'),
  modes: $('modes'),
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
  review: $('review'),
  reviewWave: $('review-wave'),
  title: $('take-title'),
  upload: $('upload'),
  progress: $('upload-progress'),
  progressText: $('upload-text'),
};
const visualizer = new Visualizer($('spectrum'), $('level'), $('level-bar'), $('level-peak'));
// A save, rename or delete anywhere (another tab, the API) refreshes the
// list here too.
// listChanged fetches the list afresh; changes that come while it does
// make it fetch once more when done (htmx would drop them).
let refreshing = null;
let again = false;
function listChanged() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = (async () => {
    do {
      again = false;
      const res = await fetch('/ui/recordings');
      const old = $('recordings');
      if (!res.ok || !old) return;
      const tpl = document.createElement('template');
      tpl.innerHTML = (await res.text()).trim();
      const list = tpl.content.firstElementChild;
      old.replaceWith(list);
      window.htmx?.process(list);
      listShown(list);
    } while (again);
  })()
    .catch((err) => console.warn('refreshing the list:', err.message))
    .finally(() => (refreshing = null));
}
const channel = new LiveChannel({ onParams: paramsChanged, onStats, onGone, onRecordings: listChanged });
// The server's limit on a live take, in seconds (0: none).
const maxTake = Number($('recorder')?.dataset.maxTake) || 0;

let stream = null;
let take = null; // {mode: 'webrtc', id, live} or {mode: 'record', id, rec}: the take being made or waiting to be saved
let since = 0; // when audio started flowing
let pausedFor = 0; // ms spent paused (record mode)
let pausedAt = 0;
let recordedSeconds = 0; // what this page measured, sent with Save
let ticker = 0;

const state = () => document.body.dataset.state;
const running = () => ['connecting', 'live', 'recording', 'paused'].includes(state());

// setState drives which buttons work; body[data-state] lets tests and CSS
// follow. tone is '' (news), 'warn' (something ended early) or 'error'.
function setState(next, message, tone = '') {
  document.body.dataset.state = next;
  const idle = ['idle', 'error'].includes(next);
  const going = ['connecting', 'live', 'recording', 'paused'].includes(next);
  ui.start.hidden = !(idle || next === 'starting');
  ui.start.disabled = !idle;
  ui.modes.disabled = !idle;
  ui.stop.hidden = !going && next !== 'stopping';
  ui.stop.disabled = !going;
  ui.pause.hidden = !['recording', 'paused'].includes(next);
  ui.pause.textContent = next === 'paused' ? 'Resume' : 'Pause';
  ui.review.hidden = !['draft', 'saving'].includes(next);
  ui.save.disabled = next !== 'draft';
  ui.discard.disabled = next !== 'draft';
  if (message) say(message, tone);
}

function say(message, tone = '') {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', tone === 'error');
  ui.status.classList.toggle('warn', tone === 'warn');
}

const secs = (s) => `${(Number.isFinite(s) ? s : 0).toFixed(1)} s`;
// mmss is the recording clock: 00:42, 1:02:03 from an hour.
function mmss(s) {
  const t = Math.max(0, Math.floor(Number.isFinite(s) ? s : 0));
  const two = (n) => String(n).padStart(2, '0');
  return t >= 3600 ? `${Math.floor(t / 3600)}:${two(Math.floor(t / 60) % 60)}:${two(t % 60)}` : `${two(Math.floor(t / 60))}:${two(t % 60)}`;
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
  setState('error', err instanceof MicError ? err.message : `Microphone error: ${err.message}`, 'error');
}

async function startWebRTC() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  const live = new LiveSession(newSessionID(), { onState: onConnectionState });
  take = { mode: 'webrtc', id: live.id, live };
  drafts.remember(live.id, 'webrtc');
  ui.sessionID.textContent = live.id;
  setState('connecting', 'Connecting to the server…');
  try {
    await live.start(stream);
    // The server has the session only now: watching earlier would be
    // answered "gone".
    if (take?.live === live) channel.watch(live.id);
  } catch (err) {
    cleanupMedia();
    drafts.forget(live.id);
    take = null;
    setState('error', `Could not start the WebRTC session: ${err.message}`, 'error');
  }
}

function onConnectionState(connection) {
  if (connection === 'connected' && state() === 'connecting') {
    startClock();
    setState('live', 'Recording over WebRTC — the server is decoding your audio live.');
  } else if (connection === 'failed' && ['connecting', 'live'].includes(state())) {
    serverEnded({ state: 'failed', reason: 'the connection to the server was lost' });
  }
}

// onStats renders the watched session's report, and notices when the
// server ended the take by itself.
function onStats(info) {
  if (take?.mode !== 'webrtc' || info.session_id !== take.id || !['connecting', 'live'].includes(state())) return;
  showSession(info);
  if (info.state === 'stopped' || info.state === 'failed') serverEnded(info);
}

function onGone(id) {
  if (take?.id === id && ['connecting', 'live'].includes(state())) {
    serverEnded({ state: 'failed', reason: 'the server no longer knows this take (did it restart?)' });
  }
}

// whyEnded puts the server's end of a take in plain words.
function whyEnded(info) {
  if (info.reason) return `The take ended: ${info.reason}.`;
  if (maxTake > 0 && info.duration >= maxTake - 1) {
    return `The take reached the server's time limit of ${limitWords(maxTake)} and was stopped.`;
  }
  return 'The server ended the take (the connection dropped or the server stopped).';
}

function limitWords(s) {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

// serverEnded handles a take the server (or the network) ended: the page
// stops recording at once, says why, and offers what reached the server.
async function serverEnded(info) {
  const t = take;
  if (!t || t.mode !== 'webrtc') return;
  const why = whyEnded(info);
  recordedSeconds = elapsed();
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  channel.watch(null);
  cleanupMedia();
  setState('stopping', `${why} Keeping what was recorded…`, 'warn');
  try {
    const res = await t.live.stop();
    showDraft(t);
    ui.sessionID.textContent = t.id;
    setState('draft', `${why} ${secs(res.duration)} were recorded: listen back, then save or discard it.`, 'warn');
  } catch (err) {
    drafts.forget(t.id);
    take = null;
    clearSession();
    setState('error', `${why} Nothing was recorded (${err.message}).`, 'error');
  }
}

async function startRecord() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  const rec = new ChunkedRecorder(stream, { onProgress: showProgress, onFailed: uploadFailed });
  take = { mode: 'record', rec };
  try {
    await rec.start();
  } catch (err) {
    cleanupMedia();
    take = null;
    setState('error', `Could not start recording: ${err.message}`, 'error');
    return;
  }
  take.id = rec.id;
  drafts.remember(rec.id, 'record');
  ui.sessionID.textContent = rec.id;
  startClock();
  ui.upload.hidden = false;
  setState('recording', 'Recording in the browser — each half second is uploaded as it is recorded.');
}

// uploadFailed: the server refused a chunk for good. Recording on would
// lose everything after it: stop, and offer what it has.
async function uploadFailed(err) {
  if (take?.mode !== 'record' || !['recording', 'paused'].includes(state())) return;
  await stop(`The server stopped taking the recording: ${err.message}.`);
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
  ui.elapsed.textContent = mmss(0);
  ticker = setInterval(() => (ui.elapsed.textContent = mmss(elapsed())), 250);
}

function elapsed() {
  const pausedNow = state() === 'paused' ? performance.now() - pausedAt : 0;
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
  since = 0;
  visualizer.stop();
  stopMic(stream);
  stream = null;
}

// stop ends the take the user is making (or, with why, one the server
// refused to go on with) and offers it for review.
async function stop(why = '') {
  const t = take;
  if (!t) return;
  recordedSeconds = elapsed();
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  setState('stopping', why || (t.mode === 'record' ? 'Finishing the upload…' : 'Stopping…'), why ? 'warn' : '');
  try {
    if (t.mode === 'webrtc') {
      channel.watch(null);
      cleanupMedia();
      const info = await t.live.stop();
      showDraft(t);
      const because = why || (info.reason ? `The take ended: ${info.reason}.` : '');
      setState('draft', `${because ? because + ' ' : ''}Stopped: ${secs(info.duration)} recorded. Listen back, then save it or discard it.`, because ? 'warn' : '');
    } else {
      const status = await t.rec.stop();
      cleanupMedia();
      showDraft(t);
      setState('draft', `${why ? why + ' ' : ''}Stopped: ${(status.bytes / 1024).toFixed(0)} KiB uploaded. Listen back, then save it or discard it.`, why ? 'warn' : '');
    }
  } catch (err) {
    cleanupMedia();
    drafts.forget(t.id);
    take = null;
    clearSession();
    setState('error', `Nothing to save: ${err.message}`, 'error');
  }
}

// showDraft opens the review: a player with the take's real length,
// seekable, and its waveform, which seeks too.
function showDraft(t) {
  const url = t.mode === 'webrtc' ? `/webrtc/sessions/${encodeURIComponent(t.id)}/audio` : `/uploads/${encodeURIComponent(t.id)}/audio`;
  ui.preview.src = url;
  ui.upload.hidden = true;
  ui.title.value = '';
  drawWaveform(ui.reviewWave, url, ui.preview);
}

async function save() {
  const t = take;
  setState('saving', 'Saving…');
  try {
    const body =
      t.mode === 'webrtc'
        ? { session_id: t.id, recording_type: 'webrtc', duration: recordedSeconds }
        : { upload_id: t.id, recording_type: 'mediarecorder', duration: recordedSeconds };
    const title = ui.title.value.trim();
    if (title) body.title = title;
    const res = await saveOnce(body);
    drafts.forget(t.id);
    take = null;
    hidePreview();
    clearSession();
    ui.sessionID.textContent = '—';
    ui.upload.hidden = true;
    saved(res.filename);
  } catch (err) {
    setState('draft', `Could not save: ${err.message}`, 'error');
  }
}

function saved(filename) {
  document.body.dataset.savedFilename = filename;
  freshName = filename;
  freshUntil = performance.now() + 4000;
  freshScrolled = false;
  setState('idle', `Saved as ${filename}.`);
  listChanged();
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

// discardTake drops a draft on the server; one the server no longer has
// is gone already.
async function discardTake(mode, id) {
  try {
    if (mode === 'webrtc') await postJSON('/webrtc/discard', { session_id: id });
    else await postJSON(`/uploads/${encodeURIComponent(id)}/discard`, {});
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  drafts.forget(id);
}

async function discard() {
  const t = take;
  try {
    await discardTake(t.mode, t.id);
    take = null;
    hidePreview();
    clearSession();
    ui.sessionID.textContent = '—';
    ui.upload.hidden = true;
    setState('idle', 'Discarded.');
  } catch (err) {
    setState('draft', `Could not discard: ${err.message}`, 'error');
  }
}

function hidePreview() {
  ui.preview.removeAttribute('src');
  ui.preview.load();
  waveJob++;
  ui.reviewWave.getContext('2d').clearRect(0, 0, ui.reviewWave.width, ui.reviewWave.height);
}

// drawWaveform decodes the take in the page (up to 20 minutes of it) and
// draws its peaks; the drawing seeks the player, and shows where it is.
let waveJob = 0;
async function drawWaveform(canvas, url, audio) {
  const job = ++waveJob;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  let peaks = null;
  try {
    const res = await fetch(url);
    const buf = await res.arrayBuffer();
    const ctx = new OfflineAudioContext(1, 1, 48000);
    const audioBuf = await ctx.decodeAudioData(buf);
    if (audioBuf.duration > 20 * 60) return;
    const data = audioBuf.getChannelData(0);
    const n = 200;
    const step = Math.max(1, Math.floor(data.length / n));
    peaks = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let j = i * step; j < Math.min(data.length, (i + 1) * step); j++) p = Math.max(p, Math.abs(data[j]));
      peaks[i] = p;
    }
  } catch {
    return; // the player still works without the drawing
  }
  if (job !== waveJob) return;
  const max = Math.max(0.05, ...peaks);
  const paint = () => {
    const w = canvas.width / peaks.length;
    const played = audio.duration ? audio.currentTime / audio.duration : 0;
    g.clearRect(0, 0, canvas.width, canvas.height);
    peaks.forEach((p, i) => {
      const h = Math.max(2, (p / max) * (canvas.height - 4));
      g.fillStyle = i / peaks.length < played ? '#fb7185' : '#818cf8';
      g.fillRect(i * w, (canvas.height - h) / 2, Math.max(1, w - 1), h);
    });
  };
  paint();
  audio.ontimeupdate = paint;
  canvas.onclick = (ev) => {
    const r = canvas.getBoundingClientRect();
    if (audio.duration) audio.currentTime = ((ev.clientX - r.left) / r.width) * audio.duration;
  };
}

async function fillDevices() {
  const mics = await listMics();
  const chosen = ui.device.value;
  ui.device.replaceChildren(new Option('Default microphone', ''), ...mics.map((m, i) => new Option(m.label || `Microphone ${i + 1}`, m.deviceId)));
  ui.device.value = mics.some((m) => m.deviceId === chosen) ? chosen : '';
}

// showUnsaved lists the takes this browser left unsaved (a reload, a
// closed tab, a crash) so they can be saved or discarded.
async function showUnsaved() {
  const takes = await drafts.unsaved();
  if (takes.length === 0) return;
  try {
    const section = await drafts.fetchList(takes);
    $('unsaved')?.replaceWith(section);
    localTimes(section);
  } catch (err) {
    console.warn('listing unsaved takes:', err.message);
  }
}

// Save and Discard of the unsaved takes listed after a reload.
document.addEventListener('click', async (ev) => {
  const btn = ev.target.closest?.('[data-action=save-draft], [data-action=discard-draft]');
  const li = btn?.closest('[data-testid=unsaved-take]');
  if (!li) return;
  const { id, mode } = li.dataset;
  li.querySelectorAll('button').forEach((b) => (b.disabled = true));
  try {
    if (btn.dataset.action === 'save-draft') {
      const body = mode === 'webrtc' ? { session_id: id, recording_type: 'webrtc', duration: 0 } : { upload_id: id, recording_type: 'mediarecorder', duration: 0 };
      const title = li.querySelector('input[name=title]')?.value.trim();
      if (title) body.title = title;
      const res = await saveOnce(body);
      drafts.forget(id);
      dropDraftRow(li);
      saved(res.filename);
    } else {
      await discardTake(mode, id);
      dropDraftRow(li);
      say('Discarded the unsaved take.');
    }
  } catch (err) {
    li.querySelectorAll('button').forEach((b) => (b.disabled = false));
    say(`Could not ${btn.dataset.action === 'save-draft' ? 'save' : 'discard'} the unsaved take: ${err.message}`, 'error');
  }
});

function dropDraftRow(li) {
  const section = li.closest('#unsaved');
  li.remove();
  if (section && !section.querySelector('[data-testid=unsaved-take]')) section.hidden = true;
}

// localTimes shows <time data-local> in the viewer's own time zone.
function localTimes(root) {
  const fmt = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  });
  for (const el of root.querySelectorAll('time[data-local]')) {
    const d = new Date(el.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) el.textContent = fmt.format(d);
  }
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

// The recording just saved is marked in the list for a few seconds (the
// list may be swapped more than once: this tab's save and /ws's word).
let freshName = '';
let freshUntil = 0;
let freshScrolled = false;
ui.start.addEventListener('click', () => (ui.modes.querySelector('input[name=mode]:checked')?.value === 'record' ? startRecord() : startWebRTC()));
ui.pause.addEventListener('click', togglePause);
ui.stop.addEventListener('click', () => stop());
ui.save.addEventListener('click', save);
ui.discard.addEventListener('click', discard);

// Leaving with a take running or unsaved asks first; if the user leaves
// anyway, a live take is stopped on the server (it stays a draft) and a
// recorder hands over its last chunk, so the next visit can offer it.
window.addEventListener('beforeunload', (ev) => {
  if (take && (running() || ['stopping', 'draft', 'saving'].includes(state()))) {
    ev.preventDefault();
    ev.returnValue = '';
  }
});
window.addEventListener('pagehide', () => {
  if (take?.mode === 'webrtc' && ['connecting', 'live'].includes(state())) {
    fetch('/webrtc/stop', {
      method: 'POST',
      keepalive: true,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session_id: take.id }),
    }).catch(() => {});
    take.live.pc?.close();
  } else if (take?.mode === 'record') {
    take.rec.flush();
  }
});
document.body.addEventListener('htmx:afterSwap', (ev) => listShown(ev.target));

// listShown dresses a list just swapped in: local times, and the
// recording just saved marked (it is at the top) and scrolled into view.
function listShown(root) {
  localTimes(root);
  const row = freshName && performance.now() < freshUntil && document.querySelector(`[data-testid=recording][data-filename="${CSS.escape(freshName)}"]`);
  if (row) {
    row.classList.add('fresh');
    if (!freshScrolled) row.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    freshScrolled = true;
  }
}

// A recording's waveform is a seek bar for its player.
document.addEventListener('click', (ev) => {
  const wave = ev.target.closest?.('svg[data-seek]');
  const audio = wave?.closest('li')?.querySelector('audio');
  if (!audio) return;
  const r = wave.getBoundingClientRect();
  const seek = () => (audio.currentTime = ((ev.clientX - r.left) / r.width) * audio.duration);
  if (audio.duration) seek();
  else audio.addEventListener('loadedmetadata', seek, { once: true });
});

// Advanced opens by itself when the URL asks (?advanced=1), else as the
// user last left it.
const advanced = $('advanced');
if (advanced) {
  const asked = new URLSearchParams(location.search).get('advanced');
  advanced.open = asked ? asked === '1' : localStorage.getItem('recorder.advanced') === 'open';
  advanced.addEventListener('toggle', () => localStorage.setItem('recorder.advanced', advanced.open ? 'open' : 'closed'));
}

// A failed htmx request shows its error where the user acted: the server
// answers htmx with an error fragment; a lost connection gets a sentence.
document.body.addEventListener('htmx:responseError', (ev) => {
  const { elt, xhr } = ev.detail;
  const html = (xhr.getResponseHeader('Content-Type') || '').startsWith('text/html') ? xhr.responseText : '';
  inlineError(elt, html, `The server answered ${xhr.status} ${xhr.statusText}.`);
});
document.body.addEventListener('htmx:sendError', (ev) => inlineError(ev.detail.elt, '', 'Could not reach the server. Check the connection and try again.'));
document.body.addEventListener('htmx:beforeRequest', (ev) => {
  ev.detail.elt.closest?.('li, form, .card')?.querySelector(':scope > .inline-error')?.remove();
});

function inlineError(elt, html, fallback) {
  const anchor = elt.closest?.('li, form, .card') || ui.status.parentElement;
  anchor.querySelector(':scope > .inline-error')?.remove();
  const tpl = document.createElement('template');
  tpl.innerHTML = html.trim();
  let p = tpl.content.querySelector('.inline-error');
  if (!p) {
    p = document.createElement('p');
    p.className = 'inline-error';
    p.setAttribute('role', 'alert');
    p.dataset.testid = 'error';
    p.textContent = fallback;
  }
  anchor.append(p);
}
setState('idle');
localTimes(document);
fillDevices();
showUnsaved();

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
