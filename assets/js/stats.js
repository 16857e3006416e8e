// The live processing panel: the format chain from microphone to frames,
// and the session's counters as the server reports them.

const $ = (id) => document.getElementById(id);
const set = (id, text) => {
  const el = $(id);
  if (el) el.textContent = text;
};
const ms = (v) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

// showMic shows what the browser actually applied to the track, beside
// what was asked for.
export function showMic(track, asked) {
  const s = track.getSettings();
  const parts = [
    track.label || 'microphone',
    s.sampleRate ? `${s.sampleRate} Hz` : null,
    s.channelCount ? `${s.channelCount} ch` : null,
    `echo ${onOff(s.echoCancellation)}${asked.echoCancellation === s.echoCancellation ? '' : ' (asked ' + onOff(asked.echoCancellation) + ')'}`,
    `noise ${onOff(s.noiseSuppression)}`,
    `gain ${onOff(s.autoGainControl)}`,
  ];
  set('chain-mic', parts.filter(Boolean).join(' · '));
}

const onOff = (v) => (v === undefined ? '?' : v ? 'on' : 'off');

export function showSession(info) {
  const c = info.chain || {};
  const f = info.framing || {};
  const s = info.stats || {};
  if (c.codec) set('chain-codec', c.codec);
  set('chain-decoded', `${c.decoded_rate} Hz (Opus, placed on the RTP timeline)`);
  set('chain-resampler', c.resampler || '—');
  set('chain-output', `${c.output_rate} Hz · ${c.channels === 2 ? 'stereo' : 'mono'}`);
  set('chain-frame', `${(f.frame_samples || 0).toFixed(2).replace(/\.00$/, '')} samples · ${f.fps} fps · batches of ${f.batch_size}`);
  set('st-frames', `${f.frames} frames · ${f.batches} batches`);
  set('st-packets', `${s.packets} · ${s.lost_packets} lost · ${s.late_packets} late`);
  set('st-network', `${(s.jitter_us / 1000).toFixed(1)} ms · ${info.rtt_ms ? ms(info.rtt_ms) : '—'}`);
  const l = f.latency || {};
  set('st-latency', l.count ? `${ms(l.p50_ms)} · ${ms(l.p99_ms)}` : '—');
  set('st-drift', f.frames ? ms(f.drift_ms) : '—');
  set('st-gaps', `${s.gaps} gaps (${(s.gap_samples / 48000).toFixed(2)} s) · ${s.decode_errors} decode errors`);
  const feat = f.features || {};
  set('st-voice', feat.voice ? 'voice' : 'quiet');
  const mouth = $('st-mouth');
  if (mouth) mouth.value = feat.mouth || 0;
  const state = info.reason ? `${info.state} (${info.reason})` : info.state;
  set('server-stats', `${state} · ${(info.duration || 0).toFixed(1)} s decoded · ${s.packets} packets · ${s.lost_packets} lost · ${s.gaps} gaps`);
}
