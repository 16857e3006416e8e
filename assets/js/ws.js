// The page's live channel to the server (/ws): parameter changes from any
// page reach every page, and the watched session's stats arrive a few
// times a second. It reconnects by itself, backing off up to 5 s.

export class LiveChannel {
  constructor({ onParams, onStats, onGone, onRecordings, onError } = {}) {
    this.onParams = onParams || (() => {});
    this.onStats = onStats || (() => {});
    this.onGone = onGone || (() => {});
    this.onRecordings = onRecordings || (() => {});
    this.onError = onError || (() => {});
    this.watching = null;
    this.retry = 250;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 250;
      this.send({ type: 'init' });
      if (this.watching) this.send({ type: 'watch', session_id: this.watching });
    };
    ws.onmessage = (ev) => this.receive(JSON.parse(ev.data));
    ws.onclose = () => {
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 5000);
    };
  }

  receive(msg) {
    switch (msg.type) {
      case 'init_ack':
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
