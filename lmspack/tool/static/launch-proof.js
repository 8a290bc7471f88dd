/* The launch came back to the frame without the state cookie (templates/launch_complete.html,
   embedded.py): find the login's proof that the login page kept in this browser and post the
   launch again with it, from this page (the tool accepts the proof only from its own origin).
   Where it looks: this frame's sessionStorage, localStorage and the login page's own cookie,
   the platform's storage, then a cookie that the Storage Access API lets through. */
(function () {
  'use strict';
  const form = document.getElementById('lp-launch');
  const d = form.dataset;
  const state = form.elements.state.value;
  const key = 'lmspack-login:' + state;
  const cookieName = 'lmspack-login-' + state;

  function fromStorage(storage) {
    try {
      const v = window[storage].getItem(key);
      if (v) window[storage].removeItem(key);
      return v;
    } catch (e) { return null; }
  }

  function fromPlatform() {
    if (window.parent === window && !window.opener) return Promise.resolve(null);
    return window.lmspackPlatformStorage.get(key, { origin: d.platformOrigin, target: d.storageTarget })
      .catch(() => null);
  }

  // the login page's own cookie (partitioned, or let through by the Storage Access API): read
  // once, then forgotten (both kinds: a partitioned cookie is deleted only as partitioned)
  function fromCookie() {
    try {
      const hit = document.cookie.split('; ').find((c) => c.startsWith(cookieName + '='));
      if (!hit) return null;
      const secure = location.protocol === 'https:' ? '; Secure; SameSite=None' : '';
      document.cookie = cookieName + '=; Max-Age=0; Path=/' + secure;
      if (secure) document.cookie = cookieName + '=; Max-Age=0; Path=/' + secure + '; Partitioned';
      return hit.slice(cookieName.length + 1);
    } catch (e) { return null; } // SecurityError: this document may not use cookies
  }

  function withStorageAccess() {
    if (typeof document.hasStorageAccess !== 'function') return Promise.resolve(null);
    return document.hasStorageAccess().then((has) => (has ? null
      : document.requestStorageAccess().then(fromCookie, () => null)), () => null);
  }

  // what this frame holds first (each one read is removed), then the platform's storage, then a
  // cookie the Storage Access API lets through
  const here = [fromStorage('sessionStorage'), fromStorage('localStorage'), fromCookie()].find(Boolean);
  (here ? Promise.resolve(here) : fromPlatform().then((v) => v || withStorageAccess())).then((proof) => {
    if (!proof) {
      document.getElementById('lp-launch-wait').hidden = true;
      document.getElementById('lp-launch-failed').hidden = false;
      return;
    }
    form.elements.lmspack_proof.value = proof;
    form.submit();
  });
}());
