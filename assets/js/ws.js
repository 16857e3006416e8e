// The page's live channel to the server (/ws): parameter changes from any
// page reach every page, and the watched session's stats arrive a few
// times a second. It is also how the page knows the server is there: it
// pings twice a second, and a server that has not answered for 1.5 s (killed,
// restarted, or the network cut, which no socket reports) counts as lost;
// onLink(false) says so, and onLink(true) once it answers again. It
// reconnects by itself, every 2 s at most.

const PING_MS = 500; // so one late answer is no loss
const LOST_MS = 1500; // no answer for this long (three pings): the server is lost
const CONNECT_MS = 3000; // a connection not open by then is tried again
const RETRY_MAX_MS = 2000;

export class LiveChannel {
  constructor({ onParams, onStats, onGone, onRecordings, onError, onLink } = {}) {
    this.onParams = onParams || (() => {});
    this.onStats = onStats || (() => {});
    this.onGone = onGone || (() => {});
    this.onRecordings = onRecordings || (() => {});
    this.onError = onError || (() => {});
    this.onLink = onLink || (() => {});
    this.watching = null;
    this.retry = 250;
    this.up = false; // the server answers
    this.heard = 0; // when it last did
    this.waiting = []; // whenUp's
    this.connect();
    setInterval(() => this.check(), 250);
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    this.opened = performance.now();
    ws.onopen = () => {
      this.send({ type: 'init' });
      if (this.watching) this.send({ type: 'watch', session_id: this.watching });
    };
    ws.onmessage = (ev) => {
      this.heard = performance.now();
      this.receive(JSON.parse(ev.data));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.link(false);
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, RETRY_MAX_MS);
    };
  }

  // check pings, and gives up on a connection that went quiet or never
  // opened: a cut network leaves both hanging.
  check() {
    const ws = this.ws;
    if (!ws) return;
    const now = performance.now();
    const quiet = ws.readyState === WebSocket.OPEN && this.up && now - this.heard > LOST_MS;
    const stuck = ws.readyState === WebSocket.CONNECTING && now - this.opened > CONNECT_MS;
    if (quiet || stuck) {
      ws.onclose();
      ws.onclose = null;
      ws.close();
      return;
    }
    if (ws.readyState === WebSocket.OPEN && now - (this.pinged || 0) >= PING_MS) {
      this.pinged = now;
      this.send({ type: 'ping', timestamp: Date.now() });
    }
  }

  link(up) {
    if (up === this.up) return;
    this.up = up;
    this.onLink(up);
    if (up) this.waiting.splice(0).forEach((resolve) => resolve());
  }

  // whenUp resolves once the server answers (at once if it does).
  whenUp() {
    return this.up ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  receive(msg) {
    switch (msg.type) {
      case 'init_ack':
        this.retry = 250;
        this.link(true);
        this.onParams(msg.params, msg.source);
        break;
      case 'params_updated':
        this.onParams(msg.params, msg.source);
        break;
      case 'stats':
        // A report of the watched session, or word that it is unknown to
        // the server (it stops watching then): two kinds, two renderers.
        if (msg.session) this.onStats(msg.session);
        else if (msg.state === 'gone' && msg.session_id === this.watching) this.onGone(msg.session_id);
        break;
      case 'recordings_changed':
        this.onRecordings(msg);
        break;
      case 'error':
        this.onError(msg);
        break;
    }
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  // watch asks for a session's stats; call it once the server has the
  // session (its offer answered), and with null when the take is over.
  watch(sessionID) {
    this.watching = sessionID || null;
    this.send({ type: 'watch', session_id: sessionID || '' });
  }

  updateParams(params) {
    return this.send({ type: 'update_params', params });
  }
}
