/* lmspack player: shows the pre-work one page at a time and reports to the LMS through a
 * tracking adapter (SCORM 1.2, SCORM 2004, local, lti): the adapters' interface and where the
 * data goes are described in templates/PLAYER.md (kept out of the download). */
(function () {
  'use strict';
  document.documentElement.className = document.documentElement.className.replace('no-js', 'js');

  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const today = () => { const d = new Date(); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); };

  // ---- time formats -------------------------------------------------------------------
  function timespan12(ms) { // HHHH:MM:SS.SS
    let cs = Math.max(0, Math.round(ms / 10));
    const h = Math.min(9999, Math.floor(cs / 360000)); cs -= h * 360000;
    const m = Math.floor(cs / 6000); cs -= m * 6000;
    return pad(h, 4) + ':' + pad(m) + ':' + pad(Math.floor(cs / 100)) + '.' + pad(cs % 100);
  }
  function duration2004(ms) { // PT1H2M3.4S
    let cs = Math.max(0, Math.round(ms / 10));
    const h = Math.floor(cs / 360000); cs -= h * 360000;
    const m = Math.floor(cs / 6000); cs -= m * 6000;
    return 'PT' + (h ? h + 'H' : '') + (m ? m + 'M' : '') + (cs / 100) + 'S';
  }
  function clock(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function timestamp(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + clock(d);
  }

  // ---- answer checking with the key shipped in the page (not in lti mode) ---------------
  function keyCheck(data, qid, response) {
    const q = data.questions.find((x) => x.id === qid);
    const want = (q.correct || []).slice().sort().join(',');
    const correct = response.slice().sort().join(',') === want;
    const fb = q.feedback || {};
    return { correct, feedback: correct ? fb.correct : fb.incorrect, options: fb.options || {}, correctResponse: q.correct || [] };
  }

  // ---- finding the LMS API: walk window.parent to the top, then window.opener -----------
  function findApi(name) {
    const scan = (w) => {
      for (let i = 0; w && i < 100; i++) {
        try { if (w[name]) return w[name]; } catch (e) { /* another origin: keep climbing */ }
        if (w.parent === w) break;
        w = w.parent;
      }
      return null;
    };
    let api = scan(window);
    try { if (!api && window.opener) api = scan(window.opener); } catch (e) { /* closed */ }
    try { if (!api && window.top.opener) api = scan(window.top.opener); } catch (e) { /* closed */ }
    return api;
  }

  // A small stand-in LMS: keeps values in localStorage and logs each call.
  function storeApi(key, log) {
    let store = {};
    try { store = JSON.parse(localStorage.getItem(key) || '{}') || {}; } catch (e) { store = {}; }
    const count = (prefix) => {
      let n = 0;
      Object.keys(store).forEach((k) => {
        if (k.startsWith(prefix + '.')) n = Math.max(n, parseInt(k.slice(prefix.length + 1), 10) + 1);
      });
      return String(n);
    };
    const get = (k) => (k.endsWith('._count') ? count(k.slice(0, -7)) : store[k] || '');
    const set = (k, v) => { store[k] = String(v); log('set', k, v); return 'true'; };
    const commit = () => {
      try { localStorage.setItem(key, JSON.stringify(store)); } catch (e) { /* storage off */ }
      log('commit'); return 'true';
    };
    const ok = () => 'true';
    const zero = () => '0';
    return {
      Initialize: ok, LMSInitialize: ok, GetValue: get, LMSGetValue: get, SetValue: set, LMSSetValue: set,
      Commit: commit, LMSCommit: commit, Terminate: commit, LMSFinish: commit,
      GetLastError: zero, LMSGetLastError: zero, reset: () => { store = {}; try { localStorage.removeItem(key); } catch (e) { /* off */ } },
    };
  }

  // ---- the SCORM adapters (1.2 and 2004), one class --------------------------------------
  class ScormAdapter {
    constructor(api, std, data) {
      this.api = api; this.v12 = std === 'scorm12'; this.data = data;
      this.t0 = Date.now(); this.sent = {}; this.ended = false;
      const f = this.v12
        ? ['LMSInitialize', 'LMSGetValue', 'LMSSetValue', 'LMSCommit', 'LMSFinish', 'LMSGetLastError']
        : ['Initialize', 'GetValue', 'SetValue', 'Commit', 'Terminate', 'GetLastError'];
      this.fn = { init: f[0], get: f[1], set: f[2], commit: f[3], finish: f[4], err: f[5] };
      this.suspendMax = this.v12 ? 4096 : 64000;
    }
    call(name, a, b) {
      try { return String(this.api[this.fn[name]](a === undefined ? '' : a, b)); } catch (e) { return ''; }
    }
    get(k) { const v = this.call('get', k); return this.call('err') === '0' ? v : ''; }
    set(k, v) {
      v = String(v);
      if (this.sent[k] === v) return;
      this.sent[k] = v;
      this.call('set', k, v);
    }
    start() {
      if (this.call('init') !== 'true') { // tolerate only "already initialised"
        const err = this.call('err');
        if (err !== (this.v12 ? '101' : '103')) return Promise.reject(new Error('initialise failed: ' + err));
      }
      const c = this.v12 ? 'cmi.core.' : 'cmi.';
      const name = this.get(c + (this.v12 ? 'student_name' : 'learner_name'));
      let state = null;
      try { state = JSON.parse(this.get('cmi.suspend_data') || 'null'); } catch (e) { state = null; }
      if (state && this.v12) { // the part of the texts that did not fit in suspend_data
        let more = {};
        try { more = JSON.parse(this.get('cmi.comments') || '{}') || {}; } catch (e) { more = {}; }
        state.t = state.t || {};
        Object.keys(more).forEach((k) => { state.t[k] = (state.t[k] || '') + more[k]; });
      }
      if (state) state.loc = this.get(this.v12 ? 'cmi.core.lesson_location' : 'cmi.location') || state.loc;
      // Interactions append after what the LMS already holds (Moodle checks n <= _count).
      this.n = parseInt(this.get('cmi.interactions._count'), 10) || (state && state.n) || 0;
      // One objective per outcome: reuse the LMS's rows by id, append the missing ones.
      this.obj = {};
      let count = parseInt(this.get('cmi.objectives._count'), 10) || 0;
      for (let i = 0; i < count; i++) this.obj[this.get('cmi.objectives.' + i + '.id')] = i;
      this.data.outcomes.forEach((o) => {
        if (this.obj[o.id] === undefined) {
          this.obj[o.id] = count;
          this.set('cmi.objectives.' + count++ + '.id', o.id);
        }
      });
      // 2004: a copy of each reflection in comments_from_learner, found again by location.
      this.com = {};
      if (!this.v12) {
        this.comCount = parseInt(this.get('cmi.comments_from_learner._count'), 10) || 0;
        for (let i = 0; i < this.comCount; i++) this.com[this.get('cmi.comments_from_learner.' + i + '.location')] = i;
      }
      if (!state) this.set(this.v12 ? 'cmi.core.lesson_status' : 'cmi.completion_status', 'incomplete');
      return Promise.resolve({ state, learnerName: name });
    }
    textLimit() {
      if (!this.v12) return 3900; // comments_from_learner.n.comment holds 4000
      // 1.2: texts share what a full state leaves of suspend_data plus all of cmi.comments.
      const d = this.data;
      const texts = d.reflections.map((r) => r.id).concat(d.evaluation.filter((e) => e.type === 'text').map((e) => e.id));
      if (!texts.length) return 4000;
      const full = {
        v: 1, loc: 'x', vis: '1'.repeat(d.nav.length + 1), att: 99, n: 999, evd: 1, d: '2000-01-01', nm: 'x'.repeat(60), sh: 2147483647, p: 1,
        a: {}, ev: {}, last: { s: 100, o: {} },
      };
      d.questions.forEach((q) => { full.a[q.id] = q.options.join(',') + '+'; });
      d.evaluation.forEach((e) => { full.ev[e.id] = 'yes'; });
      d.outcomes.forEach((o) => { full.last.o[o.id] = 100; });
      const core = JSON.stringify(full).length + 8; // + ,"t":{}
      const keys = texts.reduce((n, id) => n + 2 * (id.length + 6), 0);
      const room = 4096 * 2 - core - keys - 64;
      return Math.max(200, Math.min(4000, Math.floor(room / texts.length * 0.95)));
    }
    checkAnswer(qid, response) { return Promise.resolve(keyCheck(this.data, qid, response)); }
    fmt(q, ids) {
      if (q.type === 'true-false') return this.v12 ? (ids[0] === 'true' ? 't' : 'f') : ids[0];
      return ids.join(this.v12 ? ',' : '[,]');
    }
    answered(r) {
      const p = 'cmi.interactions.' + this.n++ + '.';
      const now = new Date();
      this.set(p + 'id', r.q.id);
      this.set(p + 'type', r.q.type === 'true-false' ? 'true-false' : 'choice'); // type before responses
      this.set(p + 'objectives.0.id', r.q.outcome);
      this.set(p + (this.v12 ? 'time' : 'timestamp'), this.v12 ? clock(now) : timestamp(now));
      this.set(p + 'weighting', '1');
      if (r.correctResponse && r.correctResponse.length) this.set(p + 'correct_responses.0.pattern', this.fmt(r.q, r.correctResponse));
      this.set(p + (this.v12 ? 'student_response' : 'learner_response'), this.fmt(r.q, r.response));
      this.set(p + 'result', r.correct ? 'correct' : (this.v12 ? 'wrong' : 'incorrect'));
      if (!this.v12 && r.prompt) this.set(p + 'description', oneLine(stripTags(r.prompt), 250));
    }
    evaluated(items) { // the evaluation as survey interactions, so the LMS's own reports show it
      const now = new Date();
      items.forEach((it) => {
        if (!it.value) return;
        const text = it.q.type === 'text';
        const p = 'cmi.interactions.' + this.n++ + '.';
        this.set(p + 'id', 'evaluation.' + it.q.id);
        this.set(p + 'type', text ? 'fill-in' : 'likert');
        this.set(p + (this.v12 ? 'time' : 'timestamp'), this.v12 ? clock(now) : timestamp(now));
        let value = text ? oneLine(it.value, this.v12 ? 255 : 240).replace(/\[,\]/g, ',') : it.value;
        if (text && !this.v12) value = '{lang=' + this.data.course.language + '}' + value;
        this.set(p + (this.v12 ? 'student_response' : 'learner_response'), value);
        this.set(p + 'result', 'neutral');
      });
    }
    save(state, s) {
      if (this.ended) return;
      const v12 = this.v12;
      state.n = this.n;
      this.set(v12 ? 'cmi.core.lesson_location' : 'cmi.location', s.location);
      this.set(v12 ? 'cmi.core.lesson_status' : 'cmi.completion_status',
        v12 ? (s.quizDone ? (s.passed ? 'passed' : 'failed') : 'incomplete') : (s.completed ? 'completed' : 'incomplete'));
      if (!v12) {
        this.set('cmi.success_status', s.quizDone ? (s.passed ? 'passed' : 'failed') : 'unknown');
        this.set('cmi.progress_measure', String(Math.round(s.progress * 100) / 100));
      }
      if (s.score !== null) this.score(v12 ? 'cmi.core.score.' : 'cmi.score.', s.score);
      s.outcomes.forEach((o) => {
        const p = 'cmi.objectives.' + this.obj[o.id] + '.';
        if (o.score !== null) this.score(p + 'score.', o.score);
        if (v12) {
          this.set(p + 'status', o.status);
        } else {
          this.set(p + 'success_status', o.status === 'passed' || o.status === 'failed' ? o.status : 'unknown');
          this.set(p + 'completion_status', o.status === 'not attempted' ? 'not attempted' : (o.done ? 'completed' : 'incomplete'));
          this.set(p + 'description', oneLine(o.text, 250));
        }
      });
      this.saveState(state);
      this.set(v12 ? 'cmi.core.session_time' : 'cmi.session_time', (v12 ? timespan12 : duration2004)(Date.now() - this.t0));
      this.call('commit');
    }
    score(p, value) {
      this.set(p + 'raw', String(value));
      this.set(p + 'min', '0');
      this.set(p + 'max', '100');
      if (!this.v12) this.set(p + 'scaled', String(value / 100));
    }
    saveState(state) {
      const texts = state.t || {};
      const core = Object.assign({}, state, { t: {} });
      if (!this.v12) {
        core.t = texts;
        Object.keys(texts).forEach((id) => {
          if (!this.data.reflections.some((r) => r.id === id)) return;
          if (!texts[id] && this.com[id] === undefined) return;
          if (this.com[id] === undefined) this.com[id] = this.comCount++;
          const p = 'cmi.comments_from_learner.' + this.com[id] + '.';
          if (this.sent[p + 'comment'] === undefined) this.set(p + 'location', id);
          const before = this.sent[p + 'comment'];
          let text = oneLine(texts[id], 3980);
          if (text.charAt(0) === '{') text = '{lang=' + this.data.course.language + '}' + text;
          this.set(p + 'comment', text);
          if (before !== this.sent[p + 'comment']) this.set(p + 'timestamp', timestamp(new Date()));
        });
        this.set('cmi.suspend_data', fit(JSON.stringify(core), this.suspendMax));
        return;
      }
      // 1.2: fill suspend_data, then put what is left of each text in cmi.comments.
      const rest = {};
      Object.keys(texts).forEach((id) => {
        const text = texts[id];
        if (!text) return;
        core.t[id] = text;
        if (JSON.stringify(core).length <= this.suspendMax) return;
        let lo = 0; let hi = text.length; // longest prefix that fits
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          core.t[id] = text.slice(0, mid);
          if (JSON.stringify(core).length <= this.suspendMax) lo = mid; else hi = mid - 1;
        }
        if (lo) core.t[id] = text.slice(0, lo); else delete core.t[id];
        rest[id] = text.slice(lo);
      });
      let comments = Object.keys(rest).length ? JSON.stringify(rest) : '';
      while (comments.length > 4096) { // only when a text is longer than its box allows
        const id = Object.keys(rest).sort((a, b) => rest[b].length - rest[a].length)[0];
        rest[id] = rest[id].slice(0, rest[id].length - Math.max(1, comments.length - 4096));
        comments = JSON.stringify(rest);
      }
      this.set('cmi.suspend_data', fit(JSON.stringify(core), this.suspendMax));
      this.set('cmi.comments', comments);
    }
    finish(s, state) {
      if (this.ended) return;
      this.save(state, s);
      this.set(this.v12 ? 'cmi.core.exit' : 'cmi.exit', s.finished ? (this.v12 ? '' : 'normal') : 'suspend');
      this.call('commit');
      this.ended = true;
      this.call('finish');
    }
  }
  function stripTags(html) { // a <template> keeps the markup inert: nothing loads or runs
    const t = document.createElement('template');
    t.innerHTML = html;
    return t.content.textContent;
  }
  function oneLine(text, max) { return text.replace(/\s+/g, ' ').trim().slice(0, max); }
  function fit(text, max) { return text.length <= max ? text : text.slice(0, max); }

  // ---- the adapters by name. Another adapter (the `lti` one) registers here from its own
  // script, loaded after this one: window.lmspackAdapters.lti = (data, ctx) => adapter.
  const NO_LMS = '<strong>Not connected to your learning platform.</strong> Your progress is saved in this browser only. ' +
    'If you opened this from your organisation\u2019s learning platform, close it and open it again from there.';
  function scorm(std) {
    return (data, ctx) => {
      const api = findApi(std === 'scorm12' ? 'API' : 'API_1484_11');
      if (api) return new ScormAdapter(api, std, data);
      ctx.notice(NO_LMS); // no LMS up the frames: carry on like the preview
      return ctx.localAdapter();
    };
  }
  const ADAPTERS = window.lmspackAdapters = Object.assign(window.lmspackAdapters || {}, {
    scorm12: scorm('scorm12'),
    scorm2004: scorm('scorm2004'),
    local: (data, ctx) => ctx.localAdapter(),
  });
  window.lmspackPlayer = { ScormAdapter, keyCheck, findApi, timespan12, duration2004 };

  // ---- the player -------------------------------------------------------------------------
  function boot() {
    const dataEl = $('#lmspack-data');
    if (!dataEl) return;
    const data = JSON.parse(dataEl.textContent);
    const course = data.course;
    const steps = data.nav.map((n) => ({ kind: n.kind, id: n.id, title: n.title }))
      .concat([{ kind: 'results', id: 'results', title: 'Your results' }]);
    const stepIndex = (id) => steps.findIndex((s) => s.id === id);
    const qById = {};
    data.questions.forEach((q) => { qById[q.id] = q; });
    let state = { v: 1, loc: steps[0].id, vis: '', a: {}, att: 1, ev: {}, t: {} };
    let current = null;
    let adapter = null;
    let learnerName = '';
    let saveTimer = null;

    const notice = (html) => { const el = $('#lp-notice'); el.innerHTML = html; el.hidden = false; delete el.dataset.offline; };
    // The adapter could not reach its server (false) or reached it again (true): the
    // learner's work is kept in the page and sent by the adapter as soon as it can.
    let evSending = false;
    const EV_WAITING = '<p>Your evaluation is not sent yet: the course cannot reach its server just now. ' +
      'Your answers are kept here and will be sent by themselves; keep this page open.</p>';
    function connection(ok) {
      const el = $('#lp-notice');
      if (ok) {
        if (el.dataset.offline) { el.hidden = true; el.innerHTML = ''; delete el.dataset.offline; }
        return;
      }
      if (el.dataset.offline) return;
      notice('<strong>Your work is kept, but not sent yet.</strong> The course cannot reach its server just now. ' +
        'Everything you do is kept in this page and sent by itself as soon as the server answers again; keep this page open.');
      el.dataset.offline = '1';
      if (evSending) $('#lp-evaluation-status').innerHTML = EV_WAITING;
    }
    const logEl = $('#lp-lms-log');
    const log = (op, k, v) => {
      if (!logEl) return;
      const li = document.createElement('li');
      li.textContent = op === 'commit' ? 'Commit' : k + ' = ' + JSON.stringify(String(v));
      logEl.insertBefore(li, logEl.firstChild); // newest first
      while (logEl.children.length > 400) logEl.removeChild(logEl.lastChild);
    };
    const storeKey = 'lmspack:' + course.id + ':' + course.version + ':' + data.adapter;
    function localAdapter() { const api = storeApi(storeKey, log); const a = new ScormAdapter(api, 'scorm2004', data); a.store = api; return a; }

    function pickAdapter() {
      const make = ADAPTERS[data.adapter];
      const made = make && make(data, { log, notice, connection, localAdapter });
      if (made) return made;
      notice('<strong>This course cannot record your progress here.</strong> It is saved in this browser only.');
      return localAdapter();
    }

    // -- state helpers --
    const visited = (i) => state.vis.charAt(i) === '1';
    function markVisited(i) {
      const v = state.vis.padEnd(steps.length, '0').split('');
      v[i] = '1';
      state.vis = v.join('').replace(/0+$/, '');
    }
    const answer = (qid) => { const a = state.a[qid]; return a ? { ids: a.slice(0, -1).split(','), correct: a.slice(-1) === '+' } : null; };

    function summary() {
      const qs = data.questions;
      const answered = qs.filter((q) => state.a[q.id]);
      const right = answered.filter((q) => answer(q.id).correct).length;
      const attemptDone = qs.length > 0 && answered.length === qs.length;
      const last = state.last || null;
      const outcomes = data.outcomes.map((o) => {
        const oq = qs.filter((q) => q.outcome === o.id);
        const oa = oq.filter((q) => state.a[q.id]);
        const ok = oa.filter((q) => answer(q.id).correct).length;
        const pct = oq.length ? Math.round(100 * ok / oq.length) : 0;
        if (oq.length && oa.length === oq.length) return { id: o.id, text: o.text, score: pct, status: pct >= course.passMark ? 'passed' : 'failed', done: true };
        if (last && last.o && last.o[o.id] !== undefined) {
          const ls = last.o[o.id];
          return { id: o.id, text: o.text, score: ls, status: ls >= course.passMark ? 'passed' : 'failed', done: true };
        }
        return { id: o.id, text: o.text, score: oa.length ? pct : null, status: oa.length ? 'incomplete' : 'not attempted', done: false };
      });
      const score = last ? last.s : null;
      const passed = !!(last && last.s >= course.passMark);
      const pages = steps.map((s, i) => ({ s, i })).filter((x) => x.s.kind === 'page');
      const pagesDone = pages.filter((x) => visited(x.i)).length;
      const quizStep = stepIndex('quiz');
      const units = steps.filter((s) => s.kind !== 'results').map((s, i) => (s.kind === 'quiz' ? !!last : visited(i)));
      const progress = units.filter(Boolean).length / Math.max(1, units.length);
      const completed = progress === 1;
      const rules = course.certificateRules || [];
      const need = [];
      if (rules.includes('pages') && pagesDone < pages.length) need.push('pages');
      if (rules.includes('quiz') && !passed) need.push('quiz');
      if (rules.includes('evaluation') && !state.evd) need.push('evaluation');
      if (rules.includes('attendance')) need.push('attendance');
      return {
        location: (current && current.id !== 'certificate') ? current.id : state.loc,
        progress, completed, quizDone: !!last, passed, score, outcomes, need,
        certificate: need.length === 0, finished: completed && need.length === 0,
        attempt: { answered: answered.length, right, total: qs.length, done: attemptDone }, pagesDone, pagesTotal: pages.length, quizStep,
      };
    }

    function save() {
      clearTimeout(saveTimer); saveTimer = null;
      if (!adapter) return;
      const s = summary();
      if (s.certificate && !state.d) state.d = today();
      if (!s.certificate) delete state.d;
      state.loc = s.location;
      adapter.save(state, s);
    }
    const saveSoon = () => { clearTimeout(saveTimer); saveTimer = setTimeout(save, 1500); };

    // -- navigation --
    function show(id, opts) {
      opts = opts || {};
      if (id === 'certificate' && !summary().certificate) id = 'results';
      const i = stepIndex(id);
      if (i < 0 && id !== 'certificate') return;
      current = i < 0 ? { kind: 'certificate', id: 'certificate', title: 'Certificate of completion' } : steps[i];
      $$('main > section.step').forEach((sec) => { sec.hidden = sec.id !== 'page-' + id; });
      const total = steps.length;
      $('#lp-progress').textContent = i < 0 ? 'Certificate' : 'Page ' + (i + 1) + ' of ' + total;
      $('#lp-progress-bar').style.width = (i < 0 ? 100 : Math.round(100 * (i + 1) / total)) + '%';
      if (i >= 0) markVisited(i);
      $$('.menu-list a').forEach((a) => {
        const si = stepIndex(a.dataset.step);
        if (a.dataset.step === id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
        a.querySelector('.visited-mark').textContent = visited(si) ? ' (visited)' : '';
        a.classList.toggle('visited', visited(si));
      });
      const menu = $('#lp-menu');
      if (menu) menu.open = false;
      const pager = $('#lp-pager');
      pager.hidden = i < 0;
      const prev = steps[i - 1]; const next = steps[i + 1];
      $('#lp-prev').hidden = !prev; $('#lp-next').hidden = !next;
      if (prev) $('#lp-prev-title').textContent = prev.title;
      if (next) $('#lp-next-title').textContent = next.title;
      document.title = current.title + ' \u2013 ' + (i < 0 ? '' : 'page ' + (i + 1) + ' of ' + total + ' \u2013 ') + course.title;
      if (!opts.initial) { // (at start Chrome would then scroll to the fragment on load)
        try { history.replaceState(null, '', '#page-' + id); } catch (e) { /* sandboxed frame */ }
      }
      if (i === 0) cover();
      if (id === 'results') renderResults();
      if (id === 'certificate') renderCertificate();
      if (opts.focus !== false) {
        window.scrollTo(0, 0);
        const h = $('#h-' + id);
        if (h) h.focus();
      }
      if (opts.save !== false) save();
    }

    // The cover's action: Start, or Continue at the furthest page a returning learner reached.
    function cover() {
      const far = steps[state.vis.lastIndexOf('1')];
      const back = !!far && far !== steps[0];
      const go = $('#lp-continue');
      if (!go) return;
      go.hidden = !back; $('#lp-start').hidden = back; $('#lp-continue-where').hidden = !back;
      if (!back) return;
      go.href = '#page-' + far.id;
      $('#lp-continue-where').textContent = 'Page ' + (stepIndex(far.id) + 1) + ' of ' + steps.length + ': ' + far.title;
    }

    // #page-ID is a step; #page-ID.HEADING a heading on it (a page link with an anchor).
    function target(hash) {
      const m = /^#page-([^.]+)(?:\.(.+))?$/.exec(hash || '');
      return m && (stepIndex(m[1]) >= 0 || m[1] === 'certificate') ? { id: m[1], heading: m[2] } : null;
    }
    function go(to) {
      const h = to.heading && document.getElementById('page-' + to.id + '.' + to.heading);
      if (!current || current.id !== to.id) show(to.id, { focus: !h });
      if (h) { h.setAttribute('tabindex', '-1'); h.scrollIntoView(); h.focus({ preventScroll: true }); }
    }
    document.addEventListener('click', (ev) => {
      const a = ev.target.closest && ev.target.closest('a[href^="#"]');
      if (!a) return;
      const href = a.getAttribute('href');
      if (href === '#main') { ev.preventDefault(); const h = $('#h-' + current.id); if (h) h.focus(); return; }
      const to = target(href);
      if (to) { ev.preventDefault(); go(to); }
    });
    window.addEventListener('hashchange', () => {
      const to = target(location.hash);
      if (to && (!current || to.id !== current.id || to.heading)) go(to);
    });
    $('#lp-prev').addEventListener('click', () => show(steps[stepIndex(current.id) - 1].id));
    $('#lp-next').addEventListener('click', () => show(steps[stepIndex(current.id) + 1].id));

    // -- quiz (review settings: quiz.js) --
    const Q = window.lmspackQuiz;
    let reviewOpen = false; // the right answers may be shown (kept up to date after each answer)
    const isRevealed = () => (adapter.revealed ? adapter.revealed() : Q.revealed(data, state, summary().attempt.done));
    const mayRetake = () => (adapter.canRetake ? adapter.canRetake() : Q.canRetake(data, state));
    const allowedTries = () => (adapter.allowedTries ? adapter.allowedTries() : null);
    const view = (qid, r, response) => ('revealed' in r ? r : Q.present(r, qById[qid], response, reviewOpen));
    function arrangeAll() {
      data.questions.forEach((q) => {
        const ids = (adapter.optionOrder && adapter.optionOrder(q.id)) || Q.order(data, q, state.sh);
        Q.arrange($('#question-' + q.id + ' form'), ids);
      });
    }
    function replayAll(quiet) { // show every answer of this try again (on resume; once the key is revealed)
      return Promise.all(Object.keys(state.a).filter((qid) => qById[qid]).map((qid) => {
        const a = answer(qid);
        return adapter.checkAnswer(qid, a.ids, { replay: true }).then((r) => renderQuestion(qid, view(qid, r, a.ids), a.ids, quiet));
      }));
    }
    // One question at a time (all stay in the page without JavaScript): Previous, Next and
    // the list of questions, which says in words which are answered.
    const qEls = $$('.question');
    let qi = 0;
    function showQuestion(i, focus) {
      if (!qEls.length) return;
      qi = Math.max(0, Math.min(i, qEls.length - 1));
      qEls.forEach((li, j) => { li.hidden = j !== qi; });
      $('#lp-qprev').hidden = qi === 0;
      $('#lp-qnext').hidden = qi === qEls.length - 1;
      questionList();
      if (focus) $('.question-number', qEls[qi]).focus();
    }
    function questionList() {
      const n = qEls.length;
      const done = data.questions.filter((q) => state.a[q.id]).length;
      $('#lp-qnav-count').textContent = '(' + done + ' of ' + n + ' answered)';
      $$('.qnav a').forEach((a, j) => {
        const yes = !!state.a[a.dataset.question];
        a.classList.toggle('done', yes);
        a.setAttribute('aria-label', 'Question ' + (j + 1) + (yes ? ', answered' : ', not answered'));
        if (j === qi) a.setAttribute('aria-current', 'step'); else a.removeAttribute('aria-current');
      });
    }
    const firstOpen = () => Math.max(0, data.questions.findIndex((q) => !state.a[q.id]));
    if (qEls.length) {
      $('#lp-qprev').addEventListener('click', () => showQuestion(qi - 1, true));
      $('#lp-qnext').addEventListener('click', () => showQuestion(qi + 1, true));
      $('.qnav').addEventListener('click', (ev) => {
        const a = ev.target.closest('a');
        if (!a) return;
        ev.preventDefault();
        showQuestion(qEls.findIndex((li) => li.dataset.question === a.dataset.question), true);
      });
    }
    function responseOf(form) { // in the order the course wrote them, whatever order was shown
      const checked = $$('input:checked', form).map((i) => i.value);
      return qById[form.dataset.question].options.filter((id) => checked.includes(id));
    }
    function renderQuestion(qid, result, response, quiet) {
      const li = $('#question-' + qid);
      const form = $('form', li);
      $$('input', form).forEach((inp) => { inp.checked = response.includes(inp.value); inp.disabled = true; });
      const btn = $('button', form);
      btn.setAttribute('aria-disabled', 'true');
      btn.textContent = 'Answer checked';
      $('.form-error', form).hidden = true;
      li.classList.add(result.correct ? 'is-correct' : 'is-wrong');
      const right = result.correctResponse || (result.correct ? response : []);
      $$('.option', form).forEach((opt) => {
        const id = opt.dataset.option;
        const bits = [];
        if (response.includes(id)) bits.push('<strong>Your answer.</strong>');
        if (right.includes(id)) bits.push('<strong class="right">Correct answer.</strong>');
        if (result.options && result.options[id]) bits.push(result.options[id]);
        $('.option-feedback', opt).innerHTML = bits.join(' ');
        opt.classList.toggle('chosen', response.includes(id));
        opt.classList.toggle('right', right.includes(id));
      });
      const live = $('#qfb-' + qid);
      if (quiet) live.setAttribute('aria-live', 'off'); // re-shown in bulk: announced once, in the result
      live.innerHTML = '<p class="verdict">' + (result.correct ? 'Your answer is correct.' : 'Your answer is not correct.') + '</p>' +
        (result.feedback ? '<p>' + result.feedback + '</p>' : '') +
        (result.correct || result.revealed || !Q.later(data) ? '' : '<p class="hint">' + Q.later(data) + '</p>');
      if (quiet) setTimeout(() => live.setAttribute('aria-live', 'polite'), 0);
    }
    function resetQuestion(li) {
      const form = $('form', li);
      $$('input', form).forEach((inp) => { inp.checked = false; inp.disabled = false; });
      const btn = $('button', form);
      btn.removeAttribute('aria-disabled');
      btn.textContent = 'Check answer';
      li.classList.remove('is-correct', 'is-wrong');
      $$('.option', form).forEach((opt) => { opt.classList.remove('chosen', 'right'); $('.option-feedback', opt).innerHTML = ''; });
      $('.feedback', li).innerHTML = '';
    }
    $$('form.question-form').forEach((form) => {
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const qid = form.dataset.question;
        if (state.a[qid] || form.dataset.busy) return;
        const response = responseOf(form);
        const err = $('.form-error', form);
        if (!response.length) {
          err.textContent = qById[qid].type === 'multiple' ? 'Select at least one answer, then check it.' : 'Select an answer, then check it.';
          err.hidden = false;
          $('input', form).focus();
          return;
        }
        err.hidden = true;
        form.dataset.busy = '1';
        adapter.checkAnswer(qid, response).then((result) => {
          delete form.dataset.busy;
          state.a[qid] = response.join(',') + (result.correct ? '+' : '-');
          adapter.answered({ q: qById[qid], response, correct: result.correct, correctResponse: result.correctResponse, prompt: $('legend', form).innerHTML });
          const s = summary();
          if (s.attempt.done) {
            state.last = { s: Math.round(100 * s.attempt.right / s.attempt.total), o: {} };
            summary().outcomes.forEach((o) => { state.last.o[o.id] = o.score; });
            if (state.last.s >= course.passMark) state.p = 1;
          }
          const opened = !reviewOpen && isRevealed();
          reviewOpen = reviewOpen || opened;
          renderQuestion(qid, view(qid, result, response), response);
          questionList();
          if (opened) replayAll(true);
          save();
          renderQuizResult();
        }, () => {
          delete form.dataset.busy;
          err.textContent = 'Your answer could not be checked. Check your connection and try again.';
          err.hidden = false;
        });
      });
    });
    // A bar per outcome, its numbers in words beside it (widths set after: no inline styles).
    function outcomeBars(s, title) {
      const word = { passed: 'Met', failed: 'Not yet met', incomplete: 'In progress', 'not attempted': 'Not started' };
      return title + '<ul class="bars">' + s.outcomes.map((o) => {
        const n = data.questions.filter((q) => q.outcome === o.id).length;
        const pct = o.score === null ? 0 : o.score;
        const nums = o.score === null ? '' : Math.round(pct * n / 100) + ' of ' + n + ' right, ' + pct + '%: ';
        return '<li class="' + o.status.replace(' ', '-') + '"><span class="bar-text">' + esc(o.text) + '</span>' +
          '<span class="bar" data-w="' + pct + '"><span></span></span><strong class="bar-value">' + nums + word[o.status] + '</strong></li>';
      }).join('') + '</ul>';
    }
    function fillBars(el) { $$('.bar', el).forEach((b) => { b.firstChild.style.width = b.dataset.w + '%'; }); }
    function renderQuizResult() {
      const box = $('#lp-quiz-result');
      if (!box) return;
      const s = summary();
      const retake = $('#lp-retake');
      if (!s.attempt.done) {
        box.innerHTML = (state.last ? '<p>Your last finished attempt scored ' + state.last.s + '%. It stays on record until you answer every question in this attempt.</p>' : '') +
          (state.att > 1 ? Q.attemptsLine(data, state, false, allowedTries()) : '');
        if (retake) retake.hidden = true;
        return;
      }
      const again = mayRetake();
      box.innerHTML = '<h2>Your quiz result</h2><p class="score-line">You scored ' + s.score + '% (' + s.attempt.right +
        ' of ' + s.attempt.total + ' correct). The pass mark is ' + course.passMark + '%. <strong class="' + (s.passed ? 'pass' : 'fail') + '">' +
        (s.passed ? 'You passed.' : 'You have not passed yet.') + '</strong></p>' + outcomeBars(s, '<h3>Result for each learning outcome</h3>') +
        (reviewOpen && data.review.reveal !== 'always' ? '<p>The right answers and the notes on every option are now shown with each question.</p>' : '') +
        (s.passed || !again ? '' : '<p>Look again at the pages for the outcomes not yet met, then retake the quiz.</p>') +
        Q.attemptsLine(data, state, true, allowedTries());
      fillBars(box);
      if (retake) retake.hidden = !again;
    }
    const retakeBtn = $('#lp-retake');
    if (retakeBtn) retakeBtn.addEventListener('click', startRetake);
    function startRetake() {
      if (retakeBtn.dataset.busy) return;
      retakeBtn.dataset.busy = '1';
      (adapter.retake ? adapter.retake() : Promise.resolve()).then(() => {
        delete retakeBtn.dataset.busy;
        state.a = {}; state.att = (state.att || 1) + 1; state.sh = Q.newSeed();
        $$('.question').forEach(resetQuestion);
        arrangeAll();
        reviewOpen = isRevealed();
        save();
        renderQuizResult();
        showQuestion(0);
        const first = $('.question input');
        if (first) first.focus();
      }, (e) => {
        delete retakeBtn.dataset.busy;
        retakeBtn.hidden = e.status === 403; // no attempts left: the server's reason says so
        $('#lp-quiz-result').insertAdjacentHTML('beforeend', '<p class="form-error">' +
          esc(e.status ? e.message : 'A new attempt could not be started. Check your connection and try again.') + '</p>');
      });
    }

    // -- reflections and evaluation --
    function setupTexts(max) {
      $$('textarea').forEach((ta) => {
        ta.maxLength = max;
        const hint = $('#' + ta.id + '-limit');
        if (hint) hint.textContent = 'Up to ' + max.toLocaleString('en-GB') + ' characters.';
        const key = ta.dataset.reflection || ta.name;
        ta.addEventListener('input', () => { state.t[key] = ta.value.slice(0, max); saveSoon(); });
        ta.addEventListener('change', () => { state.t[key] = ta.value.slice(0, max); save(); });
      });
    }
    const evForm = $('#lp-evaluation');
    const EV_SENT = '<p class="verdict pass">Thank you. Your evaluation has been sent.</p>';
    function evValue(e) {
      if (e.type === 'text') return (state.t[e.id] || '').trim();
      return state.ev[e.id] || '';
    }
    if (evForm) {
      evForm.addEventListener('change', (ev) => {
        const t = ev.target;
        if (t.type === 'radio') { state.ev[t.name] = t.value; save(); }
      });
      evForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const missing = data.evaluation.filter((e) => e.required && !evValue(e));
        data.evaluation.forEach((e) => {
          const err = $('#ee-' + e.id);
          const bad = missing.includes(e);
          err.hidden = !bad;
          err.textContent = bad ? (e.type === 'text' ? 'Write an answer.' : e.type === 'rating' ? 'Choose a rating from 1 to 5.' : 'Choose yes or no.') : '';
          $$('[name="' + e.id + '"]', evForm).forEach((inp) => {
            if (bad) inp.setAttribute('aria-invalid', 'true'); else inp.removeAttribute('aria-invalid');
          });
        });
        const status = $('#lp-evaluation-status');
        if (missing.length) {
          status.innerHTML = '<p>' + (missing.length === 1 ? 'One question needs' : missing.length + ' questions need') + ' an answer.</p>';
          $('[name="' + missing[0].id + '"]', evForm).focus();
          return;
        }
        if (evSending) return;
        const sent = adapter.evaluated && adapter.evaluated(data.evaluation.map((e) => ({ q: e, value: evValue(e) })));
        if (!(sent && sent.then)) { // an LMS API call: done when it returns
          state.evd = 1;
          save();
          status.innerHTML = EV_SENT;
          return;
        }
        // a server's answer: "sent" only on its 2xx; until then the answers stay in the form
        evSending = true;
        status.innerHTML = $('#lp-notice').dataset.offline ? EV_WAITING : '<p>Sending your evaluation\u2026</p>';
        save();
        sent.then(() => {
          evSending = false;
          state.evd = 1;
          save();
          status.innerHTML = EV_SENT;
        }, (e) => {
          evSending = false;
          status.innerHTML = '<p class="form-error">Your evaluation was not sent' + (e && e.status ? ': ' + esc(e.message) : '.') +
            ' Your answers are kept here; check them and send the evaluation again.</p>';
        });
      });
    }

    // -- results and certificate --
    function renderResults() {
      const s = summary();
      const box = $('#lp-results-main');
      const item = (done, text, step) => '<li class="' + (done ? 'done' : 'todo') + '"><span class="badge">' + (done ? 'Done' : 'To do') + '</span> ' +
        (step ? '<a href="#page-' + step + '">' + text + '</a>' : text) + '</li>';
      const firstUnread = steps.find((st, i) => st.kind === 'page' && !visited(i));
      let quizText = 'Quiz: not finished yet';
      if (s.quizDone) quizText = 'Quiz: ' + s.score + '%, ' + (s.passed ? 'passed' : 'not passed yet (pass mark ' + course.passMark + '%)');
      const left = s.need.map((n) => ({ pages: 'read every page', quiz: 'passed the quiz', evaluation: 'sent the evaluation' })[n]).filter(Boolean);
      let html = '<div class="finish' + (s.finished ? ' done' : '') + '"><p class="finish-title">' +
        (s.finished ? 'You have finished the pre-work' : s.certificate ? 'Your certificate is ready' : 'Not finished yet') + '</p><p>' +
        (s.finished ? 'Well done: every page read, the quiz passed' + (data.evaluation.length ? ' and your evaluation sent' : '') + '.'
          : s.certificate ? 'You have done everything your certificate needs.' : 'Here is what you have done so far, and what is left.') + '</p></div>' +
        '<h2>What you did</h2><ul class="checklist">' +
        item(s.pagesDone === s.pagesTotal, 'Pages read: ' + s.pagesDone + ' of ' + s.pagesTotal, firstUnread && firstUnread.id) +
        (s.quizStep >= 0 ? item(s.passed, quizText, 'quiz') : '') +
        (data.evaluation.length ? item(!!state.evd, 'Evaluation: ' + (state.evd ? 'sent' : 'not sent yet'), 'evaluation') : '') + '</ul>';
      if (s.quizDone) html += outcomeBars(s, '<h2>Your learning outcomes</h2>');
      html += '<h2>Your certificate</h2>';
      if (s.certificate) html += '<p>You have completed everything needed for your certificate.</p>';
      else if (s.need.includes('attendance')) html += '<p>Your certificate is issued once your attendance at the live session is recorded.</p>';
      else html += '<p>Your certificate is available once you have ' + left.join(', ').replace(/, ([^,]*)$/, ' and $1') + '.</p>';
      box.innerHTML = html;
      fillBars(box);
      $('#lp-cert-actions').hidden = !s.certificate;
      const refl = data.reflections.filter((r) => state.t[r.id]);
      $('#lp-results-refl').innerHTML = !refl.length ? '' : '<h2>Your reflections</h2><p>Keep these for your CPD record: print this page or copy them.</p><dl class="reflection-list">' +
        refl.map((r) => '<dt>' + esc($('label[for="r-' + r.id + '"]').textContent) + '</dt><dd>' + esc(state.t[r.id]).replace(/\n/g, '<br>') + '</dd>').join('') + '</dl>';
    }
    function renderCertificate() {
      const s = summary();
      const nameField = $('#lp-name-field');
      const name = learnerName || state.nm || '';
      nameField.hidden = !!learnerName;
      $('#lp-name').value = state.nm || '';
      $('#lp-cert-name').textContent = name || '\u00a0';
      const d = state.d ? new Date(state.d + 'T12:00:00') : new Date();
      $('#lp-cert-date').textContent = d.toLocaleDateString(course.language || 'en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
      $('#lp-cert-score').textContent = s.score === null ? '' : s.score + '% (pass mark ' + course.passMark + '%)';
    }
    $('#lp-name').addEventListener('input', (ev) => { state.nm = ev.target.value.slice(0, 60); $('#lp-cert-name').textContent = state.nm || '\u00a0'; saveSoon(); });
    $('#lp-print').addEventListener('click', () => window.print());
    const reset = $('#lp-reset');
    if (reset) {
      reset.addEventListener('click', () => {
        if (adapter && adapter.store) adapter.store.reset();
        adapter = null;
        location.hash = '';
        location.reload();
      });
    }

    // -- lifecycle: commit when hidden, finish on pagehide (never only on unload) --
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') save(); });
    window.addEventListener('pagehide', () => {
      if (!adapter) return;
      clearTimeout(saveTimer);
      const s = summary();
      state.loc = s.location;
      adapter.finish(s, state);
    });
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted && adapter && adapter.ended) notice('This session has ended. Reopen the course from your learning platform to carry on.');
    });

    // -- start: connect, restore, show the bookmarked page --
    adapter = pickAdapter();
    adapter.start().catch(() => {
      notice('<strong>Could not start tracking with your learning platform.</strong> Your progress is saved in this browser only.');
      adapter = localAdapter();
      return adapter.start();
    }).then((res) => {
      learnerName = displayName(res.learnerName || '');
      if (res.state && res.state.v === 1) state = Object.assign(state, res.state);
      state.t = state.t || {}; state.a = state.a || {}; state.ev = state.ev || {};
      setupTexts(adapter.textLimit());
      $$('textarea').forEach((ta) => { ta.value = state.t[ta.dataset.reflection || ta.name] || ''; });
      Object.keys(state.ev).forEach((id) => {
        const inp = $('#e-' + id + '-' + state.ev[id]);
        if (inp) inp.checked = true;
      });
      if (state.evd) $('#lp-evaluation-status').innerHTML = EV_SENT; // lti: the server's evaluationSubmitted
      Object.keys(state.a).forEach((qid) => { if (!qById[qid]) delete state.a[qid]; });
      if (!state.sh) state.sh = Q.newSeed();
      arrangeAll();
      reviewOpen = isRevealed();
      showQuestion(firstOpen());
      replayAll(false).then(renderQuizResult, renderQuizResult);
      const to = target(location.hash);
      show(to ? to.id : (stepIndex(state.loc) >= 0 ? state.loc : steps[0].id), { focus: false, initial: true });
      if (to && to.heading) go(to);
      document.documentElement.classList.add('ready');
    });
  }

  // SCORM LMSs give "Last, First"; show "First Last".
  function displayName(name) {
    const parts = name.split(',');
    return parts.length === 2 && parts[1].trim() ? parts[1].trim() + ' ' + parts[0].trim() : name.trim();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot); else boot();
}());
