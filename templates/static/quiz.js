/* lmspack player: the quiz's review settings in the browser (quiz.yaml `reveal`, `attempts`,
 * `shuffle`), as window.lmspackQuiz for player.js: see templates/PLAYER.md. */
(function () {
  'use strict';

  function hash(text) { // FNV-1a, 32 bits
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    return h;
  }
  function generator(seed) { // mulberry32: small, seedable, good enough to order four options
    return () => {
      seed = (seed + 0x6D2B79F5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function newSeed() {
    try { return crypto.getRandomValues(new Uint32Array(1))[0] % 2147483646 + 1; } catch (e) { return Math.floor(Math.random() * 2147483646) + 1; }
  }

  // The option ids of question q in the order this try shows them.
  function order(data, q, seed) {
    const ids = q.options.slice();
    if (!seed || q.shuffle === false || (data.review && data.review.shuffle === false)) return ids;
    const next = generator(hash(seed + ':' + q.id));
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const t = ids[i]; ids[i] = ids[j]; ids[j] = t;
    }
    return ids;
  }
  // Put a question's option elements in that order (tab and reading order follow the DOM).
  function arrange(form, ids) {
    const box = form.querySelector('.options');
    ids.forEach((id) => { const el = box.querySelector('[data-option="' + id + '"]'); if (el) box.appendChild(el); });
  }

  // Whether the right answers may be shown, from the package's own saved state: `att` the
  // current try, `p` set once a try passed; `done`: the current try is finished.
  function revealed(data, state, done) {
    const r = data.review || {};
    if (r.reveal === 'always') return true;
    if (r.reveal === 'after-pass') return !!state.p;
    if (r.reveal === 'after-last-attempt') return !!r.attempts && (state.att || 1) - (done ? 0 : 1) >= r.attempts;
    return false;
  }
  function canRetake(data, state) {
    const n = (data.review || {}).attempts;
    return !!data.retake && (!n || (state.att || 1) < n);
  }
  // What may be shown of a full result (the key in the page), as the tool does on its server:
  // until the key is revealed, the note on the option chosen for a one-answer question; for a
  // multiple-response one nothing more than the verdict (notes would say which choices are right).
  function present(result, q, response, open) {
    if (open) return Object.assign({}, result, { revealed: true });
    const noted = result.correct || q.type !== 'multiple' ? response : [];
    const options = {};
    noted.forEach((id) => { if (result.options && result.options[id]) options[id] = result.options[id]; });
    return { correct: result.correct, feedback: result.correct ? result.feedback : '', options, revealed: false };
  }
  // Said under a wrong answer while the key is kept back.
  function later(data) {
    const mode = (data.review || {}).reveal;
    if (mode === 'after-pass') return 'The right answer is shown once you have passed the quiz.';
    if (mode === 'after-last-attempt') return 'The right answer is shown after your last attempt.';
    return '';
  }
  function attemptsLine(data, state, done, allowed) { // allowed: the server's count, with extra tries a teacher gave
    const n = allowed || (data.review || {}).attempts;
    if (!n || n === 1) return '';
    const left = n - (state.att || 1);
    if (!done) return '<p>This is attempt ' + (state.att || 1) + ' of ' + n + '.</p>';
    return left > 0 ? '<p>You have ' + (left === 1 ? 'one more attempt' : left + ' more attempts') + '.</p>'
      : '<p>You have used all ' + n + ' attempts at this quiz.</p>';
  }

  window.lmspackQuiz = { order, arrange, newSeed, revealed, canRetake, present, later, attemptsLine };
}());
