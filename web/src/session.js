// Logging in and out, and the session's idle time, over the API's session endpoints:
// POST /data/JSESSION with Basic credentials (local and LDAP accounts alike), DELETE to
// end it, GET /data/auth to learn who the cookie belongs to.
import { request, getJson } from './api.js';

function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  bytes.forEach((b) => { bin += String.fromCharCode(b); });
  return `Basic ${btoa(bin)}`;
}

// The login of the session cookie, or null when there is none (or it ended).
export async function currentUser() {
  try {
    const text = await (await request('/data/auth', { quiet401: true })).text();
    const m = /User '(.*)' is logged in/.exec(text);
    return m ? m[1] : null;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

// Opens a session; throws ApiError with the server's message (wrong password, disabled,
// unverified, ...), shown as it is.
export async function logIn(user, password) {
  await request('/data/JSESSION', {
    method: 'POST',
    headers: { Authorization: basic(user, password) },
    quiet401: true,
  });
  return user;
}

export async function logOut() {
  await request('/data/JSESSION', { method: 'DELETE', quiet401: true });
}

// Any request with the cookie moves the session's last use on; this one names it.
export async function renew() {
  await request('/data/JSESSION', { quiet401: true });
}

// What the login page offers and how long a session lives unused (public, no login).
export async function loginOptions() {
  try {
    return await getJson('/data/services/login-options');
  } catch {
    return { sessionTimeout: 900, institutionLogin: null };
  }
}
