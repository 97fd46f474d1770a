// A scan: its fields, its resources and files (each downloadable), its DICOM header
// (the first file's, from the dicomdump service).
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { Fields } from '../components/Fields.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';
import { item } from '../components/itemFields.js';

async function loadFiles(base) {
  const res = await listing(`${base}/resources`);
  const files = await Promise.all(res.rows.map((r) =>
    listing(`${base}/resources/${seg(r.label)}/files`).then((f) => f.rows)));
  return { resources: res.rows, files: files.flat() };
}

export function ScanPage({ params: [p, e, n] }) {
  const base = `/data/projects/${seg(p)}/experiments/${seg(e)}/scans/${seg(n)}`;
  const state = useLoad(() => item(base), [base]);
  const files = useLoad(() => loadFiles(base), [base]);
  // the dump service names a session by its ID
  const header = useLoad(() => item(`/data/projects/${seg(p)}/experiments/${seg(e)}`)
    .then((s) => listing('/data/services/dicomdump',
      { src: `/archive/projects/${p}/experiments/${s.fields.ID}/scans/${n}` })), [base]);
  const f = state.data ? state.data.fields : {};
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/" data-route>Projects</a> › <a href={`/projects/${seg(p)}`} data-route>{p}</a>
        {' › '}<a href={`/projects/${seg(p)}/experiments/${seg(e)}`} data-route>{e}</a> › scan {n}
      </nav>
      <h1>Scan {n}{f.series_description ? `: ${f.series_description}` : ''}</h1>
      <Status state={state} what="the scan" />
      {state.data && (
        <>
          <Fields label="Scan details" fields={[
            ['ID', f.ID], ['Type', f.type], ['Series description', f.series_description],
            ['Frames', f.frames], ['Quality', f.quality], ['Modality', f.modality],
            ['UID', f.UID], ['Notes', f.note],
          ]} />
          <ul class="actions" aria-label="Actions">
            <li><a class="button" href={`${base}/files?format=zip`} download>Download scan (zip)</a></li>
          </ul>
        </>
      )}
      <h2>Files</h2>
      <Status state={files} what="the files" />
      {files.data && (
        <SimpleTable caption="Files" rows={files.data.files} columns={[
          { key: 'Name', header: 'Name', download: (r) => r.URI },
          { key: 'collection', header: 'Resource' }, { key: 'Size', header: 'Size (bytes)' },
        ]} empty="No files." />
      )}
      <h2>DICOM header</h2>
      <Status state={header} what="the DICOM header" />
      {header.data && (
        <SimpleTable caption="DICOM header of the scan's first file" rows={header.data.rows}
          columns={[
            { key: 'tag1', header: 'Tag' }, { key: 'vr', header: 'VR' },
            { key: 'desc', header: 'Name' }, { key: 'value', header: 'Value' },
          ]} empty="No DICOM file in this scan." />
      )}
    </section>
  );
}
