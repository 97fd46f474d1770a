// An anonymisation script (DicomEdit 6) to edit and enable: the site's
// (/xapi/anonymize/site) or a project's (/xapi/anonymize/projects/{P}). The server checks a
// script before storing it; its line-numbered message is shown as it is.
import { useEffect, useState } from 'preact/hooks';
import { getText, getJson } from '../api.js';
import { put } from '../api_write.js';
import { useAction } from '../components/useAction.js';
import { Outcome } from '../components/Outcome.jsx';

export function AnonScript({ base, id, label }) {
  const [text, setText] = useState(null);
  const [enabled, setEnabled] = useState(false);
  const [loadError, setLoadError] = useState(null);
  const action = useAction();

  useEffect(() => {
    getText(base).then(setText, (e) => (e.status === 404 ? setText('') : setLoadError(e)));
    getJson(`${base}/enabled`).then((v) => setEnabled(v === true), setLoadError);
  }, [base]);

  const save = () => action.run(async () => {
    await put(base, text);
    await put(`${base}/enabled/${enabled ? 'true' : 'false'}`);
  }, enabled ? 'Script saved and enabled.' : 'Script saved (not enabled).');

  if (loadError) return <p class="error" role="alert">Could not load the script: {loadError.message}</p>;
  if (text === null) return <p class="loading">Loading the script…</p>;
  return (
    <div class="anon" id={id}>
      <label for={`${id}-text`}>{label}</label>
      <textarea id={`${id}-text`} rows="14" spellcheck={false} value={text}
        onInput={(e) => setText(e.currentTarget.value)} />
      <label class="choice"><input type="checkbox" id={`${id}-enabled`} checked={enabled}
        onChange={(e) => setEnabled(e.currentTarget.checked)} /> Apply this script to incoming DICOM</label>
      <button type="button" id={`${id}-save`} onClick={save} disabled={action.busy}>Check and save</button>
      <Outcome action={action} id={`${id}-outcome`} />
    </div>
  );
}
