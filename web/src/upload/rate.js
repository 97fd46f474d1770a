// The upload's rate and time left, as shown beside the progress bar.
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatDuration(s) {
  if (!Number.isFinite(s)) return 'unknown';
  const t = Math.max(0, Math.round(s));
  const m = Math.floor(t / 60);
  return m ? `${m} min ${t % 60} s` : `${t} s`;
}

// bytes sent of total since `started` (ms): { rate: bytes/s, left: seconds }.
export function rateAndLeft(sent, total, started, now) {
  const secs = (now - started) / 1000;
  const rate = secs > 0 ? sent / secs : 0;
  return { rate, left: rate > 0 ? (total - sent) / rate : Infinity };
}
