// CSV of a table as shown (RFC 4180: every field quoted, quotes doubled, CRLF).
export function toCsv(headers, rows) {
  const q = (v) => `"${String(v ?? '').replace(/"/g, '""')}"`;
  return [headers, ...rows].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
}
