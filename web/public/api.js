// The page's only door to the server. A token (when the server needs one) is kept for the tab's session and
// sent as a bearer header; it can be given once in the URL fragment (#token=…), which never reaches the server
// or its logs, and is removed from the address bar at once.
const KEY = 'regime-api-token';

function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}
takeTokenFromFragment();

let asking = null;

function askToken() {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    form.addEventListener(
      'submit',
      (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(KEY, input.value.trim());
        input.value = '';
        dialog.close();
        asking = null;
        resolve();
      },
      { once: true },
    );
    dialog.showModal();
  });
  return asking;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const url = `/api/${path}${qs.size ? `?${qs}` : ''}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const token = sessionStorage.getItem(KEY);
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
    if (res.status === 401) {
      await askToken();
      continue;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
    return body;
  }
  throw new ApiError(401, 'the API token was refused');
}

/** an open event stream (fetch, so the bearer header applies); resolves to the Response */
export async function openStream(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const token = sessionStorage.getItem(KEY);
  const res = await fetch(`/api/${path}${qs.size ? `?${qs}` : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  if (!res.ok || !res.body) throw new ApiError(res.status, `stream: ${res.status}`);
  return res;
}
