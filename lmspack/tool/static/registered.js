/* The registration page's Finish button: tells the platform's registration frame to close
   (LTI Dynamic Registration). A file: the tool's pages run no inline script. */
document.getElementById('close').addEventListener('click', function () {
  window.parent.postMessage({ subject: 'org.imsglobal.lti.close' }, '*');
});
