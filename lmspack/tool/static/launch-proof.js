/* The launch came back to the frame without the state cookie (templates/launch_complete.html,
   embedded.py): find the login's proof that the login page kept in this browser and post the
   launch again with it, from this page (the tool accepts the proof only from its own origin).
   Where it looks: this frame's sessionStorage and localStorage, the platform's storage, then
   a cookie that the Storage Access API lets through. */
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

  function fromCookie() {
    const read = () => {
      const hit = document.cookie.split('; ').find((c) => c.startsWith(cookieName + '='));
      return hit ? hit.slice(cookieName.length + 1) : null;
    };
    if (typeof document.hasStorageAccess !== 'function') return Promise.resolve(read());
    return document.hasStorageAccess()
      .then((has) => (has ? null : document.requestStorageAccess()))
      .then(read, () => null);
  }

  const local = [fromStorage('sessionStorage'), fromStorage('localStorage')].find(Boolean); // both removed
  (local ? Promise.resolve(local) : fromPlatform().then((v) => v || fromCookie())).then((proof) => {
    if (!proof) {
      document.getElementById('lp-launch-wait').hidden = true;
      document.getElementById('lp-launch-failed').hidden = false;
      return;
    }
    form.elements.lmspack_proof.value = proof;
    form.submit();
  });
}());
