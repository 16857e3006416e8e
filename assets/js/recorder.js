// Record mode: MediaRecorder with a half-second timeslice, every chunk
// uploaded as it arrives, so a long take is held neither in the tab nor in
// the server alone. Chunks go one at a time, in order. The take keeps
// every chunk (in the tab, and in IndexedDB through keep.js) until it is
// saved or discarded, so a lost connection, a restarted server or a
// closed tab loses nothing: uploading waits while the server cannot be
// reached, then asks it how far it got and sends the rest; a server that
// lost the upload altogether gets the whole take again.
import { getJSON, postJSON } from './api.js';
import * as keep from './keep.js';

// Half a second per chunk: a closed tab loses at most that. (Safari and
// WebKit cut a fragment a second whatever is asked, and give empty
// chunks in between, which are skipped.)
const TIMESLICE_MS = 500;
// Chunks up to this size are sent with keepalive, so the last ones still
// reach the server while the page unloads (browsers cap keepalive bodies
// in flight at 64 KiB).
const KEEPALIVE_MAX = 32 * 1024;
// How long one upload request may take before it is given up and tried
// again: on a cut network a request never ends by itself.
const REQUEST_MS = 15000;
// The longest wait between tries while the server cannot be reached.
const RETRY_MAX_MS = 2000;

// pickMime chooses what this browser records: Opus in WebM on Chromium
// and Firefox, AAC in MP4 on Safari.
export function pickMime() {
  const candidates = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4', 'audio/webm'];
  return candidates.find((m) => window.MediaRecorder?.isTypeSupported(m)) || '';
}

export function newUploadID() {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return `upload_${Date.now()}_${rand[0].toString(36)}${rand[1].toString(36)}`;
}

// Fatal is a refusal the server will repeat (the take too large, the disk
// full…): trying again is no use.
class Fatal extends Error {}

export class ChunkedRecorder {
  // clock() says how many seconds are recorded (for progress);
  // onProgress(uploadedSeconds, waitingSeconds) follows the upload;
  // onFailed(err) hears once that the server refused the take for good;
  // onServer(status) hears what the server says it has after a break
  // (status.recovered_as: it restarted and saved that much meanwhile).
  constructor(stream, { clock, onProgress, onFailed, onServer } = {}) {
    this.stream = stream;
    this.clock = clock || (() => 0);
    this.onProgress = onProgress || (() => {});
    this.onFailed = onFailed || (() => {});
    this.onServer = onServer || (() => {});
    this.id = newUploadID();
    this.chunks = []; // every chunk of the take: {blob, at: seconds recorded when it came}
    this.acked = 0; // chunks 0..acked-1 are on the server
    this.origin = 0;
    this.begun = false; // the server has the upload
    this.uploading = false; // start(true) or upload() was called
    this.failed = null;
    this.pumping = null;
    this.wakeUp = null;
    this.pauses = []; // [start, end] s on the recorder's clock: WebKitGTK records on through them
    this.pausedData = false;
  }

  // start starts recording. With upload, the server is asked first (a
  // refusal, such as too many takes at once, is thrown); one that cannot
  // be reached does not stop the take: it uploads once it can.
  async start({ upload = true } = {}) {
    if (!window.MediaRecorder) throw new Error('This browser cannot record (no MediaRecorder).');
    const mime = pickMime();
    this.recorder = new MediaRecorder(this.stream, mime ? { mimeType: mime } : {});
    this.mime = this.recorder.mimeType || mime || 'audio/webm';
    if (upload) {
      try {
        await this.begin();
      } catch (err) {
        if (err.status) throw err; // the server said no
      }
    }
    this.recorder.ondataavailable = (ev) => {
      if (!ev.data || ev.data.size === 0) return;
      if (this.recorder.state === 'paused') this.pausedData = true;
      const index = this.chunks.length;
      this.chunks.push({ blob: ev.data, at: this.clock() });
      this.progress();
      if (!this.uploading) return; // recorded meanwhile, kept only if upload() is called
      keep.put(this.id, this.mime, index, ev.data);
      this.pump();
    };
    this.stopped = new Promise((resolve) => (this.recorder.onstop = () => resolve((this.t1 = performance.now()))));
    this.origin = this.clock(); // where on the clock this recording starts
    this.recorder.onstart = () => (this.t0 = performance.now());
    this.t0 = performance.now();
    this.recorder.start(TIMESLICE_MS);
    if (upload) this.upload();
  }

  // measure asks the server how long the take it has is: {duration, …}.
  measure() {
    return getJSON(`/uploads/${encodeURIComponent(this.id)}?measure=1`, { signal: AbortSignal.timeout(REQUEST_MS) });
  }

  // restore makes a recorder of a take kept in IndexedDB by an earlier
  // visit, to upload what the server lacks (see drain).
  static async restore(id) {
    const kept = await keep.take(id);
    if (!kept) return null;
    const r = new ChunkedRecorder(null);
    r.id = id;
    r.mime = kept.mime;
    r.chunks = kept.chunks.map((blob) => ({ blob, at: 0 }));
    r.uploading = true;
    r.stopped = Promise.resolve();
    return r;
  }

  // upload starts uploading a take that began without (a live take that
  // went on in the browser while the server could not be reached).
  upload() {
    if (!this.uploading) {
      this.uploading = true;
      this.chunks.forEach((c, i) => keep.put(this.id, this.mime, i, c.blob));
    }
    this.pump();
  }

  // begin creates the upload on the server (or finds it again).
  async begin() {
    const res = await postJSON('/uploads', { upload_id: this.id, mime: this.mime }, { signal: AbortSignal.timeout(REQUEST_MS) });
    this.begun = true;
    this.acked = Math.min(res.next_chunk, this.chunks.length);
    return res;
  }

  pause() {
    if (this.recorder?.state !== 'recording') return;
    this.recorder.pause();
    this.pauses.push([this.now()]);
  }

  resume() {
    if (this.recorder?.state === 'paused') this.recorder.resume();
    this.endPause();
  }

  now() {
    return (performance.now() - this.t0) / 1000;
  }

  endPause() {
    const p = this.pauses.at(-1);
    if (p?.length === 1) p.push(this.now());
  }

  // recorded is how long the recorder recorded outside its pauses, on
  // its own clock (start to stop event): what its pauses are judged by.
  get recorded() {
    const paused = this.pauses.reduce((sum, [a, b = this.now()]) => sum + b - a, 0);
    return ((this.t1 || performance.now()) - this.t0) / 1000 - paused;
  }

  get paused() {
    return this.recorder?.state === 'paused';
  }

  // stop ends the recording; its last chunk is in once it resolves.
  async stop() {
    this.endPause();
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    await this.stopped;
  }

  // keepPauses tells the server where the stopped take was paused, so a
  // save made without this page (Unsaved takes, a recovery) cuts them too.
  keepPauses() {
    if (!this.pauses.length) return;
    const body = JSON.stringify({ pauses: this.pauses, duration: this.recorded });
    const opts = { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_MS) };
    return fetch(`/uploads/${encodeURIComponent(this.id)}/pauses`, opts).catch(() => {});
  }

  // drain resolves once every chunk is on the server, however long that
  // takes; it throws only if the server refused the take for good.
  async drain() {
    this.uploading = true;
    while (this.acked < this.chunks.length || this.pumping) {
      await (this.pumping || this.pump());
      if (this.failed) throw this.failed;
    }
  }

  // wake cuts short the wait before the next try (the connection is back).
  wake() {
    this.wakeUp?.();
  }

  pump() {
    if (this.pumping || this.failed || !this.uploading) return this.pumping;
    this.pumping = this.sendAll()
      .catch((err) => {
        this.failed = err;
        this.onFailed(err);
      })
      .finally(() => (this.pumping = null));
    return this.pumping;
  }

  // sendAll sends the chunks the server lacks, in order, trying again
  // while it cannot be reached.
  async sendAll() {
    for (let attempt = 0; this.acked < this.chunks.length; ) {
      try {
        if (!this.begun || attempt > 0) await this.sync();
        if (this.acked < this.chunks.length) await this.send(this.acked);
        attempt = 0;
      } catch (err) {
        if (err instanceof Fatal) throw err;
        await this.wait(Math.min(250 * 2 ** attempt++, RETRY_MAX_MS));
      }
    }
  }

  // sync asks the server how far it got (after a break), beginning the
  // upload again, whole, if it has none.
  async sync() {
    let status;
    try {
      status = await getJSON(`/uploads/${encodeURIComponent(this.id)}`, { signal: AbortSignal.timeout(REQUEST_MS) });
      this.begun = true;
    } catch (err) {
      if (err.status !== 404) throw fatalIf(err);
      status = await this.begin().catch((e) => {
        throw fatalIf(e);
      });
    }
    this.acked = Math.min(status.next_chunk, this.chunks.length);
    this.onServer(status);
    this.progress();
  }

  async send(index) {
    const { blob } = this.chunks[index];
    const res = await fetch(`/uploads/${encodeURIComponent(this.id)}/chunks/${index}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
      keepalive: blob.size <= KEEPALIVE_MAX,
      signal: AbortSignal.timeout(REQUEST_MS),
    });
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      const err = Object.assign(new Error(data.message || `${res.status} ${res.statusText}`), { status: res.status });
      throw fatalIf(err);
    }
    this.acked = Math.max(this.acked, index + 1);
    this.progress();
  }

  wait(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  // progress says, in seconds of the clock, up to where the server has
  // the take and how much after that waits in the tab.
  progress() {
    const last = this.chunks.length ? this.chunks[this.chunks.length - 1].at : this.origin;
    const upTo = this.acked > 0 ? this.chunks[this.acked - 1].at : this.origin;
    const now = Math.max(this.clock(), last);
    this.onProgress(upTo, this.acked < this.chunks.length ? Math.max(0, now - upTo) : 0);
  }

  // flush hands over what is recorded so far (the page is being left):
  // the chunks the server lacks go at once, in keepalive requests that
  // outlive the page (64 KiB in flight at most); the tab's IndexedDB
  // keeps them too, for the next visit.
  flush() {
    if (this.recorder?.state === 'recording') this.recorder.requestData();
    let room = KEEPALIVE_MAX + KEEPALIVE_MAX / 2; // beside the one the pump may have in flight
    for (let i = this.acked; i < this.chunks.length && this.chunks[i].blob.size <= room; i++) {
      const { blob } = this.chunks[i];
      room -= blob.size;
      fetch(`/uploads/${encodeURIComponent(this.id)}/chunks/${i}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: blob,
        keepalive: true,
      }).catch(() => {});
    }
  }

  // forget drops what the tab keeps of the take (saved or discarded).
  forget() {
    this.chunks = [];
    return keep.drop(this.id);
  }

  // halt stops recording and uploading, keeping nothing.
  halt() {
    this.uploading = false;
    this.failed ||= new Fatal('stopped');
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    this.wake();
  }
}

// fatalIf turns a refusal the server will repeat into a Fatal: a 4xx
// other than 404 (handled by beginning again), 408 and 429.
function fatalIf(err) {
  const s = err.status;
  if (s >= 400 && s < 500 && ![404, 408, 429].includes(s)) return Object.assign(new Fatal(err.message), { status: s });
  return err;
}
