// JSON calls to the server. Every failure becomes an Error carrying the
// server's own message.

// signal, if given, can abort the request (e.g. AbortSignal.timeout).
export async function postJSON(url, body, { signal } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return readJSON(res);
}

export async function getJSON(url, { signal } = {}) {
  return readJSON(await fetch(url, { signal }));
}

async function readJSON(res) {
  if (res.status === 401) {
    // The server wants its access token: sign in, then come back here.
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON: fall through to the status text */
  }
  if (!res.ok || data?.status === 'error') {
    const err = new Error(data?.message || `${res.status} ${res.statusText}`);
    err.status = res.status;
    if (res.status === 409 && data?.filename) err.filename = data.filename; // saved already
    throw err;
  }
  return data;
}
