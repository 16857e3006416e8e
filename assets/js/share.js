// The page a share link opens: it counts a playback when one starts (the
// first play, and again only after the take played to its end, so pausing
// and seeking count nothing), and writes its dates in the viewer's zone.
// It loads nothing of the app.

const when = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
});
for (const el of document.querySelectorAll('time[data-local]')) {
  const d = new Date(el.getAttribute('datetime'));
  if (!Number.isNaN(d.getTime())) el.textContent = when.format(d);
}

const audio = document.querySelector('audio[data-play-url]');
let counted = false;
audio?.addEventListener('play', () => {
  if (counted) return;
  counted = true;
  fetch(audio.dataset.playUrl, { method: 'POST', keepalive: true }).catch(() => {});
});
audio?.addEventListener('ended', () => {
  counted = false;
});
