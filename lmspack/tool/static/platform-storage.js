/* Platform storage over postMessage (1EdTech "LTI Client Side postMessages" and its
   "postMessage Storage" draft: lti.capabilities, lti.put_data, lti.get_data), for the login
   and launch pages in the platform's frame (embedded.py). Each request carries its own
   message_id; an answer counts only from the platform's origin, with that message_id and the
   subject "<request>.response". No answer within the timeout: the platform offers no storage
   (Moodle, today). window.lmspackPlatformStorage = { put(key, value, where), get(key, where) }
   with where = { origin, target } (target: lti_storage_target, a frame name or "_parent"). */
(function () {
  'use strict';
  const TIMEOUT = 1000;

  function platformWindow() { return window.opener || (window.parent !== window ? window.parent : null); }

  function frameNamed(name) {
    const top = platformWindow();
    if (!top || !name || name === '_parent') return top;
    try { return top.frames[name] || top; } catch (e) { return top; }
  }

  function randomId() {
    const bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
    return 'lmspack-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function send(win, origin, message) {
    return new Promise((resolve, reject) => {
      if (!win || !origin) { reject(new Error('no platform window')); return; }
      const id = randomId();
      const done = (fn, value) => { window.removeEventListener('message', onMessage); clearTimeout(timer); fn(value); };
      function onMessage(event) {
        const d = event.data;
        if (event.origin !== origin || !d || typeof d !== 'object' || d.message_id !== id) return;
        if (d.subject !== message.subject + '.response') return;
        if (d.error) done(reject, new Error(String(d.error.code || d.error.message || d.error)));
        else done(resolve, d);
      }
      const timer = setTimeout(() => done(reject, new Error('no answer')), TIMEOUT);
      window.addEventListener('message', onMessage);
      try { win.postMessage(Object.assign({}, message, { message_id: id }), origin); } catch (e) { done(reject, e); }
    });
  }

  // The frame that answers `subject`: the one lti.capabilities names, else lti_storage_target.
  function frameFor(subject, where) {
    return send(frameNamed(where.target), where.origin, { subject: 'lti.capabilities' }).then((caps) => {
      const found = (caps.supported_messages || []).find((m) => m && m.subject === subject);
      if (!found) throw new Error('the platform does not offer ' + subject);
      return frameNamed(found.frame || where.target);
    }, (err) => { if (where.target) return frameNamed(where.target); throw err; });
  }

  window.lmspackPlatformStorage = {
    put(key, value, where) {
      return frameFor('lti.put_data', where)
        .then((win) => send(win, where.origin, { subject: 'lti.put_data', key, value }))
        .then(() => true);
    },
    get(key, where) {
      return frameFor('lti.get_data', where)
        .then((win) => send(win, where.origin, { subject: 'lti.get_data', key }))
        .then((d) => (typeof d.value === 'string' ? d.value : null));
    },
  };
}());
