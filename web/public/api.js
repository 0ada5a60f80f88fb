// The page's only door to the server. With a token configured the page itself is reached only after the login
// step (/login sets an HttpOnly cookie the browser sends with every request), so a 401 here means the session
// ended: the page goes back through the login step and returns to the same view.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function relogin() {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  return new ApiError(401, 'the session ended: logging in again');
}

const urlOf = (path, params) => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  return `/api/${path}${qs.size ? `?${qs}` : ''}`;
};

export async function api(path, params = {}) {
  const res = await fetch(urlOf(path, params), { cache: 'no-store', credentials: 'same-origin' });
  if (res.status === 401) throw relogin();
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** an open event stream (fetch, so it reads like any other call); resolves to the Response */
export async function openStream(path, params = {}) {
  const res = await fetch(urlOf(path, params), { cache: 'no-store', credentials: 'same-origin' });
  if (res.status === 401) throw relogin();
  if (!res.ok || !res.body) throw new ApiError(res.status, `stream: ${res.status}`);
  return res;
}
