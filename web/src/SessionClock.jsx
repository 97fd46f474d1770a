// XNAT's auto-logout countdown: the time the session has left before the server ends it
// for want of use (its idle time, from /data/services/login-options), and "Renew". Every
// answered request renews the session; the server notes a use at most once a minute, so
// the count allows that minute.
import { useEffect, useState } from 'preact/hooks';
import { onActivity } from './api.js';
import { renew } from './session.js';

const SERVER_GRANULARITY = 60; // seconds

function mmss(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function SessionClock({ timeout, onExpired }) {
  const life = Math.max(5, timeout - SERVER_GRANULARITY);
  const [last, setLast] = useState(Date.now());
  const [now, setNow] = useState(Date.now());

  useEffect(() => onActivity(setLast), []);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const left = Math.max(0, Math.round(life - (now - last) / 1000));
  useEffect(() => { if (left === 0) onExpired(); }, [left === 0]);

  const warn = left <= 60;
  return (
    <span class={warn ? 'clock warn' : 'clock'}>
      <span role={warn ? 'alert' : undefined} id="session-left">
        Session ends in <time>{mmss(left)}</time>
      </span>
      <button type="button" onClick={() => renew().catch(() => {})}>Renew</button>
    </span>
  );
}
