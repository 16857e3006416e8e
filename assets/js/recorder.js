// Record mode: MediaRecorder with a 1 s timeslice, every chunk uploaded as
// it arrives, so a long take is held neither in the tab nor in the server.
// Chunks go one at a time in order; a failed upload is retried with
// back-off, asking the server what it already has (re-sending a chunk it
// has is harmless), so a lost connection resumes where it stopped.
import { getJSON, postJSON } from './api.js';

// Half a second per chunk: a reload or a closed tab loses at most that.
const TIMESLICE_MS = 500;
// Chunks up to this size are sent with keepalive, so the last ones still
// reach the server while the page unloads (browsers cap keepalive bodies
// in flight at 64 KiB).
const KEEPALIVE_MAX = 32 * 1024;

// pickMime chooses what this browser records: Opus in WebM on Chromium
// and Firefox, AAC in MP4 on Safari.
export function pickMime() {
  const candidates = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4', 'audio/webm'];
  return candidates.find((m) => window.MediaRecorder?.isTypeSupported(m)) || '';
}

export class ChunkedRecorder {
  constructor(stream, { onProgress, onFailed } = {}) {
    this.stream = stream;
    this.onProgress = onProgress || (() => {});
    // onFailed hears once that the server refused a chunk for good (the
    // take too large, the disk full…): recording on would lose audio.
    this.onFailed = onFailed || (() => {});
    this.queue = []; // chunks not yet acknowledged: {index, blob}
    this.nextIndex = 0;
    this.sentBytes = 0;
    this.totalBytes = 0;
    this.sending = null;
    this.failed = null;
  }

  async start() {
    if (!window.MediaRecorder) throw new Error('This browser cannot record (no MediaRecorder).');
    const mime = pickMime();
    this.recorder = new MediaRecorder(this.stream, mime ? { mimeType: mime } : {});
    const res = await postJSON('/uploads', { mime: this.recorder.mimeType || mime || 'audio/webm' });
    this.id = res.upload_id;
    this.mime = res.mime;
    this.recorder.ondataavailable = (ev) => {
      if (!ev.data || ev.data.size === 0) return;
      this.queue.push({ index: this.nextIndex++, blob: ev.data });
      this.totalBytes += ev.data.size;
      this.pump();
    };
    this.stopped = new Promise((resolve) => (this.recorder.onstop = resolve));
    this.recorder.start(TIMESLICE_MS);
  }

  pause() {
    if (this.recorder?.state === 'recording') this.recorder.pause();
  }

  resume() {
    if (this.recorder?.state === 'paused') this.recorder.resume();
  }

  get paused() {
    return this.recorder?.state === 'paused';
  }

  // stop ends the recording and resolves once every chunk is on the server.
  async stop() {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    await this.stopped;
    await this.drain();
    return getJSON(`/uploads/${encodeURIComponent(this.id)}`);
  }

  pending() {
    return this.totalBytes - this.sentBytes;
  }

  async drain() {
    while (this.queue.length > 0 || this.sending) {
      await (this.sending || this.pump());
    }
  }

  pump() {
    if (this.sending || this.queue.length === 0) return this.sending;
    this.sending = this.sendHead().catch((err) => this.onFailed(err)).finally(() => {
      this.sending = null;
      if (this.queue.length > 0) this.pump();
    });
    return this.sending;
  }

  async sendHead() {
    const { index, blob } = this.queue[0];
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`/uploads/${encodeURIComponent(this.id)}/chunks/${index}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: blob,
          keepalive: blob.size <= KEEPALIVE_MAX,
        });
        if (res.ok) break;
        if (res.status < 500 && res.status !== 429) {
          const data = await res.json().catch(() => ({}));
          throw Object.assign(new Error(data.message || `${res.status} ${res.statusText}`), { fatal: true });
        }
      } catch (err) {
        if (err.fatal) {
          this.failed = err;
          this.queue = [];
          throw err;
        }
      }
      // Network trouble: wait, then ask the server how far it got.
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5000)));
      const status = await getJSON(`/uploads/${encodeURIComponent(this.id)}`).catch(() => null);
      if (status && status.next_chunk > index) break; // it arrived after all
    }
    this.queue.shift();
    this.sentBytes += blob.size;
    this.onProgress(this.sentBytes, this.totalBytes);
  }

  // flush hands over what is recorded so far (the page is being left).
  flush() {
    if (this.recorder?.state === 'recording') this.recorder.requestData();
  }

  async discard() {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    this.queue = [];
    await postJSON(`/uploads/${encodeURIComponent(this.id)}/discard`, {});
  }
}
