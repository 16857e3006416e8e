// A row's Copy button puts the share link just made on the clipboard:
// through the Clipboard API where the page is a secure context, else by
// selecting the link's field and copying the selection (plain HTTP on a
// LAN address). Either way the link stays selected, to copy by hand.

document.addEventListener('click', async (ev) => {
  const button = ev.target.closest?.('[data-action=copy-link]');
  const input = button?.parentElement?.querySelector('input');
  if (!input) return;
  input.focus();
  input.select();
  let ok = false;
  try {
    await navigator.clipboard.writeText(input.value);
    ok = true;
  } catch {
    ok = document.execCommand?.('copy') ?? false;
  }
  button.textContent = ok ? 'Copied' : 'Select and copy';
});
