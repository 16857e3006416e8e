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

// An untitled take's name is when it was made, written here as the app
// writes it for its own viewers (media.DisplayName), in this viewer's
// zone and on their clock: "Recording 7 Dec, 4:12 PM" or "Recording 7
// Dec, 16:12". The server, sent no zone or clock by a link's visitor,
// wrote it in UTC.
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function untitledName(d, now = new Date()) {
  const hours = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).resolvedOptions();
  const hour12 = hours.hourCycle ? /^h1[12]$/.test(hours.hourCycle) : !!hours.hour12;
  const h = d.getHours();
  const m = String(d.getMinutes()).padStart(2, '0');
  const time = hour12 ? `${h % 12 || 12}:${m} ${h < 12 ? 'AM' : 'PM'}` : `${String(h).padStart(2, '0')}:${m}`;
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `Recording ${d.getDate()} ${months[d.getMonth()]}${year}, ${time}`;
}
const title = document.querySelector('h1[data-made]');
const made = new Date(title?.dataset.made);
if (title && !Number.isNaN(made.getTime())) {
  const was = title.textContent;
  const name = untitledName(made);
  title.textContent = name;
  document.title = name;
  const player = document.querySelector('audio[aria-label]');
  if (player?.getAttribute('aria-label') === `Play ${was}`) player.setAttribute('aria-label', `Play ${name}`);
}

// The download is named with the day (and an untitled one's time) in
// this viewer's zone, as the title is.
const download = document.querySelector('[data-testid=shared-download]');
if (download) {
  const url = new URL(download.href);
  url.searchParams.set('tz', Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  download.href = url.href;
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
