// Upload Images: files, folders or zips (dropped, or picked from the keyboard), each sent
// as its own request so the bar shows real progress; project, subject and session chosen
// here or left to the data; what each file became, and any file that did not arrive.
import { useRef, useState } from 'preact/hooks';
import { listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { sendFile } from '../upload/sendFile.js';
import { droppedFiles, pickedFiles } from '../upload/collectFiles.js';
import { formatBytes, formatDuration, rateAndLeft } from '../upload/rate.js';
import { ResultTable } from '../upload/ResultTable.jsx';

export function UploadPage({ params: [project0 = ''] }) {
  const projects = useLoad(() => listing('/data/projects', { columns: 'ID' }), []);
  const [routing, setRouting] = useState({ project: project0, subject: '', session: '', dest: '/prearchive' });
  const [queue, setQueue] = useState([]);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState(null); // { sent, total, rate, left, current }
  const [results, setResults] = useState([]);
  const [failure, setFailure] = useState('');
  const [over, setOver] = useState(false);
  const started = useRef(0);
  const set = (k) => (e) => setRouting((r) => ({ ...r, [k]: e.currentTarget.value }));

  const add = (files) => setQueue((q) => [...q, ...files.filter((f) => !q.some((x) => x.name === f.name))]);
  const onDrop = async (e) => {
    e.preventDefault();
    setOver(false);
    if (!busy) add(await droppedFiles(e.dataTransfer));
  };

  const upload = async () => {
    const total = queue.reduce((n, f) => n + f.file.size, 0);
    let done = 0;
    setBusy(true);
    setFailure('');
    setResults([]);
    started.current = Date.now();
    const show = (current, sent) => setProgress({
      current, sent, total, ...rateAndLeft(sent, total, started.current, Date.now()),
    });
    for (let i = 0; i < queue.length; i++) {
      const { file, name } = queue[i];
      show(name, done);
      try {
        const r = await sendFile(file, name, routing, (loaded) => show(name, done + loaded));
        setResults((rs) => [...rs, { name, result: 'imported', ...r }]);
      } catch (err) {
        if (err.status) {
          setResults((rs) => [...rs, { name, result: 'refused', message: err.message, rejected: err.rejected }]);
        } else {
          // the transfer itself stopped: say so, and send nothing more
          setResults((rs) => [...rs, { name, result: 'not uploaded', message: err.message },
            ...queue.slice(i + 1).map((f) => ({ name: f.name, result: 'not uploaded', message: 'not sent' }))]);
          setFailure(err.message);
          break;
        }
      }
      done += file.size;
      show(name, done);
    }
    setQueue([]);
    setBusy(false);
  };

  const ids = projects.data ? projects.data.rows.map((r) => r.ID) : [];
  const pct = progress && progress.total ? Math.round((100 * progress.sent) / progress.total) : 0;
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/" data-route>Projects</a>
        {project0 && <> › <a href={`/projects/${seg(project0)}`} data-route>{project0}</a></>} › Upload images</nav>
      <h1>Upload images</h1>
      <fieldset class="routing" disabled={busy}>
        <legend>Where the sessions go</legend>
        <label for="up-project">Project</label>
        <select id="up-project" value={routing.project} onChange={set('project')}>
          <option value="">Chosen by the data</option>
          {[...new Set([project0, ...ids].filter(Boolean))].map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
        <label for="up-subject">Subject</label>
        <input id="up-subject" value={routing.subject} onInput={set('subject')} placeholder="chosen by the data" />
        <label for="up-session">Session</label>
        <input id="up-session" value={routing.session} onInput={set('session')} placeholder="chosen by the data" />
        <label for="up-dest">Destination</label>
        <select id="up-dest" value={routing.dest} onChange={set('dest')}>
          <option value="/prearchive">Prearchive (review before archiving)</option>
          <option value="/archive">Archive</option>
        </select>
      </fieldset>
      <div class={over ? 'dropzone over' : 'dropzone'} id="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)} onDrop={onDrop}>
        <p>Drop DICOM files, folders or zip files here, or choose them:</p>
        <label for="up-files">Files or zips</label>
        <input id="up-files" type="file" multiple disabled={busy}
          onChange={(e) => { add(pickedFiles(e.currentTarget.files)); e.currentTarget.value = ''; }} />
        <label for="up-folder">A folder</label>
        <input id="up-folder" type="file" webkitdirectory disabled={busy}
          onChange={(e) => { add(pickedFiles(e.currentTarget.files)); e.currentTarget.value = ''; }} />
      </div>
      {queue.length > 0 && (
        <p id="upload-queue">{queue.length} file{queue.length === 1 ? '' : 's'} to send,{' '}
          {formatBytes(queue.reduce((n, f) => n + f.file.size, 0))}
          {!busy && <> <button type="button" onClick={() => setQueue([])}>Clear</button></>}</p>
      )}
      <button type="button" id="upload-start" disabled={busy || !queue.length} onClick={upload}>Upload</button>
      {progress && (
        <div class="progress" id="upload-status">
          <label for="upload-progress">Upload progress</label>
          <progress id="upload-progress" max={progress.total || 1} value={progress.sent}
            aria-valuetext={`${pct}%, ${formatBytes(progress.sent)} of ${formatBytes(progress.total)}`} />
          <span role="status">{busy ? `Sending ${progress.current}: ` : 'Done: '}
            {pct}% · {formatBytes(progress.rate)}/s
            {busy && <> · <span id="upload-left">{formatDuration(progress.left)} left</span></>}</span>
        </div>
      )}
      {failure && <p class="error" role="alert" id="upload-error">Upload failed: {failure}</p>}
      <ResultTable results={results} />
    </section>
  );
}
