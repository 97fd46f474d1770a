// The numbers behind the project's charts, computed from API listings.

// Sessions per calendar month, every month from the first to the last (none: zero).
export function perMonth(dates) {
  const counts = new Map();
  for (const d of dates) {
    const m = /^(\d{4})-(\d{2})/.exec(d || '');
    if (m) counts.set(`${m[1]}-${m[2]}`, (counts.get(`${m[1]}-${m[2]}`) || 0) + 1);
  }
  if (!counts.size) return { months: [], counts: [] };
  const keys = [...counts.keys()].sort();
  let [y, mo] = keys[0].split('-').map(Number);
  const last = keys[keys.length - 1];
  const months = [];
  for (;;) {
    const k = `${y}-${String(mo).padStart(2, '0')}`;
    months.push(k);
    if (k >= last || months.length > 1200) break;
    mo += 1;
    if (mo > 12) { mo = 1; y += 1; }
  }
  return { months, counts: months.map((k) => counts.get(k) || 0) };
}

// A histogram: about sqrt(n) bins (5 to 30) of equal width over the values' range.
export function histogram(values) {
  const v = values.filter(Number.isFinite);
  if (!v.length) return { centres: [], counts: [], width: 0 };
  const lo = Math.min(...v), hi = Math.max(...v);
  const n = hi === lo ? 1 : Math.max(5, Math.min(30, Math.round(Math.sqrt(v.length))));
  const width = hi === lo ? 1 : (hi - lo) / n;
  const counts = new Array(n).fill(0);
  for (const x of v) counts[Math.min(n - 1, Math.floor((x - lo) / width))] += 1;
  return { centres: counts.map((_, i) => lo + width * (i + 0.5)), counts, width };
}

// Points (x, y) sorted by x, one series per group (null where a point is another group's),
// as uPlot's aligned data wants them.
export function scatter(points) {
  const ok = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .sort((a, b) => a.x - b.x);
  const groups = [...new Set(ok.map((p) => p.group))].sort();
  const xs = ok.map((p) => p.x);
  const series = groups.map((g) => ok.map((p) => (p.group === g ? p.y : null)));
  return { groups, xs, series, n: ok.length };
}

export const num = (s) => (s === undefined || s === null || s === '' ? NaN : Number(s));
