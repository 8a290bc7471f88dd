/* The launch token in this tab (see templates/_launch_token.html): a page opened with
   ?t=<token> keeps it in the tab's sessionStorage and takes it out of the address; the 401
   page brings it back on a reload. A file, not inline script: the tool's pages run no
   inline script (Content-Security-Policy script-src 'self'). */
(function (mode) {
  try {
    var url = new URL(location.href), key = 'lmspack-launch:' + url.pathname;
    var t = url.searchParams.get('t');
    if (mode === 'keep' && t) {
      sessionStorage.setItem(key, t);
      url.searchParams.delete('t');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    } else if (mode === 'restore' && !url.searchParams.has('t')) {
      t = sessionStorage.getItem(key);
      if (t) location.replace(url.pathname + '?t=' + encodeURIComponent(t) + url.hash);
    }
  } catch (e) { /* no storage in this frame: the token stays in the address */ }
})(document.currentScript && document.currentScript.getAttribute('data-mode'));
