// Microphone access: asks for the mic with the processing the user chose
// and turns every failure into a sentence a person can act on.

export class MicError extends Error {}

export async function openMic({ deviceId, echoCancellation, noiseSuppression, autoGainControl }) {
  if (!window.isSecureContext) {
    throw new MicError('Recording needs a secure page: open it over https, or as http://localhost on this machine.');
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicError('This browser cannot record audio (no getUserMedia).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { deviceId, echoCancellation, noiseSuppression, autoGainControl },
      video: false,
    });
  } catch (err) {
    throw new MicError(explain(err));
  }
}

function explain(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access was denied. Allow the microphone for this site in the browser settings and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Plug one in (or enable it) and try again.';
    case 'NotReadableError':
      return 'The microphone is busy or failed: another app may be using it.';
    default:
      return `Could not open the microphone: ${err?.message || err}`;
  }
}

export function stopMic(stream) {
  stream?.getTracks().forEach((t) => t.stop());
}

// listMics lists the audio inputs; their labels are empty until the user
// has granted the microphone once.
export async function listMics() {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const all = await navigator.mediaDevices.enumerateDevices();
  return all.filter((d) => d.kind === 'audioinput' && d.deviceId !== 'default' && d.deviceId !== 'communications');
}
