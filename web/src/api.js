// The REST API client: every request the pages make goes through here, to the same
// server, with the session cookie (same-origin) and nothing else.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Listeners told when the server answers 401 (the session ended): the app shows the login.
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

// The server's own message for an error: a text body, or a JSON one's message.
async function messageOf(res) {
  const text = (await res.text()).trim();
  if (!text) return `${res.status} ${res.statusText}`;
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text);
      return j.message || (j.error && j.error.message) || text;
    } catch { /* not JSON after all */ }
  }
  if (text.startsWith('<')) return `${res.status} ${res.statusText}`;
  return text;
}

// X-Requested-With tells the server this is the app, not a browser navigation: a 401
// then comes without the header that would make the browser ask for a Basic login.
// When the server last saw this session: each answered request renews it on the server.
const activityListeners = new Set();
export function onActivity(fn) {
  activityListeners.add(fn);
  return () => activityListeners.delete(fn);
}

// Tells the listeners what an answer's status means for the session (also for answers
// to requests made outside fetch: the upload's XMLHttpRequest).
export function noteStatus(status, quiet401) {
  if (status !== 401) activityListeners.forEach((fn) => fn(Date.now()));
  else if (!quiet401) unauthorizedListeners.forEach((fn) => fn());
}

export async function request(path, { method = 'GET', headers = {}, body, quiet401 } = {}) {
  const res = await fetch(path, {
    method,
    body,
    credentials: 'same-origin',
    headers: { 'X-Requested-With': 'XMLHttpRequest', ...headers },
  });
  const err = res.ok ? null : new ApiError(res.status, await messageOf(res));
  noteStatus(res.status, quiet401);
  if (err) throw err;
  return res;
}

// A form post (the services take their parameters as a form body, as pyxnat sends them).
export async function postForm(path, params) {
  return request(path, { method: 'POST', body: new URLSearchParams(params) });
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function getText(path) {
  return (await request(path)).text();
}

// A listing as XNAT's ResultSet: its rows and, for a page, the whole list's count.
export async function listing(path, params = {}) {
  const q = new URLSearchParams({ format: 'json', ...params });
  const j = await getJson(`${path}?${q}`);
  const rs = j.ResultSet || {};
  const rows = rs.Result || [];
  const total = rs.totalRecords !== undefined ? Number(rs.totalRecords) : rows.length;
  return { rows, total };
}

// Path segments are IDs and labels the server stored: always encoded.
export const seg = (s) => encodeURIComponent(s);
