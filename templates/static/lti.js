/* lmspack player: the `lti` tracking adapter, for the course served by lmspack's LTI tool
 * (window.lmspackAdapters.lti): see templates/PLAYER.md. */
(function () {
  'use strict';
  const adapters = window.lmspackAdapters = window.lmspackAdapters || {};

  class LtiAdapter {
    constructor(data, ctx) {
      this.data = data; this.ctx = ctx;
      this.base = data.launch.apiBase || data.apiBase; this.token = data.launch.token;
      this.steps = data.nav.map((n) => n.id).concat(['results']);
      this.chain = Promise.resolve(); this.results = {}; this.sent = ''; this.warned = false;
      this.expiresAt = data.launch.expiresAt || 0; this.scheduleRenewal();
    }
    // The token lasts hours, not the whole day: while the page is open, swap it for a fresh
    // one half an hour before it runs out (or halfway, for short ones). The tool refuses once
    // the session reaches its maximum age; then the token simply runs out, and the next call
    // says so.
    scheduleRenewal() {
      clearTimeout(this.renewal);
      const left = this.expiresAt - Date.now() / 1000;
      if (!this.expiresAt || left <= 0) return;
      const wait = Math.max(5, left - Math.min(1800, left / 2));
      this.renewal = setTimeout(() => this.renew(), Math.min(wait * 1000, 2147483647));
    }
    renew() {
      return fetch(this.base + '/session', {
        method: 'POST', credentials: 'omit', cache: 'no-store',
        headers: { Authorization: 'Bearer ' + this.token, 'Content-Type': 'application/json' }, body: '{}',
      }).then((r) => (r.ok ? r.json() : null)).then((j) => {
        if (!j || !j.token) return;
        this.token = j.token; this.expiresAt = j.expiresAt;
        try { sessionStorage.setItem(tokenKey(location.pathname), j.token); } catch (e) { /* none here */ }
        this.scheduleRenewal();
      }).catch(() => this.scheduleRenewal());
    }
    call(method, path, body, keepalive) {
      const once = () => fetch(this.base + path, {
        method, keepalive: !!keepalive, credentials: 'omit', cache: 'no-store',
        headers: { Authorization: 'Bearer ' + this.token, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).catch(() => { // no answer at all (offline, the server down): nothing is known to be saved
        throw Object.assign(new Error('no answer'), { again: 0 });
      }).then((r) => {
        if (r.status === 401 && !this.warned) {
          this.warned = true;
          this.ctx.notice('<strong>Your session has ended.</strong> Open the activity again from your course page to carry on; your work so far is saved.');
        }
        if (AGAIN.includes(r.status)) { // read the body, so the connection is free for the next try
          const again = Object.assign(new Error('not saved yet'), { status: r.status, again: retryAfter(r) });
          return r.text().then(() => { throw again; }, () => { throw again; });
        }
        return r.json().then((j) => {
          if (!r.ok) throw Object.assign(new Error(j.error || r.status), { status: r.status });
          if (j && 'liveSession' in j) this.live = j.liveSession; // GET /attempt: their place
          if (j && 'certificate' in j) this.showCertificate(j.certificate);
          return j;
        });
      });
      if (keepalive) return once(); // leaving the page: send now, not after the queue
      const run = () => this.persist(once);
      const p = this.chain.then(run, run); // in order, whatever happened before
      this.chain = p.catch(() => {});
      return p;
    }
    // The server is away (a network error) or can't save just now (503, with Retry-After:
    // its database is busy, read-only or full): nothing was saved, so send the same again
    // after Retry-After, or after 1, 2, 4 ... 30 s, for as long as the page is open. The
    // learner's work stays in the page meanwhile, and the player says so (ctx.connection).
    persist(once) {
      let tries = 0;
      const attempt = () => once().then((j) => {
        if (tries) this.ctx.connection(true);
        return j;
      }, (e) => {
        if (e.again === undefined) { if (tries) this.ctx.connection(true); throw e; } // a real answer
        const backoff = Math.min(30, 2 ** tries);
        const wait = Math.min(60, Math.max(e.again || 0, backoff));
        tries += 1;
        this.ctx.connection(false);
        return new Promise((ok) => { setTimeout(ok, wait * 1000); }).then(attempt);
      });
      return attempt();
    }
    start() {
      return this.call('GET', '/attempt').then((d) => {
        const st = d.state; const q = d.quiz; const evIds = {};
        this.data.evaluation.forEach((e) => { evIds[e.id] = e.type; });
        const state = { v: 1, a: {}, ev: {}, t: Object.assign({}, st.reflections), att: q.try || 1 };
        if (st.page) state.loc = st.page;
        state.vis = this.steps.map((id) => (st.visited.includes(id) ? '1' : '0')).join('').replace(/0+$/, '');
        Object.keys(st.evaluation).forEach((id) => { if (evIds[id] === 'text') state.t[id] = st.evaluation[id]; else state.ev[id] = st.evaluation[id]; });
        Object.keys(d.answers).forEach((qid) => {
          const r = d.answers[qid]; this.results[qid] = r;
          state.a[qid] = r.response.join(',') + (r.correct ? '+' : '-');
        });
        if (q.last) state.last = { s: q.last.score, o: q.last.outcomes };
        this.quiz = q;
        if (st.evaluationSubmitted) state.evd = 1;
        if (st.name) state.nm = st.name;
        this.sent = JSON.stringify(this.payload(state));
        if (d.preview) this.ctx.notice('Teacher preview: answers are checked, nothing is recorded.');
        return { state, learnerName: d.learner.name };
      });
    }
    showCertificate(c) { // the certificate the tool issued, the CPD record and the live session
      const anchor = document.getElementById('lp-cert-actions');
      if (!anchor || this.data.launch.role === 'instructor') return;
      let box = document.getElementById('lp-tool-cert');
      if (!box) { box = document.createElement('ul'); box.id = 'lp-tool-cert'; box.className = 'tool-links'; anchor.after(box); }
      const root = this.base.replace(/\/api\/v1\/?$/, '');
      const links = c && !c.revoked ? [['Your certificate online: ' + c.code, c.urls.verify], ['Download your certificate (PDF)', c.urls.pdf], ['Download your Open Badge', c.urls.badge]] : [];
      // the record's address carries the token: take the current one when it is opened, as
      // the token may have been renewed since these links were made
      const record = () => root + '/record?t=' + encodeURIComponent(this.token);
      links.push(['Your CPD record', record]);
      if (this.data.course.cpd.liveSessionMinutes) { // book, move or cancel a place on the live session
        const live = this.live || {}; const when = live.when ? ': ' + live.when : '';
        const text = { booked: 'Your live session' + when + ' (see or change your booking)', waiting: 'On the waiting list for the live session' + when, attended: 'You attended the live session' + when }[live.status] || 'Book your live session';
        links.push([text, () => root + '/sessions?t=' + encodeURIComponent(this.token)]);
      }
      box.replaceChildren(...links.map(([text, href]) => {
        const li = document.createElement('li'); const a = document.createElement('a');
        a.textContent = text; a.target = '_blank'; a.rel = 'noopener';
        if (typeof href === 'function') { a.href = href(); a.addEventListener('click', () => { a.href = href(); }); } else a.href = href;
        li.append(a); return li;
      }));
    }
    textLimit() { return 10000; }
    checkAnswer(qid, response, opts) {
      if (opts && opts.replay && this.results[qid]) return Promise.resolve(this.results[qid]);
      return this.call('POST', '/answers', { question: qid, options: response }).then((r) => {
        this.results[qid] = r;
        if (r.quiz) this.quiz = r.quiz;
        if (r.review) Object.assign(this.results, r.review); // this answer revealed the key
        return r;
      });
    }
    revealed() { return !!(this.quiz && this.quiz.revealed); }
    canRetake() { return !!(this.quiz && this.quiz.canRetake); }
    allowedTries() { return (this.quiz && this.quiz.attempts) || null; } // the quiz's attempts plus a teacher's extra tries
    optionOrder(qid) { return (this.quiz && this.quiz.order && this.quiz.order[qid]) || null; }
    retake() { // the next try, with its own order of the options; refused once attempts run out
      return this.call('POST', '/quiz/retake', {}).then((q) => { this.quiz = q; this.results = {}; });
    }
    answered() { /* the server recorded it when it scored the answer */ }
    payload(state) {
      const refl = {}; const ev = {};
      this.data.reflections.forEach((r) => { if (state.t[r.id] !== undefined) refl[r.id] = state.t[r.id]; });
      this.data.evaluation.forEach((e) => {
        const v = e.type === 'text' ? state.t[e.id] : state.ev[e.id];
        if (v !== undefined) ev[e.id] = v;
      });
      const visited = this.steps.filter((id, i) => (state.vis || '').charAt(i) === '1');
      const p = { visited, reflections: refl, evaluation: ev };
      if (state.loc && this.steps.concat(['certificate']).includes(state.loc)) p.page = state.loc;
      if (state.nm) p.name = state.nm;
      return p;
    }
    save(state, s, keepalive) {
      const body = this.payload(state);
      const text = JSON.stringify(body);
      if (text === this.sent) return this.chain;
      this.sent = text;
      return this.call('PUT', '/attempt/state', body, keepalive).catch(() => { this.sent = ''; });
    }
    evaluated(answers) {
      const ev = {};
      answers.forEach((x) => { if (x.value !== '') ev[x.q.id] = x.value; });
      return this.call('POST', '/evaluation', { answers: ev }); // the player says when it is in
    }
    finish(s, state) {
      this.save(state, s, true);
      if (s.finished) this.call('POST', '/finish', {}, true).catch(() => {});
    }
  }

  const AGAIN = [502, 503]; // nothing was done (a 504 may come after the work was): send again
  // Retry-After in seconds, or an HTTP date; 0 when the server gave none
  function retryAfter(r) {
    const v = r.headers.get('Retry-After') || '';
    if (/^\d+$/.test(v)) return parseInt(v, 10);
    const at = Date.parse(v);
    return Number.isNaN(at) ? 0 : Math.max(0, (at - Date.now()) / 1000);
  }

  // Where this tab keeps the course page's token (the tool's 401 page reads the same key).
  const tokenKey = (path) => 'lmspack-launch:' + path;

  // The launch token came in the address (?t=). Keep it in this tab's sessionStorage and take
  // it out of the address bar, so a link the learner copies doesn't carry their session; on a
  // reload the tool's page brings it back from there. Where storage throws (a third-party frame
  // whose browser blocks it) the token lives only in the adapter's memory, and still leaves the
  // address.
  function keepTokenOutOfAddress(token) {
    let url;
    try { url = new URL(location.href); } catch (e) { return; }
    if (url.searchParams.get('t') !== token) return;
    rememberToken(url.pathname, token);
    url.searchParams.delete('t');
    try { history.replaceState(history.state, '', url.pathname + url.search + url.hash); } catch (e) { /* no history API */ }
  }

  // Issue 16: sessionStorage may throw a SecurityError in the platform's frame; then false.
  function rememberToken(path, token) {
    try { sessionStorage.setItem(tokenKey(path), token); return true; } catch (e) { return false; }
  }

  adapters.lti = (data, ctx) => {
    if (!(data.launch && data.launch.token)) return null;
    keepTokenOutOfAddress(data.launch.token);
    return new LtiAdapter(data, ctx);
  };
}());
