// An imaging session: its fields, its scans (series description, frames), its download.
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { Fields } from '../components/Fields.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';
import { customFields, item } from '../components/itemFields.js';

export function SessionPage({ params: [p, e] }) {
  const base = `/data/projects/${seg(p)}/experiments/${seg(e)}`;
  const state = useLoad(() => item(base), [base]);
  const scans = useLoad(() => listing(`${base}/scans`,
    { columns: 'ID,type,series_description,frames,quality' }), [base]);
  const f = state.data ? state.data.fields : {};
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/" data-route>Projects</a> › <a href={`/projects/${seg(p)}`} data-route>{p}</a>
        {f.subject_label && <> › <a href={`/projects/${seg(p)}/subjects/${seg(f.subject_label)}`} data-route>{f.subject_label}</a></>} › {e}
      </nav>
      <h1>Session {f.label || e}</h1>
      <Status state={state} what="the session" />
      {state.data && (
        <>
          <Fields label="Session details" fields={[
            ['ID', f.ID], ['Label', f.label], ['Subject', f.subject_label], ['Date', f.date],
            ['Time', f.time], ['Type', f.xsiType], ['Modality', f.modality],
            ['Scanner', f.scanner], ['UID', f.UID], ['Notes', f.note],
            ...customFields(state.data),
          ]} />
          <ul class="actions" aria-label="Actions">
            <li><a class="button" href={`${base}/files?format=zip`} download>Download images (zip)</a></li>
          </ul>
          <h2>Scans</h2>
          <Status state={scans} what="the scans" />
          {scans.data && (
            <SimpleTable caption="Scans" rows={scans.data.rows} columns={[
              { key: 'ID', header: 'Scan', link: (r) => `/projects/${seg(p)}/experiments/${seg(e)}/scans/${seg(r.ID)}` },
              { key: 'type', header: 'Type' }, { key: 'series_description', header: 'Series description' },
              { key: 'frames', header: 'Frames' }, { key: 'quality', header: 'Quality' },
            ]} />
          )}
        </>
      )}
    </section>
  );
}
