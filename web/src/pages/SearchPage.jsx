// Search: pick the row type, build AND/OR conditions over its fields (custom variables
// included), choose columns, run it, download its CSV; store it (shared with a project
// or not), and run stored searches. Everything goes through /data/search.
import { useState } from 'preact/hooks';
import { getText, listing, request, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { CriteriaGroup } from '../search/CriteriaGroup.jsx';
import { ResultsTable } from '../search/ResultsTable.jsx';
import { SavedSearches } from '../search/SavedSearches.jsx';
import { newGroup, toJson } from '../search/searchModel.js';

const LIMIT = 1000;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

const post = (format, body) => request(`/data/search?format=${format}`,
  { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });

export function SearchPage({ user }) {
  const elements = useLoad(() => listing('/data/search/elements'), []);
  const projects = useLoad(() => listing('/data/projects', { columns: 'ID' }), []);
  const [savedTick, setSavedTick] = useState(0);
  const saved = useLoad(() => listing('/data/search/saved'), [savedTick]);
  const [root, setRoot] = useState('xnat:subjectData');
  const fields = useLoad(() => listing(`/data/search/elements/${seg(root)}`), [root]);
  const [where, setWhere] = useState(() => newGroup('and'));
  const [columns, setColumns] = useState([]);
  const [result, setResult] = useState(null); // { title, rows, csv, fileName }
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [saveId, setSaveId] = useState('');
  const [saveDesc, setSaveDesc] = useState('');
  const [shareWith, setShareWith] = useState('');

  const fieldRows = fields.data ? fields.data.rows : [];
  const search = () => toJson({ root, columns, where }, LIMIT);

  const show = async (title, fetchJson, csv, fileName) => {
    setBusy(true);
    setError('');
    try {
      const j = await fetchJson();
      setResult({ title, rows: (j.ResultSet && j.ResultSet.Result) || [], csv, fileName });
    } catch (e) {
      setError(e.message);
      setResult(null);
    } finally { setBusy(false); }
  };

  const run = (e) => {
    e.preventDefault();
    const s = search();
    show('Results', async () => (await post('json', s)).json(),
      async () => (await post('csv', s)).text(), 'search.csv');
  };

  const runSaved = (r) => {
    const base = `/data/search/saved/${seg(r.id)}/results`;
    show(`Results of ${r.id}`, async () => (await request(`${base}?format=json`)).json(),
      () => getText(`${base}?format=csv`), `${r.id}.csv`);
  };

  const save = async (e) => {
    e.preventDefault();
    setMessage('');
    // not shared with a project: the owner is its one allowed user (none would be everyone)
    const body = { ...search(), brief_description: saveDesc || saveId,
      ...(shareWith ? {} : { users: [user] }) };
    delete body.limit;
    const q = shareWith ? `?project=${seg(shareWith)}` : '';
    try {
      await request(`/data/search/saved/${seg(saveId)}${q}`,
        { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify(body) });
      setMessage(`Stored ${saveId}${shareWith ? `, shared with ${shareWith}` : ''}.`);
      setSavedTick((t) => t + 1);
    } catch (err) { setMessage(`Could not store it: ${err.message}`); }
  };

  const changeRoot = (v) => {
    setRoot(v);
    setWhere(newGroup('and'));
    setColumns([]);
  };

  return (
    <section>
      <h1>Search</h1>
      <Status state={elements} what="the data types" />
      <form class="search-form" onSubmit={run} aria-label="Search builder">
        <label for="search-root">Rows</label>
        <select id="search-root" value={root} onChange={(e) => changeRoot(e.currentTarget.value)}>
          {(elements.data ? elements.data.rows : [{ ELEMENT_NAME: root, PLURAL: root }]).map((el) => (
            <option key={el.ELEMENT_NAME} value={el.ELEMENT_NAME}>{el.PLURAL || el.ELEMENT_NAME} ({el.ELEMENT_NAME})</option>
          ))}
        </select>
        <Status state={fields} what="the fields" />
        <CriteriaGroup group={where} fields={fieldRows} onChange={setWhere} />
        <label for="search-columns">Columns (none chosen: the type's usual ones)</label>
        <select id="search-columns" multiple size={6} value={columns}
          onChange={(e) => setColumns([...e.currentTarget.selectedOptions].map((o) => o.value))}>
          {fieldRows.map((f) => <option key={f.FIELD_ID} value={f.FIELD_ID}>{f.HEADER || f.FIELD_ID}</option>)}
        </select>
        <div><button type="submit" id="search-run" disabled={busy}>{busy ? 'Searching…' : 'Search'}</button></div>
      </form>
      {error && <p class="error" role="alert" id="search-error">{error}</p>}
      {result && <ResultsTable {...result} limit={LIMIT} />}

      <h2>Store this search</h2>
      <form class="archive-form" onSubmit={save} aria-label="Store the search">
        <label for="save-id">ID</label>
        <input id="save-id" required pattern="[A-Za-z0-9_\-][A-Za-z0-9_.\-]*" maxLength={100}
          value={saveId} onInput={(e) => setSaveId(e.currentTarget.value)} />
        <label for="save-desc">Description</label>
        <input id="save-desc" value={saveDesc} onInput={(e) => setSaveDesc(e.currentTarget.value)} />
        <label for="save-share">Share with</label>
        <select id="save-share" value={shareWith} onChange={(e) => setShareWith(e.currentTarget.value)}>
          <option value="">no one: only you</option>
          {(projects.data ? projects.data.rows : []).map((p) => <option key={p.ID} value={p.ID}>readers of {p.ID}</option>)}
        </select>
        <button type="submit" id="save-run">Store</button>
      </form>
      {message && <p class="notice" role="status" id="save-message">{message}</p>}

      <h2>Stored searches</h2>
      <Status state={saved} what="the stored searches" />
      <SavedSearches state={saved} onRun={runSaved} setMessage={setMessage}
        onChanged={() => setSavedTick((t) => t + 1)} />
    </section>
  );
}
