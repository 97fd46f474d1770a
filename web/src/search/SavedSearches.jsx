// The stored searches the user sees (own, shared with a project they read, or open to
// all): run one, delete one.
import { request, seg } from '../api.js';

export function SavedSearches({ state, onRun, onChanged, setMessage }) {
  if (!state.data) return null;
  const rows = state.data.rows;
  const del = async (id) => {
    if (!window.confirm(`Delete the stored search ${id}?`)) return;
    try {
      await request(`/data/search/saved/${seg(id)}`, { method: 'DELETE' });
      setMessage(`Deleted ${id}.`);
      onChanged();
    } catch (e) { setMessage(`Could not delete ${id}: ${e.message}`); }
  };
  if (!rows.length) return <p class="empty">No stored searches yet.</p>;
  return (
    <table class="grid" id="saved">
      <caption>Stored searches</caption>
      <thead><tr><th scope="col">ID</th><th scope="col">Description</th><th scope="col">Rows</th>
        <th scope="col">Owner</th><th scope="col">Shared with</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{r.id}</td><td>{r.brief_description}</td><td>{r.root_element_name}</td>
            <td>{r.owner}</td><td>{r.tag || r.sharing}</td>
            <td class="row-actions">
              <button type="button" onClick={() => onRun(r)} aria-label={`Run ${r.id}`}>Run</button>
              <button type="button" onClick={() => del(r.id)} aria-label={`Delete ${r.id}`}>Delete</button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
