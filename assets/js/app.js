// The recorder page's controller: wires the buttons to the mic, the
// visualizer, and a take in one of two modes: a live WebRTC session the
// server decodes, or a MediaRecorder recording uploaded as it goes.
//
// It also watches the server (ws.js): when the server or the network
// goes, the page says so within two seconds. A Record-mode take goes on
// in the browser and uploads once the server is back; a live take that
// cannot go on is offered to go on in the browser, recording meanwhile so
// that accepting loses nothing.
import { getJSON, postJSON } from './api.js';
import './copylink.js';
import * as drafts from './drafts.js';
import * as list from './list.js';
import { MicError, listMics, openMic, stopMic } from './mic.js';
import { Visualizer } from './visualizer.js';
import { LiveChannel } from './ws.js';

document.documentElement.classList.add('js');
const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  start: $('btn-start'),
  modes: $('modes'),
  pause: $('btn-pause'),
  stop: $('btn-stop'),
  keep: $('keep'),
  keepBtn: $('btn-keep'),
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
  meterNote: $('meter-note'),
};
const visualizer = new Visualizer($('spectrum'), $('level'), $('level-bar'), $('level-peak'));
const channel = new LiveChannel({ onParams: paramsChanged, onStats, onGone, onRecordings: list.changed, onLink });
// The server's limit on a live take, in seconds (0: none).
const maxTake = Number($('recorder')?.dataset.maxTake) || 0;

// The modules a take needs load with the first take, not with the page.
let ChunkedRecorder = null;
const loadRecorder = async () => (ChunkedRecorder ||= (await import('./recorder.js')).ChunkedRecorder);
// The live panel loads with the first take; until then there is nothing in it to clear.
let stats = null;
const loadStats = async () => (stats ||= await import('./stats.js'));
const clearSession = () => stats?.clearSession();
const withStats = (fn) => (stats ? fn(stats) : loadStats().then(fn)); // in order with clearSession once loaded
const loadReview = () => import('./review.js');
const loadReviewTrim = () => import('./review-trim.js');

// What this browser can do: Debian's WebKitGTK, for one, has no WebRTC.
const can = {
  webrtc: typeof RTCPeerConnection === 'function',
  record: typeof MediaRecorder === 'function',
};

const LOST_RECORDING = 'Connection lost — still recording here; it uploads when the server is back.';

let stream = null;
// take is the take being made or waiting to be saved:
//   {mode: 'webrtc', id, live, started, lostAt?, spare?, over?}
//   {mode: 'record', id, rec, started, livePart?}
// A live take that went on in the browser is a record take whose
// livePart names the session that had its start.
let take = null;
let since = 0; // when audio started flowing
let pausedFor = 0; // ms spent paused (record mode)
let pausedAt = 0;
let recordedSeconds = 0; // what this page measured, sent with Save
let ticker = 0;
let lost = false; // the server stopped answering and is not back yet
let before = null; // the status line the loss replaced, when nothing was going on

const state = () => document.body.dataset.state;
const going = (s = state()) => ['connecting', 'live', 'recording', 'paused', 'interrupted'].includes(s);

// setState drives which buttons work; body[data-state] lets tests and CSS
// follow. tone is '' (news), 'warn' (something ended early) or 'error'.
// 'interrupted' is a live take whose connection was lost (recording in
// the browser meanwhile, offering to keep that); 'waiting' a stopped take
// waiting for the server to come back.
function setState(next, message, tone = '') {
  document.body.dataset.state = next;
  const idle = ['idle', 'error'].includes(next);
  ui.start.hidden = !(idle || next === 'starting');
  ui.start.disabled = !idle || !(can.webrtc || can.record);
  ui.modes.disabled = !idle;
  ui.stop.hidden = !going(next) && next !== 'stopping';
  ui.stop.disabled = !going(next);
  ui.pause.hidden = !['recording', 'paused'].includes(next);
  ui.pause.textContent = next === 'paused' ? 'Resume' : 'Pause';
  ui.keep.hidden = !(next === 'interrupted' && take?.spare);
  ui.review.hidden = !['draft', 'saving', 'waiting'].includes(next);
  ui.preview.hidden = next === 'waiting';
  ui.reviewWave.hidden = next === 'waiting';
  ui.save.disabled = next !== 'draft';
  ui.discard.disabled = !(next === 'draft' || (next === 'waiting' && take?.rec));
  if (idle) ui.elapsed.textContent = mmss(0);
  if (message) say(message, tone);
}

function say(message, tone = '') {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', tone === 'error');
  ui.status.classList.toggle('warn', tone === 'warn');
}

// focus moves the keyboard focus where the next step is (after Record,
// Stop, Save…), so it never falls to the top of the page.
function focus(el) {
  requestAnimationFrame(() => el && !el.hidden && !el.disabled && el.focus({ preventScroll: true }));
}

const secs = (s) => `${(Number.isFinite(s) ? s : 0).toFixed(1)} s`;
// mmss is the recording clock: 00:42, 1:02:03 from an hour.
function mmss(s) {
  const t = Math.max(0, Math.floor(Number.isFinite(s) ? s : 0));
  const two = (n) => String(n).padStart(2, '0');
  return t >= 3600 ? `${Math.floor(t / 3600)}:${two(Math.floor(t / 60) % 60)}:${two(t % 60)}` : `${two(Math.floor(t / 60))}:${two(t % 60)}`;
}

// offerModes disables the modes this browser cannot do, saying why, and
// chooses one that works: the one used last, else live, else Record.
function offerModes() {
  const why = {
    webrtc: 'Not available in this browser: it cannot stream audio live (it has no WebRTC).',
    record: 'Not available in this browser: it cannot record audio (it has no MediaRecorder).',
  };
  for (const mode of ['webrtc', 'record']) {
    const input = $(`mode-${mode}`);
    if (!input || can[mode]) continue;
    input.disabled = true;
    input.checked = false;
    const hint = input.closest('label').querySelector('.mode-hint');
    hint.textContent = why[mode];
    hint.dataset.testid = `mode-${mode}-why`;
  }
  const last = localStorage.getItem('recorder.mode');
  const mode = [last, 'webrtc', 'record'].find((m) => m && can[m]);
  if (mode) $(`mode-${mode}`).checked = true;
  else say('This browser can record in neither way: it has neither WebRTC nor MediaRecorder.', 'error');
}

const chosenMode = () => ui.modes.querySelector('input[name=mode]:checked')?.value;

async function openStream() {
  const asked = {
    deviceId: ui.device.value ? { exact: ui.device.value } : undefined,
    echoCancellation: ui.echo.checked,
    noiseSuppression: ui.noise.checked,
    autoGainControl: ui.agc.checked,
  };
  stream = await openMic(asked);
  const track = stream.getAudioTracks()[0];
  withStats((s) => s.showMic(track, asked));
  fillDevices(); // labels are only readable once permission is granted
  visualizer.start(stream);
  visualizer.running().then((ok) => {
    ui.meterNote.hidden = ok || !stream;
    document.body.dataset.meters = ok ? 'on' : 'off';
  });
}

function failMic(err) {
  cleanupMedia();
  take = null;
  setState('error', err instanceof MicError ? err.message : `Microphone error: ${err.message}`, 'error');
}

// hideFacts hides the connection line of a live take that is over.
function hideFacts() {
  const facts = $('net-facts');
  if (facts) facts.hidden = true;
}

// startTake starts a take in the chosen mode: the Record button or the R
// key. The AudioContext of the meters is made here, during the user's
// gesture, before anything is awaited.
function startTake() {
  if (!['idle', 'error'].includes(state()) || ui.start.disabled) return;
  visualizer.prime();
  const mode = chosenMode();
  localStorage.setItem('recorder.mode', mode);
  resetTake();
  return mode === 'record' ? startRecord() : startWebRTC();
}

// resetTake clears what the last take left on the page: the clock, the
// connection line, the panel, the upload line.
function resetTake() {
  ui.elapsed.textContent = mmss(0);
  hideFacts();
  const last = localStorage.getItem('recorder.mode'); // a live take that went on in the browser showed Record
  if (can[last]) $(`mode-${last}`).checked = true;
  clearSession();
  ui.upload.hidden = true;
  ui.sessionID.textContent = '—';
  delete document.body.dataset.savedFilename;
}

async function startWebRTC() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  const [{ LiveSession, newSessionID }] = await Promise.all([import('./webrtc.js'), loadRecorder()]); // the recorder for an outage
  const live = new LiveSession(newSessionID(), { onState: onConnectionState });
  take = { mode: 'webrtc', id: live.id, live, started: new Date() };
  drafts.remember(live.id, 'webrtc');
  ui.sessionID.textContent = live.id;
  setState('connecting', 'Connecting to the server…');
  focus(ui.stop);
  try {
    await live.start(stream);
    // The server has the session only now: watching earlier would be
    // answered "gone".
    if (!live.pc) postJSON('/webrtc/discard', { session_id: live.id }).catch(() => {}); // stopped meanwhile
    else if (take?.live === live) channel.watch(live.id);
  } catch (err) {
    if (!live.pc || take?.live !== live) return; // stopped meanwhile
    cleanupMedia();
    drafts.forget(live.id);
    take = null;
    // 503: the server is at capacity for live takes; recording in the
    // browser needs none of it, so say that it still works.
    const instead = err.status === 503 && can.record ? '. Record in the browser works meanwhile.' : '';
    setState('error', `Could not start the WebRTC session: ${err.message}${instead}`, 'error');
    focus(ui.start);
  }
}

function onConnectionState(connection) {
  const t = take;
  if (t?.mode !== 'webrtc') return;
  if (connection === 'connected' && state() === 'connecting') {
    startClock();
    setState('live', 'Recording over WebRTC — the server is decoding your audio live.');
    focus(ui.stop);
  } else if (connection === 'connected' && state() === 'interrupted' && !t.over && !lost) {
    liveAgain(t);
  } else if (connection === 'reconnecting' && state() === 'live') {
    interrupt('the connection to the server dropped');
  } else if (connection === 'failed' && state() === 'connecting') {
    serverEnded({ state: 'failed', reason: 'the connection to the server could not be made' });
  } else if (connection === 'failed' && ['live', 'interrupted'].includes(state())) {
    interrupt('the connection to the server failed', true);
  }
}

// onStats renders the watched session's report, and notices when the
// server ended the take by itself.
function onStats(info) {
  const t = take;
  if (t?.mode !== 'webrtc' || info.session_id !== t.id || !['connecting', 'live', 'interrupted'].includes(state())) return;
  withStats((s) => s.showSession(info));
  if (info.state !== 'stopped' && info.state !== 'failed') return;
  if (state() === 'interrupted') interrupt(info.reason || 'the server ended the live take', true);
  else serverEnded(info);
}

function onGone(id) {
  if (take?.id === id && ['connecting', 'live', 'interrupted'].includes(state())) {
    interrupt('the server no longer has the live take (it restarted)', true);
  }
}

// onLink hears whether the server answers (ws.js).
function onLink(up) {
  document.body.dataset.link = up ? 'up' : 'down';
  const t = take;
  const s = state();
  if (!up) {
    lost = true;
    if (t?.mode === 'webrtc' && s === 'live') interrupt('the server is not answering');
    else if (t?.mode === 'record' && ['recording', 'paused'].includes(s)) say(LOST_RECORDING, 'warn');
    else if (t?.rec && s === 'stopping') waitForServer();
    else if (['idle', 'error', 'draft'].includes(s)) {
      before = { text: ui.status.textContent, tone: ui.status.classList.contains('error') ? 'error' : ui.status.classList.contains('warn') ? 'warn' : '' };
      say('Connection to the server lost — trying again. Saving needs it back.', 'warn');
    }
    return;
  }
  if (!lost) return; // the page's first connection
  lost = false;
  list.changed(); // a restarted server recovers takes: the list may have changed
  if (t?.rec) t.rec.wake();
  if (t?.livePart) resolveLivePart(t);
  if (s === 'interrupted') checkLive(t);
  else if (t?.mode === 'record' && ['recording', 'paused'].includes(s)) say('Connected again — uploading what was recorded meanwhile.');
  else if (before && ui.status.textContent.startsWith('Connection to the server lost')) say(before.text, before.tone); // what it said before
  before = null;
}

// interrupt: the live take's connection was lost. The page says so at
// once and, while the user decides, records in the browser, so that
// keeping that recording loses nothing. over says the live take cannot
// come back (the server lost it, or gave up on it).
function interrupt(why, over = false) {
  const t = take;
  if (t?.mode !== 'webrtc') return;
  if (state() === 'connecting') return serverEnded({ state: 'failed', reason: why });
  if (state() === 'live') {
    t.lostAt = elapsed();
    t.spare = new ChunkedRecorder(stream, { clock: elapsed, onProgress: showProgress, onFailed: uploadFailed, onServer });
    t.spare.start({ upload: false }).catch((err) => console.warn('recording in the browser:', err.message));
    setState('interrupted');
    focus(ui.keepBtn);
  }
  if (state() !== 'interrupted') return;
  t.over ||= over;
  const ended = t.over ? `The live take ended at ${mmss(t.lostAt)}` : `It has the live take up to ${mmss(t.lostAt)}`;
  say(`Connection lost — ${why}. ${ended}. Keep recording here in the browser, so the rest is not lost?`, 'warn');
  document.body.dataset.lostAt = String(t.lostAt);
}

// checkLive asks the server, back again, whether the live take goes on.
async function checkLive(t) {
  try {
    const info = await getJSON(`/webrtc/sessions/${encodeURIComponent(t.id)}`);
    if (take !== t || state() !== 'interrupted') return;
    if (info.state === 'live' && t.live.pc?.connectionState === 'connected') return liveAgain(t);
    if (info.state !== 'live' && info.state !== 'connecting') interrupt(info.state === 'saved' ? 'the server restarted' : 'the server ended the live take', true);
  } catch (err) {
    if (err.status === 404 && take === t) interrupt('the server restarted', true);
  }
}

// liveAgain: the connection came back and the live take goes on; what
// the browser recorded meanwhile is dropped (the gap is silence).
function liveAgain(t) {
  t.spare?.halt();
  t.spare?.forget();
  t.spare = null;
  setState('live', 'Connection back — recording live again (the gap is silence in the take).');
}

// keepInBrowser: the user keeps what the browser recorded since the
// connection was lost, and goes on recording there. The live part stays
// on the server, saved as its own recording once it can be.
function keepInBrowser() {
  const t = take;
  if (state() !== 'interrupted' || !t?.spare) return;
  t.live.close();
  channel.watch(null);
  const rec = t.spare;
  take = { mode: 'record', id: rec.id, rec, started: t.started, livePart: { id: t.id, upTo: t.lostAt } };
  $('mode-record').checked = true; // what the take is now
  hideFacts();
  drafts.remember(rec.id, 'record');
  rec.upload();
  ui.sessionID.textContent = rec.id;
  ui.upload.hidden = false;
  if (lost) {
    setState('recording', LOST_RECORDING, 'warn');
  } else {
    setState('recording', 'Recording in the browser now — it uploads as it is recorded.');
    resolveLivePart(take);
  }
  focus(ui.stop);
}

// resolveLivePart finds out, once the server answers, what became of the
// live part of a take that went on in the browser: a draft is saved now,
// as its own recording; one the server recovered when it restarted is a
// recording already.
async function resolveLivePart(t) {
  const part = t.livePart;
  if (!part || part.filename || part.resolving) return;
  part.resolving = true;
  const id = encodeURIComponent(part.id);
  try {
    let info = await getJSON(`/webrtc/sessions/${id}`).catch((err) => (err.status === 404 ? { state: 'gone' } : Promise.reject(err)));
    if (['connecting', 'live', 'stopped', 'failed'].includes(info.state)) {
      await postJSON('/webrtc/stop', { session_id: part.id });
      const res = await saveOnce({ session_id: part.id, recording_type: 'webrtc', duration: part.upTo, title: partTitle(t, 1) });
      info = { state: 'saved', recording: { filename: res.filename, duration: res.duration } };
    }
    drafts.forget(part.id);
    if (info.state !== 'saved') {
      part.filename = '-';
      return;
    }
    part.filename = info.recording.filename;
    part.duration = info.recording.duration;
    list.markFresh(part.filename);
    list.changed();
    if (take === t && ['recording', 'paused'].includes(state())) {
      say(`Connected again. The live part (${secs(part.duration)}) is saved as its own recording; the rest is recorded here and uploading.`);
    }
  } catch (err) {
    console.warn('the live part:', err.message); // tried again when the server answers
  } finally {
    part.resolving = false;
  }
}

// partTitle names the parts of a take that went on in the browser.
function partTitle(t, n) {
  const base = ui.title.value.trim() || `Take at ${t.started.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
  return n === 1 ? `${base}, part 1 (live)` : `${base}, part 2 (browser)`;
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

// serverEnded handles a take the server ended by itself (its time limit,
// a full disk): the page stops recording at once, says why, and offers
// what reached the server.
function serverEnded(info) {
  const t = take;
  if (!t || t.mode !== 'webrtc') return;
  recordedSeconds = elapsed();
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  channel.watch(null);
  cleanupMedia();
  const why = whyEnded(info);
  setState('stopping', `${why} Keeping what was recorded…`, 'warn');
  finishLive(t, why);
}

// finishLive ends a live take on the server and offers its draft; one the
// server saved by itself (it restarted) is said to be saved. Without the
// server it waits for it.
async function finishLive(t, why) {
  const lead = why ? `${why} ` : '';
  try {
    const info = await t.live.stop();
    if (take !== t) return;
    if (!(info.duration > 0)) return nothingRecorded(t);
    showDraft(t);
    setState('draft', `${lead}Stopped: ${secs(info.duration)} recorded. Listen back, then save it or discard it.`, why ? 'warn' : '');
    focus(ui.title);
  } catch (err) {
    if (take !== t) return;
    if (!err.status) {
      // Not answered (the server is away, or the request went out on a
      // connection the network change killed): ask again, on a new one,
      // as soon as the server answers. Until the stop arrives the server
      // keeps the take going, as silence.
      if (state() !== 'waiting') {
        setState('waiting', `${lead}Stopped. The server is not answering: what it received of the take is kept there, and this page shows it when the server is back.`, 'warn');
      }
      await channel.whenUp();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return take === t && finishLive(t, why);
    }
    if (err.status === 400 || err.status === 422) return nothingRecorded(t); // the session got no audio
    if (err.status !== 404) {
      take = null;
      setState('error', `${lead}Could not stop the take: ${err.message}`, 'error');
      return focus(ui.start);
    }
    const info = await getJSON(`/webrtc/sessions/${encodeURIComponent(t.id)}`).catch(() => null);
    drafts.forget(t.id);
    if (info?.state === 'saved') {
      take = null;
      return saved(info.recording.filename, `${lead}The server restarted and saved the take as its own recording (${secs(info.recording.duration)}).`);
    }
    nothingRecorded(t); // stopped before the server had the session
  }
}

async function startRecord() {
  setState('starting', 'Opening the microphone…');
  try {
    await openStream();
  } catch (err) {
    return failMic(err);
  }
  await loadRecorder();
  const rec = new ChunkedRecorder(stream, { clock: elapsed, onProgress: showProgress, onFailed: uploadFailed, onServer });
  take = { mode: 'record', id: rec.id, rec, started: new Date() };
  try {
    await rec.start({ upload: !lost }); // without the server, it uploads once it is back
    rec.upload();
  } catch (err) {
    cleanupMedia();
    take = null;
    setState('error', `Could not start recording: ${err.message}`, 'error');
    focus(ui.start);
    return;
  }
  drafts.remember(rec.id, 'record');
  ui.sessionID.textContent = rec.id;
  startClock();
  ui.upload.hidden = false;
  showProgress(0, 0);
  setState('recording', lost ? LOST_RECORDING : 'Recording in the browser — each half second is uploaded as it is recorded.', lost ? 'warn' : '');
  focus(ui.stop);
}

// uploadFailed: the server refused a chunk for good. Recording on would
// lose everything after it: stop, and offer what it has.
async function uploadFailed(err) {
  if (take?.mode !== 'record' || !['recording', 'paused'].includes(state())) return;
  await stop(`The server stopped taking the recording: ${err.message}.`);
}

// onServer hears what the server has of the upload after a break.
function onServer(status) {
  const t = take;
  if (t?.mode !== 'record' || !status.recovered_as || t.recoveredAs === status.recovered_as) return;
  t.recoveredAs = status.recovered_as;
  if (['recording', 'paused'].includes(state())) {
    say('The server restarted and kept what it had of this take as a “Recovered” recording; the rest is uploading now. Saving the take replaces that recording with the whole take.');
  }
}

function togglePause() {
  const rec = take?.rec;
  if (!rec) return;
  if (rec.paused) {
    rec.resume();
    visualizer.resume();
    pausedFor += performance.now() - pausedAt;
    setState('recording', 'Recording resumed.');
  } else {
    rec.pause();
    visualizer.freeze();
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

// showProgress shows how much of the take the server has, in the same
// time as the clock.
function showProgress(uploaded, waiting) {
  ui.progress.max = Math.max(uploaded + waiting, 0.001);
  ui.progress.value = uploaded;
  ui.progressText.textContent =
    waiting < 1.5 ? `${mmss(uploaded)} recorded, all on the server` : `${mmss(waiting)} kept here, waiting to upload · ${mmss(uploaded)} on the server`;
}

function cleanupMedia() {
  clearInterval(ticker);
  ticker = 0;
  since = 0;
  visualizer.stop();
  stopMic(stream);
  stream = null;
  ui.meterNote.hidden = true;
}

// stop ends the take the user is making (or, with why, one the server
// refused to go on with) and offers it for review.
async function stop(why = '') {
  const t = take;
  if (!t || !going()) return;
  recordedSeconds = elapsed();
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  if (t.mode === 'webrtc') {
    // A live take stopped while its connection is lost keeps only what
    // reached the server: the browser's recording meanwhile is dropped.
    t.spare?.halt();
    t.spare?.forget();
    t.spare = null;
    channel.watch(null);
    cleanupMedia();
    setState('stopping', 'Stopping…');
    return finishLive(t, why);
  }
  setState('stopping', why || 'Finishing the upload…', why ? 'warn' : '');
  await t.rec.stop();
  if (!t.livePart) recordedSeconds = t.rec.recorded || recordedSeconds; // the recorder's clock, as its pauses'
  document.body.dataset.recordedSeconds = recordedSeconds.toFixed(3);
  cleanupMedia();
  finishRecord(t, why);
}

// waitForServer: a stopped Record-mode take waits for the server, which
// is not answering, to take its last chunks; it can be discarded.
function waitForServer() {
  setState('waiting', 'Stopped. The server is not answering: the take is kept in this browser and uploads when the server is back; then listen back and save it.', 'warn');
}

// finishRecord uploads what the server lacks of a stopped Record-mode
// take, however long that takes, then offers it for review.
async function finishRecord(t, why) {
  if (lost) waitForServer();
  let status;
  for (;;) {
    try {
      await t.rec.drain().catch((err) => (why ||= `The server stopped taking the recording: ${err.message}.`));
      if (t.livePart) await resolveLivePart(t);
      status = await t.rec.measure();
      if (!t.livePart) await t.rec.keepPauses();
      break;
    } catch (err) {
      if (take !== t) return;
      if (err.status) {
        drafts.forget(t.id);
        take = null;
        setState('error', `Nothing to save: ${err.message}`, 'error');
        focus(ui.start);
        return;
      }
      waitForServer(); // the connection went again: go on once it is back
      await channel.whenUp();
    }
  }
  if (take !== t) return;
  if (!(status.duration > 0)) return nothingRecorded(t);
  const part = livePartSaved(t);
  const after = part ? ` (after ${secs(part.duration)} live, saved as its own recording)` : '';
  const replaces = status.recovered_as ? ' Saving it replaces the “Recovered” recording the server made of its start.' : '';
  showDraft(t);
  setState('draft', `${why ? why + ' ' : ''}Stopped: ${secs(status.duration)} recorded${after}. Listen back, then save it or discard it.${replaces}`, why ? 'warn' : '');
  focus(ui.title);
}

// livePartSaved is the live part of a take that went on in the browser,
// once it is a recording.
function livePartSaved(t) {
  const part = t.livePart;
  return part?.filename && part.filename !== '-' ? part : null;
}

// nothingRecorded: a take with no audio is dropped, with no Save offered.
async function nothingRecorded(t) {
  take = null;
  clearSession();
  setState('idle', 'Nothing was recorded, so there is nothing to save.', 'warn');
  focus(ui.start);
  await discardTake(t).catch(() => {});
}

function showDraft(t) {
  const url = t.mode === 'webrtc' ? `/webrtc/sessions/${encodeURIComponent(t.id)}/audio` : `/uploads/${encodeURIComponent(t.id)}/audio`;
  ui.upload.hidden = true;
  ui.title.value = '';
  const r = t.mode === 'webrtc' ? null : t.rec;
  loadReview().then((review) => review.show(ui.preview, ui.reviewWave, url, r?.pauses || [], r?.recorded || 0));
  loadReviewTrim().then((trim) => trim.show(ui.preview));
}

async function save() {
  const t = take;
  if (state() !== 'draft') return;
  setState('saving', 'Saving…');
  try {
    const body =
      t.mode === 'webrtc'
        ? { session_id: t.id, recording_type: 'webrtc', duration: recordedSeconds }
        : { upload_id: t.id, recording_type: 'mediarecorder', duration: recordedSeconds };
    const part = livePartSaved(t);
    if (part) body.duration = Math.max(0, recordedSeconds - part.upTo); // the browser's part only
    const title = part ? partTitle(t, 2) : ui.title.value.trim();
    if (title) body.title = title;
    if (t.mode !== 'webrtc' && !part && t.rec?.pauses?.length) {
      body.pauses = t.rec.pauses;
      body.paused_data = t.rec.pausedData;
    }
    const keep = part ? null : (await loadReviewTrim()).kept(); // the review's selection
    if (keep) body.trim = keep;
    const res = await saveOnce(body);
    if (part) await renameRecording(part.filename, partTitle(t, 1)).catch((err) => console.warn('naming the live part:', err.message));
    drafts.forget(t.id);
    take = null;
    loadReview().then((review) => review.hide(ui.preview, ui.reviewWave));
    loadReviewTrim().then((trim) => trim.hide());
    clearSession();
    const named = title ? `“${title}”` : 'the take';
    let trimmed = '';
    if (keep) trimmed = /not trimmed/.test(res.message || '') ? ` (${res.message.split('; ')[1]})` : ', trimmed';
    saved(res.filename, part ? `Saved ${named}, after its live part.` : `Saved ${named}${trimmed}.`);
  } catch (err) {
    setState('draft', `Could not save: ${err.message}`, 'error');
  }
}

function renameRecording(filename, title) {
  return fetch(`/recordings/${encodeURIComponent(filename)}/title`, {
    method: 'POST',
    headers: { 'HX-Request': 'true' },
    body: new URLSearchParams({ title }),
  }).then((res) => (res.ok ? list.changed() : Promise.reject(new Error(`${res.status} ${res.statusText}`))));
}

function saved(filename, message = '') {
  list.markFresh(filename);
  resetTake();
  document.body.dataset.savedFilename = filename;
  setState('idle', message || 'Saved.');
  focus(ui.start);
  list.changed();
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

// discardTake drops a take on the server and what the tab kept of it; one
// the server no longer has is gone already.
async function discardTake(t) {
  t.rec?.halt();
  try {
    if (t.mode === 'webrtc') await postJSON('/webrtc/discard', { session_id: t.id });
    else await postJSON(`/uploads/${encodeURIComponent(t.id)}/discard`, {});
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  drafts.forget(t.id);
}

async function discard() {
  const t = take;
  if (!t || !['draft', 'waiting'].includes(state())) return;
  try {
    await discardTake(t);
    take = null;
    loadReview().then((review) => review.hide(ui.preview, ui.reviewWave));
    loadReviewTrim().then((trim) => trim.hide());
    resetTake();
    setState('idle', 'Discarded.');
  } catch (err) {
    if (state() === 'waiting') {
      // The server cannot be reached: the tab drops its copy; the part the
      // server has is offered under Unsaved takes on the next visit.
      take = null;
      resetTake();
      setState('idle', 'Discarded here. The server is not answering: what it has of the take will be offered under Unsaved takes next time.', 'warn');
    } else {
      setState('draft', `Could not discard: ${err.message}`, 'error');
      return;
    }
  }
  focus(ui.start);
}

async function fillDevices() {
  const mics = await listMics();
  const chosen = ui.device.value;
  ui.device.replaceChildren(new Option('Default microphone', ''), ...mics.map((m, i) => new Option(m.label || `Microphone ${i + 1}`, m.deviceId)));
  ui.device.value = mics.some((m) => m.deviceId === chosen) ? chosen : '';
}

// showUnsaved lists the takes this browser left unsaved (a reload, a
// closed tab, a crash) so they can be saved or discarded. A Record-mode
// take the tab kept chunks of is first uploaded whole.
async function showUnsaved() {
  const takes = await drafts.unsaved();
  if (takes.length === 0) return;
  for (const t of takes.filter((t) => t.mode === 'record')) {
    const rec = await (await loadRecorder()).restore(t.id);
    if (!rec) continue;
    const done = rec.drain().catch((err) => err.status === 409 && drafts.forget(t.id));
    await Promise.race([done, new Promise((r) => setTimeout(r, 10000))]);
  }
  try {
    const section = await drafts.fetchList(takes);
    $('unsaved')?.replaceWith(section);
    list.localTimes(section);
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
      await discardTake({ mode, id });
      dropDraftRow(li);
      say('Discarded the unsaved take.');
      focus(ui.start);
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

ui.start.addEventListener('click', startTake);
ui.pause.addEventListener('click', togglePause);
ui.stop.addEventListener('click', () => stop());
ui.keepBtn.addEventListener('click', keepInBrowser);
ui.save.addEventListener('click', save);
ui.discard.addEventListener('click', discard);
// Enter in the title saves the take.
ui.title.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.isComposing) {
    ev.preventDefault();
    save();
  }
});
// R starts a take, and stops it, wherever the focus is but in a field.
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'r' && ev.key !== 'R') return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  const typing = 'textarea, select, [contenteditable], input:not([type=radio], [type=checkbox], [type=range], [type=button], [type=submit])';
  if (ev.target.closest?.(typing)) return;
  if (['idle', 'error'].includes(state())) startTake();
  else if (going()) stop();
  else return;
  ev.preventDefault();
});

// Leaving with a take running or unsaved asks first; if the user leaves
// anyway, a live take is stopped on the server (it stays a draft) and a
// recorder hands over its last chunk, so the next visit can offer it.
window.addEventListener('beforeunload', (ev) => {
  if (take && (going() || ['stopping', 'draft', 'saving', 'waiting'].includes(state()))) {
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
offerModes();
list.localTimes(document);
fillDevices();
showUnsaved();
document.body.dataset.ready = '1'; // for tests: the page is wired

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
