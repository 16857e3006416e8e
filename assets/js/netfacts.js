// Connection facts for a live take: ICE state, the selected candidate pair
// (host / srflx / prflx / relay, over UDP or TCP), its round trip and ICE
// restarts. Self-contained: it adds one line to the page (after the status
// line) and keeps it current from the peer connection's stats. Tests read
// its data-* attributes.

const HINT = 'no route to the server: a TURN server is needed (see the README, "Deploy")';

export class NetFacts {
  constructor(pc) {
    this.pc = pc;
    this.restarts = 0;
    this.el = document.getElementById('net-facts') || NetFacts.create();
    this.el.hidden = false;
    this.el.className = 'net-facts';
    this.timer = setInterval(() => this.update(), 1000);
    pc.addEventListener('iceconnectionstatechange', () => this.update());
    this.update();
  }

  static create() {
    const el = document.createElement('p');
    el.id = 'net-facts';
    el.dataset.testid = 'net-facts';
    el.setAttribute('aria-live', 'polite');
    const status = document.getElementById('status');
    if (status) status.after(el);
    else document.body.append(el);
    return el;
  }

  restarted() {
    this.restarts++;
    this.update();
  }

  async update() {
    const pc = this.pc;
    const d = this.el.dataset;
    d.iceState = pc.iceConnectionState;
    d.restarts = String(this.restarts);
    if (pc.iceConnectionState === 'closed') return this.stop();
    const pair = await selectedPair(pc).catch(() => null);
    if (pair) {
      d.localType = pair.local.candidateType;
      d.remoteType = pair.remote.candidateType;
      d.protocol = pair.local.relayProtocol && pair.local.candidateType === 'relay' ? pair.local.relayProtocol : pair.local.protocol;
      d.remotePort = String(pair.remote.port);
      d.remoteAddress = pair.remote.address || pair.remote.ip || '';
      if (pair.rtt !== undefined) d.rtt = String(Math.round(pair.rtt * 1000));
    }
    let text = `ICE ${pc.iceConnectionState}`;
    if (pair) {
      text += ` · ${pair.local.candidateType} ↔ ${pair.remote.candidateType} over ${(d.protocol || '').toUpperCase()}`;
      if (d.rtt) text += ` · RTT ${d.rtt} ms`;
    }
    if (this.restarts) text += ` · ${this.restarts} ICE restart${this.restarts > 1 ? 's' : ''}`;
    if (pc.iceConnectionState === 'failed') text += ` — ${HINT}`;
    this.el.textContent = text;
    this.el.classList.toggle('error', pc.iceConnectionState === 'failed');
  }

  // fail shows the hint after the connection has given up for good.
  fail() {
    this.el.dataset.iceState = 'failed';
    this.el.textContent = `ICE failed — ${HINT}`;
    this.el.classList.add('error');
    this.stop();
  }

  stop() {
    clearInterval(this.timer);
  }
}

// selectedPair finds the nominated pair: Chromium names it from the
// transport, Firefox marks it selected.
async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) {
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && s.selected) pair = s;
    });
  }
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return { local, remote, rtt: pair.currentRoundTripTime };
}
