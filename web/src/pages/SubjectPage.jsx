// A subject: its fields, its custom variables, its sessions, its download.
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { Fields } from '../components/Fields.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';
import { customFields, item } from '../components/itemFields.js';

export function SubjectPage({ params: [p, s] }) {
  const base = `/data/projects/${seg(p)}/subjects/${seg(s)}`;
  const state = useLoad(() => item(base), [base]);
  const sessions = useLoad(() => listing(`${base}/experiments`,
    { columns: 'ID,label,date,xsiType' }), [base]);
  const f = state.data ? state.data.fields : {};
  const demo = state.data ? (state.data.children.find((c) => c.field === 'demographics')
    || { items: [{ data_fields: {} }] }).items[0].data_fields : {};
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/" data-route>Projects</a> › <a href={`/projects/${seg(p)}`} data-route>{p}</a> › {s}
      </nav>
      <h1>Subject {f.label || s}</h1>
      <Status state={state} what="the subject" />
      {state.data && (
        <>
          <Fields label="Subject details" fields={[
            ['ID', f.ID], ['Label', f.label], ['Project', f.project], ['Gender', demo.gender],
            ['YOB', demo.yob], ['Age', demo.age], ['Handedness', demo.handedness],
            ['Group', f.group], ['Source', f.src], ['Notes', f.note],
          ]} />
          <h2>Custom variables</h2>
          <Fields label="Custom variables" fields={customFields(state.data)} />
          <ul class="actions" aria-label="Actions">
            <li><a class="button" href={`${base}/files?format=zip`} download>Download images (zip)</a></li>
          </ul>
          <h2>Sessions</h2>
          <Status state={sessions} what="the sessions" />
          {sessions.data && (
            <SimpleTable caption="Sessions" rows={sessions.data.rows} columns={[
              { key: 'label', header: 'Session', link: (r) => `/projects/${seg(p)}/experiments/${seg(r.label)}` },
              { key: 'date', header: 'Date' }, { key: 'xsiType', header: 'Type' },
            ]} />
          )}
        </>
      )}
    </section>
  );
}
