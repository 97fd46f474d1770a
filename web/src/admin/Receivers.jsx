// The DICOM receivers (read only: they are configured in httpd.conf).
import { getJson } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';

export function Receivers() {
  const state = useLoad(() => getJson('/xapi/dicomscp'), []);
  const rows = state.data || [];
  return (
    <>
      <Status state={state} what="the DICOM receivers" />
      {state.data && (rows.length ? (
        <table class="grid" id="receivers">
          <caption>{rows.length} receiver{rows.length === 1 ? '' : 's'} (configured in httpd.conf)</caption>
          <thead><tr><th scope="col">AE title</th><th scope="col">Host</th><th scope="col">Port</th>
            <th scope="col">Enabled</th><th scope="col">Project</th><th scope="col">Stored</th>
            <th scope="col">Refused</th><th scope="col">Last activity</th><th scope="col">Last error</th></tr></thead>
          <tbody>
            {rows.map((d) => {
              const s = d.status || {};
              return (
                <tr key={d.id}>
                  <td>{d.aeTitle}</td><td>{d.host}</td><td>{d.port}</td>
                  <td>{d.enabled ? 'Yes' : 'No'}</td><td>{d.projectId}</td><td>{s.stored}</td>
                  <td>{s.refused}</td><td>{s.lastActivity}</td><td>{s.lastError}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : <p class="empty">No DICOM receiver is configured.</p>)}
    </>
  );
}
