// Each file's outcome: the sessions it went to, the members refused with the reason, or
// why the whole file was refused or did not arrive.
const sessionLink = (uri) => {
  const m = /^\/data\/archive\/projects\/([^/]+)\/subjects\/[^/]+\/experiments\/([^/]+)$/.exec(uri);
  if (m) return <a href={`/projects/${m[1]}/experiments/${m[2]}`} data-route>{decodeURIComponent(m[2])}</a>;
  const pre = /^\/data\/prearchive\/projects\/([^/]+)\//.exec(uri);
  if (pre) return <a href={`/projects/${pre[1]}/prearchive`} data-route>{uri.split('/').pop()} (prearchive)</a>;
  return uri;
};

export function ResultTable({ results }) {
  if (!results.length) return null;
  return (
    <table class="grid" id="upload-results">
      <caption>What each file became</caption>
      <thead><tr><th scope="col">File</th><th scope="col">Result</th><th scope="col">Sessions</th><th scope="col">Refused</th></tr></thead>
      <tbody>
        {results.map((r) => (
          <tr key={r.name} data-result={r.result}>
            <td>{r.name}</td>
            <td class={r.result === 'imported' ? '' : 'error'}>{r.result === 'imported' ? 'imported' : r.result === 'waiting' ? 'waiting' : `${r.result}: ${r.message}`}</td>
            <td>{(r.sessions || []).map((s) => <div key={s}>{sessionLink(s)}</div>)}</td>
            <td>{(r.rejected || []).map((x) => <div key={x}>{x}</div>)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
