// A search's rows as the server sent them (its columns, its order), and the same search's
// CSV from the server, saved as a file.
import { useState } from 'preact/hooks';

function saveFile(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function ResultsTable({ title, rows, limit, csv, fileName }) {
  const [error, setError] = useState('');
  const columns = rows.length ? Object.keys(rows[0]) : [];
  const download = async () => {
    setError('');
    try { saveFile(fileName, await csv()); } catch (e) { setError(e.message); }
  };
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">{title}</h2>
      <div class="table-tools">
        <span id="results-count">{rows.length} row{rows.length === 1 ? '' : 's'}{limit && rows.length >= limit ? ` (the first ${limit})` : ''}</span>
        <button type="button" id="results-csv" onClick={download} disabled={!rows.length}>Download CSV</button>
        {error && <span class="error" role="alert">Could not download: {error}</span>}
      </div>
      {rows.length ? (
        <div class="scroll">
          <table class="grid" id="results">
            <caption>Search results</caption>
            <thead><tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
            <tbody>
              {rows.map((r, i) => <tr key={i}>{columns.map((c) => <td key={c}>{r[c]}</td>)}</tr>)}
            </tbody>
          </table>
        </div>
      ) : <p class="empty">No rows match.</p>}
    </section>
  );
}
