// A project as XNAT shows it: ID, name, description, PI, keywords, accessibility; its
// download; its subjects (every custom variable a column) and its sessions.
import { getJson, listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { Fields } from '../components/Fields.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';
import { item } from '../components/itemFields.js';
import { SubjectsTable } from '../table/SubjectsTable.jsx';
import { ManageLinks } from '../manage/ManageLinks.jsx';
import { ProjectCharts } from '../charts/ProjectCharts.jsx';

async function loadProject(p) {
  const [it, defs] = await Promise.all([
    item(`/data/projects/${seg(p)}`),
    getJson(`/xapi/projects/${seg(p)}/customVariables?format=json`),
  ]);
  const customVars = (defs.ResultSet.Result || [])
    .filter((d) => d.level === 'subject').map((d) => d.name);
  return { fields: it.fields, customVars };
}

export function ProjectPage({ params: [p] }) {
  const state = useLoad(() => loadProject(p), [p]);
  const sessions = useLoad(() => listing(`/data/projects/${seg(p)}/experiments`,
    { columns: 'ID,label,subject_label,date,xsiType', limit: '200' }), [p]);
  const f = state.data ? state.data.fields : {};
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/" data-route>Projects</a> › {p}</nav>
      <h1>{f.name || p}</h1>
      <Status state={state} what="the project" />
      {state.data && (
        <>
          <Fields label="Project details" fields={[
            ['ID', f.ID], ['Running title', f.secondary_ID], ['Description', f.description],
            ['PI', [f.pi_firstname, f.pi_lastname].filter(Boolean).join(' ')],
            ['Keywords', f.keywords], ['Accessibility', f.accessibility],
          ]} />
          <ul class="actions" aria-label="Actions">
            <li><a class="button" href={`/data/projects/${seg(p)}/files?format=zip`} download>Download images (zip)</a></li>
            <li><a class="button" href={`/projects/${seg(p)}/upload`} data-route>Upload images</a></li>
            <li><a class="button" href={`/projects/${seg(p)}/prearchive`} data-route>Prearchive</a></li>
            <ManageLinks project={p} />
          </ul>
          <h2>Subjects</h2>
          <SubjectsTable project={p} customVars={state.data.customVars} />
          <ProjectCharts project={p} />
          <h2>Sessions</h2>
          <Status state={sessions} what="the sessions" />
          {sessions.data && (
            <SimpleTable caption={`${sessions.data.total} session${sessions.data.total === 1 ? '' : 's'}${sessions.data.total > sessions.data.rows.length ? `, the first ${sessions.data.rows.length} shown` : ''}`}
              rows={sessions.data.rows} columns={[
                { key: 'label', header: 'Session', link: (r) => `/projects/${seg(p)}/experiments/${seg(r.label)}` },
                { key: 'subject_label', header: 'Subject', link: (r) => `/projects/${seg(p)}/subjects/${seg(r.subject_label)}` },
                { key: 'date', header: 'Date' }, { key: 'xsiType', header: 'Type' },
              ]} />
          )}
        </>
      )}
    </section>
  );
}
