// A small listing (a subject's sessions, a session's scans, files) as a plain table.
// columns: [{ key, header, link?: (row) => href, download?: (row) => href }].
export function SimpleTable({ rows, columns, caption, empty = 'None.' }) {
  if (!rows.length) return <p class="empty">{empty}</p>;
  return (
    <table class="grid">
      <caption>{caption}</caption>
      <thead><tr>{columns.map((c) => <th key={c.key} scope="col">{c.header}</th>)}</tr></thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c.key}>
                {c.link ? <a href={c.link(row)} data-route>{row[c.key]}</a>
                  : c.download ? <a href={c.download(row)} download>{row[c.key]}</a>
                    : row[c.key]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
