// The page's live channel to the server (/ws): parameter changes from any
// page reach every page, and the watched session's stats arrive a few
// times a second. It reconnects by itself, backing off up to 5 s.

export class LiveChannel {
  constructor({ onParams, onStats, onError } = {}) {
    this.onParams = onParams || (() => {});
    this.onStats = onStats || (() => {});
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
        this.onStats(msg.session || msg);
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

  watch(sessionID) {
    this.watching = sessionID;
    this.send({ type: 'watch', session_id: sessionID || '' });
  }

  updateParams(params) {
    return this.send({ type: 'update_params', params });
  }
}
