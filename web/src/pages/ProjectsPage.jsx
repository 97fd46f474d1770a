// The projects the user may see, with their subject and session counts: "mine" (a role
// in them), public ones, or all listed (for site admins: every project).
import { useState } from 'preact/hooks';
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';

const COLUMNS = 'ID,name,description,pi_firstname,pi_lastname,accessibility,subject_count,'
  + 'experiment_count';
const VIEWS = [
  ['mine', 'My projects', { owner: 'true', member: 'true', collaborator: 'true' }],
  ['public', 'Public', { accessibility: 'public' }],
  ['all', 'All', {}],
];

export function ProjectsPage() {
  const [view, setView] = useState('all');
  const filter = VIEWS.find((v) => v[0] === view)[2];
  const state = useLoad(() => listing('/data/projects', { columns: COLUMNS, ...filter }), [view]);
  const rows = state.data ? state.data.rows : [];
  return (
    <section>
      <h1>Projects</h1>
      <div class="tabs" role="group" aria-label="Which projects">
        {VIEWS.map(([key, label]) => (
          <button type="button" key={key} aria-pressed={view === key ? 'true' : 'false'}
            onClick={() => setView(key)}>{label}</button>
        ))}
      </div>
      <Status state={state} what="the projects" />
      {state.data && (rows.length ? (
        <table class="grid" id="projects">
          <caption>{rows.length} project{rows.length === 1 ? '' : 's'}</caption>
          <thead>
            <tr>
              <th scope="col">ID</th><th scope="col">Name</th><th scope="col">Description</th>
              <th scope="col">PI</th><th scope="col">Access</th>
              <th scope="col" class="num">Subjects</th><th scope="col" class="num">Sessions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.ID}>
                <td><a href={`/projects/${seg(p.ID)}`} data-route>{p.ID}</a></td>
                <td>{p.name}</td>
                <td>{p.description}</td>
                <td>{[p.pi_firstname, p.pi_lastname].filter(Boolean).join(' ')}</td>
                <td>{p.accessibility}</td>
                <td class="num">{p.subject_count}</td>
                <td class="num">{p.experiment_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p class="empty">No projects here.</p>)}
    </section>
  );
}
