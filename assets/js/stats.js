// The live processing panel: the format chain from microphone to frames,
// and the session's counters as the server reports them. Every value goes
// through a formatter that shows "—" for anything missing, so the panel
// never prints undefined, NaN or null.

const $ = (id) => document.getElementById(id);
const set = (id, text) => {
  const el = $(id);
  if (el) el.textContent = text;
};
const DASH = '—';
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const fixed = (v, digits = 1) => (isNum(v) ? v.toFixed(digits) : DASH);
const count = (v) => (isNum(v) ? String(Math.round(v)) : DASH);
// counted writes "1 batch", "2 batches", "— batches".
const counted = (v, one, many = one + 's') => `${count(v)} ${isNum(v) && Math.round(v) === 1 ? one : many}`;
const ms = (v) => (isNum(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : DASH);
const hz = (v) => (isNum(v) && v > 0 ? `${v} Hz` : DASH);

const panelIDs = [
  'chain-mic', 'chain-codec', 'chain-decoded', 'chain-resampler', 'chain-output', 'chain-frame',
  'st-frames', 'st-packets', 'st-network', 'st-latency', 'st-drift', 'st-gaps', 'st-voice', 'server-stats',
];

// showMic shows what the browser actually applied to the track, beside
// what was asked for.
export function showMic(track, asked) {
  const s = track.getSettings();
  const parts = [
    track.label || 'microphone',
    isNum(s.sampleRate) ? `${s.sampleRate} Hz` : null,
    isNum(s.channelCount) ? `${s.channelCount} ch` : null,
    `echo ${onOff(s.echoCancellation)}${asked.echoCancellation === s.echoCancellation ? '' : ' (asked ' + onOff(asked.echoCancellation) + ')'}`,
    `noise ${onOff(s.noiseSuppression)}`,
    `gain ${onOff(s.autoGainControl)}`,
  ];
  set('chain-mic', parts.filter(Boolean).join(' · '));
}

const onOff = (v) => (v === undefined ? '?' : v ? 'on' : 'off');

const stateWords = {
  connecting: 'connecting',
  live: 'live',
  stopped: 'ended (draft)',
  failed: 'failed',
};

// showSession renders one session report (the "stats" message's session).
export function showSession(info) {
  const c = info.chain || {};
  const f = info.framing || {};
  const s = info.stats || {};
  set('chain-codec', c.codec || DASH);
  set('chain-decoded', isNum(c.decoded_rate) ? `${c.decoded_rate} Hz (Opus, placed on the RTP timeline)` : DASH);
  set('chain-resampler', c.resampler || DASH);
  set('chain-output', isNum(c.output_rate) ? `${hz(c.output_rate)} · ${c.channels === 2 ? 'stereo' : 'mono'}` : DASH);
  set('chain-frame', isNum(f.fps) ? `${fixed(f.frame_samples || 0, 2).replace(/\.00$/, '')} samples · ${f.fps} fps · batches of ${count(f.batch_size)}` : DASH);
  set('st-frames', `${counted(f.frames, 'frame')} · ${counted(f.batches, 'batch', 'batches')}`);
  set('st-packets', `${count(s.packets)} · ${count(s.lost_packets)} lost · ${count(s.late_packets)} late`);
  set('st-network', `${isNum(s.jitter_us) ? ms(s.jitter_us / 1000) : DASH} · ${info.rtt_ms ? ms(info.rtt_ms) : DASH}`);
  const l = f.latency || {};
  set('st-latency', l.count ? `${ms(l.p50_ms)} · ${ms(l.p99_ms)}` : DASH);
  set('st-drift', f.frames ? ms(f.drift_ms) : DASH);
  set('st-gaps', `${counted(s.gaps, 'gap')} (${isNum(s.gap_samples) ? fixed(s.gap_samples / 48000, 2) : DASH} s) · ${counted(s.decode_errors, 'decode error')}`);
  const feat = f.features || {};
  set('st-voice', feat.voice ? 'voice' : 'quiet');
  const mouth = $('st-mouth');
  if (mouth) mouth.value = isNum(feat.mouth) ? feat.mouth : 0;
  const words = stateWords[info.state] || DASH;
  const state = info.reason ? `${words} (${info.reason})` : words;
  set('server-stats', `${state} · ${fixed(info.duration)} s decoded · ${counted(s.packets, 'packet')} · ${count(s.lost_packets)} lost · ${counted(s.gaps, 'gap')}`);
}

// clearSession empties the panel when no take is watched.
export function clearSession() {
  for (const id of panelIDs) set(id, DASH);
  const mouth = $('st-mouth');
  if (mouth) mouth.value = 0;
}
