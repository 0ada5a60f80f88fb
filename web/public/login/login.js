// The login step. A token given as `#token=…` (never sent to the server in a URL) is posted at once and the
// fragment dropped; otherwise the form posts what is typed. The server answers with an HttpOnly cookie.
const params = new URLSearchParams(location.search);
const next = params.get('next') || '/';
const message = document.getElementById('message');
document.getElementById('next').value = next;

function say(text) {
  message.textContent = text;
  message.hidden = false;
}

if (params.get('failed')) say('That token was refused.');

const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
if (m) {
  history.replaceState(null, '', location.pathname + location.search);
  const body = new URLSearchParams({ token: decodeURIComponent(m[1]), next });
  fetch('/login', { method: 'POST', body, headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then(async (res) => {
      const answer = await res.json().catch(() => ({}));
      if (res.ok) location.replace(answer.next || '/');
      else say('The token in the link was refused.');
    })
    .catch((err) => say(`cannot reach the server: ${err.message}`));
}
