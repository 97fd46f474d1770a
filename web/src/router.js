// The pages' addresses: real paths (/projects/P1/subjects/S1), so links can be shared and
// opened in a new tab; httpd answers any of them with index.html (FallbackResource).
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

export function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  listeners.forEach((fn) => fn());
}

export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location.pathname;
}

// A path's route: its name and its decoded parameters, or null.
const ROUTES = [
  ['projects', /^\/(?:projects)?\/?$/],
  ['project', /^\/projects\/([^/]+)\/?$/],
  ['subject', /^\/projects\/([^/]+)\/subjects\/([^/]+)\/?$/],
  ['session', /^\/projects\/([^/]+)\/experiments\/([^/]+)\/?$/],
  ['scan', /^\/projects\/([^/]+)\/experiments\/([^/]+)\/scans\/([^/]+)\/?$/],
  ['upload', /^\/(?:projects\/([^/]+)\/)?upload\/?$/],
  ['prearchive', /^\/(?:projects\/([^/]+)\/)?prearchive\/?$/],
  ['customVariables', /^\/projects\/([^/]+)\/custom-variables\/?$/],
  ['projectSettings', /^\/projects\/([^/]+)\/settings\/?$/],
  ['admin', /^\/admin\/?$/],
  ['adminUser', /^\/admin\/users\/([^/]+)\/?$/],
  ['search', /^\/search\/?$/],
];

export function match(path) {
  for (const [name, re] of ROUTES) {
    const m = re.exec(path);
    if (m) return { name, params: m.slice(1).map((x) => (x === undefined ? x : decodeURIComponent(x))) };
  }
  return null;
}

// An in-app link: a real <a href> (keyboard, middle click, copy link all work), followed
// without reloading the page on a plain click.
export function onLinkClick(e) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest && e.target.closest('a[data-route]');
  if (!a) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
}
