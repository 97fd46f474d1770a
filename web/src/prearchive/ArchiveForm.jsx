// Archive one prearchived session: into its own project or another, under the subject and
// label it has or others typed here.
import { useState } from 'preact/hooks';

export function ArchiveForm({ row, projects, onArchive, onCancel }) {
  const [v, setV] = useState({
    project: row.project === 'Unassigned' ? '' : row.project,
    subject: row.subject || '', label: row.name || row.folderName || '',
  });
  const set = (k) => (e) => setV((x) => ({ ...x, [k]: e.currentTarget.value }));
  const submit = (e) => { e.preventDefault(); onArchive(v); };
  return (
    <form class="archive-form" id="archive-form" onSubmit={submit} aria-label={`Archive ${row.folderName}`}>
      <label for="arc-project">Project</label>
      <select id="arc-project" value={v.project} onChange={set('project')} required>
        <option value="" disabled>Choose a project</option>
        {projects.map((p) => <option key={p} value={p}>{p}</option>)}
      </select>
      <label for="arc-subject">Subject</label>
      <input id="arc-subject" value={v.subject} onInput={set('subject')} required />
      <label for="arc-label">Session label</label>
      <input id="arc-label" value={v.label} onInput={set('label')} required />
      <span>
        <button type="submit">Archive</button>{' '}
        <button type="button" onClick={onCancel}>Cancel</button>
      </span>
    </form>
  );
}
