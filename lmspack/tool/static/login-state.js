/* The OIDC login page in the platform's frame (templates/login_frame.html, embedded.py).
   The state cookie was set with this page; where this browser may not send it back, the
   login's proof is also kept: in a (partitioned) cookie the page sets itself, in the
   platform's storage (when the platform offers it), and in this frame's sessionStorage, else
   localStorage (partitioned by the top-level site). Then on to the platform. If nothing could be kept: one click for the Storage Access API, where
   the browser offers it; else a new window, with a plain message. */
(function () {
  'use strict';
  const box = document.getElementById('lp-login');
  const d = box.dataset;
  const key = 'lmspack-login:' + d.state;
  const cookieName = 'lmspack-login-' + d.state;
  const secure = location.protocol === 'https:' ? '; Secure; SameSite=None' : '';
  const framed = window.parent !== window;

  const go = () => location.replace(d.authUrl);
  const show = (id) => { document.getElementById('lp-login-wait').hidden = true; document.getElementById(id).hidden = false; };

  // Would a cookie set here come back? (the state cookie is HttpOnly: try one of our own, the
  // proof itself, which the launch page reads where the state cookie was kept away from it)
  function keptInCookie(partitioned) {
    try {
      document.cookie = cookieName + '=' + d.proof + '; Max-Age=600; Path=/' + secure
        + (partitioned && secure ? '; Partitioned' : '');
      return document.cookie.split('; ').includes(cookieName + '=' + d.proof);
    } catch (e) { return false; }
  }

  function keptIn(storage) {
    try {
      window[storage].setItem(key, d.proof);
      return window[storage].getItem(key) === d.proof;
    } catch (e) { return false; } // SecurityError: this frame may not use it
  }

  function keptInPlatform(cookie, local) {
    const where = { origin: d.platformOrigin, target: d.storageTarget };
    // ask a platform that did not say it offers storage only when nothing else worked
    if (!framed && !window.opener) return Promise.resolve(false);
    if (!where.target && (cookie || local)) return Promise.resolve(false);
    return window.lmspackPlatformStorage.put(key, d.proof, where).catch(() => false);
  }

  function offerNewWindow() {
    show('lp-login-window');
    document.getElementById('lp-login-access').hidden = true;
    document.getElementById('lti1p3-new-tab-link').addEventListener('click', () => {
      document.getElementById('lp-login-opened').hidden = false;
    });
  }

  // Storage Access API: after the learner's click, a cookie of ours may be set in this frame;
  // the launch page asks for the same access and reads it back.
  function offerStorageAccess() {
    show('lp-login-access');
    document.getElementById('lp-login-allow').addEventListener('click', () => {
      // granted is not enough: Chromium grants it where the site's cookies are blocked, and
      // the cookie still does not stick
      document.requestStorageAccess().then(() => (keptInCookie(false) ? go() : offerNewWindow()),
        offerNewWindow);
    }, { once: true });
  }

  const cookie = keptInCookie(true);
  // this tab's sessionStorage; localStorage (which outlives the tab) only where that fails
  const local = keptIn('sessionStorage') || keptIn('localStorage');
  keptInPlatform(cookie, local).then((platform) => {
    if (cookie || local || platform) go();
    else if (framed && typeof document.requestStorageAccess === 'function') offerStorageAccess();
    else offerNewWindow();
  });
}());
