// The prearchive: sessions waiting (one project's, or all you may see), statuses that
// refresh by themselves while any is in progress, a session's scans, and archive, move,
// rebuild, delete for one session or the ones ticked.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import * as pre from '../prearchive/actions.js';
import { ArchiveForm } from '../prearchive/ArchiveForm.jsx';
import { ScanList } from '../prearchive/ScanList.jsx';

const POLL_MS = 3000;

export function PrearchivePage({ params: [project] }) {
  const [tick, setTick] = useState(0);
  const state = useLoad(() => pre.list(project), [project, tick]);
  const projects = useLoad(() => listing('/data/projects', { columns: 'ID' }), []);
  const [selected, setSelected] = useState(new Set());
  const [open, setOpen] = useState(null); // { src, what: 'scans' | 'archive' }
  const [moveTo, setMoveTo] = useState('');
  const [message, setMessage] = useState({ text: '', error: false });
  const [busy, setBusy] = useState(false);
  const rows = state.data ? state.data.rows : [];
  const refresh = () => setTick((t) => t + 1);

  // while a session is being received, built, archived or moved, ask again
  const inProgress = rows.some((r) => pre.TRANSIENT.has(r.status));
  useEffect(() => {
    if (!inProgress || state.loading) return undefined;
    const t = setTimeout(refresh, POLL_MS);
    return () => clearTimeout(t);
  }, [inProgress, state.loading, tick]);
  // a ticked session that went away is no longer selected
  useEffect(() => {
    setSelected((s) => new Set([...s].filter((src) => rows.some((r) => r.url === src))));
  }, [state.data]);

  const run = async (what, fn) => {
    setBusy(true);
    try {
      const text = await fn();
      setMessage({ text: text || `${what}: done.`, error: false });
      setOpen(null);
    } catch (e) {
      setMessage({ text: `${what} failed: ${e.message}`, error: true });
    } finally {
      setBusy(false);
      refresh();
    }
  };
  const toggle = (src) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(src)) n.delete(src); else n.add(src);
    return n;
  });
  const all = rows.length > 0 && rows.every((r) => selected.has(r.url));
  const chosen = [...selected];
  const plural = (n) => `${n} session${n === 1 ? '' : 's'}`;
  const ids = projects.data ? projects.data.rows.map((r) => r.ID) : [];

  const archiveRows = (srcs) => run('Archive', async () => {
    for (const src of srcs) await pre.archive(src, {});
    return `Archived ${plural(srcs.length)}.`;
  });
  const confirmDelete = (srcs, fn) => {
    // eslint-disable-next-line no-alert
    if (window.confirm(`Delete ${plural(srcs.length)} from the prearchive? Their files are removed.`)) {
      run('Delete', async () => { await fn(); return `Deleted ${plural(srcs.length)}.`; });
    }
  };

  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/" data-route>Projects</a>
        {project && <> › <a href={`/projects/${seg(project)}`} data-route>{project}</a></>} › Prearchive</nav>
      <h1>Prearchive{project ? ` of ${project}` : ''}</h1>
      <p>
        {project ? <a href="/prearchive" data-route>All projects' prearchives</a>
          : 'Sessions waiting in the prearchives of every project you may edit.'}
        {' '}<button type="button" onClick={refresh}>Refresh</button>
      </p>
      <Status state={state} what="the prearchive" />
      <p role="status" id="prearchive-message" class={message.error ? 'error' : ''}>{message.text}</p>
      {state.data && !rows.length && <p class="empty">No session is waiting.</p>}
      {rows.length > 0 && (
        <>
          <div class="table-tools" role="group" aria-label="Actions on the ticked sessions">
            <span id="prearchive-selected">{plural(chosen.length)} ticked</span>
            <button type="button" id="bulk-archive" disabled={busy || !chosen.length}
              onClick={() => archiveRows(chosen)}>Archive</button>
            <button type="button" id="bulk-rebuild" disabled={busy || !chosen.length}
              onClick={() => run('Rebuild', async () => { await pre.rebuild(chosen); return `Rebuilt ${plural(chosen.length)}.`; })}>Rebuild</button>
            <label for="bulk-move-to">Move to</label>
            <select id="bulk-move-to" value={moveTo} onChange={(e) => setMoveTo(e.currentTarget.value)}>
              <option value="">a project…</option>
              {ids.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
            <button type="button" id="bulk-move" disabled={busy || !chosen.length || !moveTo}
              onClick={() => run('Move', async () => { await pre.move(chosen, moveTo); return `Moved ${plural(chosen.length)} to ${moveTo}.`; })}>Move</button>
            <button type="button" id="bulk-delete" disabled={busy || !chosen.length}
              onClick={() => confirmDelete(chosen, () => pre.remove(chosen))}>Delete</button>
          </div>
          <div class="scroll">
            <table class="grid" id="prearchive">
              <caption>{plural(rows.length)} waiting{inProgress ? ' (statuses refresh by themselves)' : ''}</caption>
              <thead><tr>
                <th scope="col"><input type="checkbox" id="prearchive-all" aria-label="Tick every session" checked={all}
                  onChange={() => setSelected(all ? new Set() : new Set(rows.map((r) => r.url)))} /></th>
                {!project && <th scope="col">Project</th>}
                <th scope="col">Session</th><th scope="col">Subject</th><th scope="col">Scan date</th>
                <th scope="col">Uploaded</th><th scope="col">Status</th><th scope="col">Actions</th>
              </tr></thead>
              <tbody>
                {rows.map((r) => (
                  <Fragment key={r.url}>
                    <tr data-src={r.url}>
                      <td><input type="checkbox" aria-label={`Tick ${r.folderName}`} checked={selected.has(r.url)}
                        onChange={() => toggle(r.url)} /></td>
                      {!project && <td>{r.project}</td>}
                      <td>{r.name || r.folderName}</td><td>{r.subject}</td><td>{r.scan_date}</td>
                      <td>{r.uploaded}</td>
                      <td class="status">{r.status}{r.message ? `: ${r.message}` : ''}</td>
                      <td class="row-actions">
                        <button type="button" aria-label={`Scans of ${r.folderName}`} aria-expanded={open && open.src === r.url && open.what === 'scans' ? 'true' : 'false'}
                          onClick={() => setOpen(open && open.src === r.url && open.what === 'scans' ? null : { src: r.url, what: 'scans' })}>Scans</button>
                        <button type="button" aria-label={`Archive ${r.folderName}…`} disabled={busy}
                          onClick={() => setOpen({ src: r.url, what: 'archive' })}>Archive…</button>
                        <button type="button" aria-label={`Delete ${r.folderName}`} disabled={busy}
                          onClick={() => confirmDelete([r.url], () => pre.removeOne(r.url))}>Delete</button>
                      </td>
                    </tr>
                    {open && open.src === r.url && (
                      <tr><td colspan={project ? 7 : 8}>
                        {open.what === 'scans' ? <ScanList src={r.url} name={r.folderName} /> : (
                          <ArchiveForm row={r} projects={ids} onCancel={() => setOpen(null)}
                            onArchive={(v) => run('Archive', async () => `Archived as ${await pre.archive(r.url, v)}.`)} />
                        )}
                      </td></tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
