// The site's DICOM PS3.15 Basic Profile (/data/config/anon/basicProfile): on, with its
// retain options, or off, which keeps PHI and says so before it is saved.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { put } from '../api_write.js';
import { useAction } from '../components/useAction.js';
import { Outcome } from '../components/Outcome.jsx';

const PATH = '/data/config/anon/basicProfile';
const OPTIONS = [
  ['keepDates', 'Retain Longitudinal Temporal Information with Full Dates'],
  ['keepDevice', 'Retain Device Identity'],
  ['keepPatientCharacteristics', 'Retain Patient Characteristics'],
];

export function BasicProfile() {
  const [state, setState] = useState(null); // { on, options: Set }
  const [loadError, setLoadError] = useState(null);
  const action = useAction();

  useEffect(() => {
    getJson(`${PATH}?format=json`).then((j) => {
      const row = (j.ResultSet.Result || [])[0] || {};
      const words = String(row.contents || '').split(/[\s,]+/).filter((w) => w && w !== 'none');
      setState({ on: row.status !== 'disabled', options: new Set(words) });
    }, (e) => (e.status === 404 ? setState({ on: true, options: new Set() }) : setLoadError(e)));
  }, []);

  if (loadError) return <p class="error" role="alert">Could not load the Basic Profile: {loadError.message}</p>;
  if (!state) return <p class="loading">Loading the Basic Profile…</p>;
  const toggle = (k) => {
    const options = new Set(state.options);
    if (options.has(k)) options.delete(k); else options.add(k);
    setState({ ...state, options });
  };
  const save = () => action.run(async () => {
    await put(PATH, state.options.size ? [...state.options].join(',') : 'none');
    await put(`${PATH}?status=${state.on ? 'enabled' : 'disabled'}`);
  }, state.on ? 'Basic Profile saved.' : 'Saved: the site\'s de-identification is off.');
  return (
    <fieldset id="basic-profile">
      <legend>Site de-identification (DICOM PS3.15 Basic Profile)</legend>
      <label class="choice"><input type="checkbox" id="basic-profile-on" checked={state.on}
        onChange={(e) => setState({ ...state, on: e.currentTarget.checked })} /> Apply the
        Basic Profile to all incoming DICOM</label>
      {!state.on && (
        <p class="warning" role="alert" id="basic-profile-warning">WARNING: with the Basic
          Profile off, incoming DICOM keeps its patient names, IDs, birth dates and other PHI
          (only the site and project scripts change it).</p>
      )}
      {OPTIONS.map(([k, label]) => (
        <label key={k} class="choice"><input type="checkbox" name={k} checked={state.options.has(k)}
          disabled={!state.on} onChange={() => toggle(k)} /> {label}</label>
      ))}
      <button type="button" id="basic-profile-save" onClick={save} disabled={action.busy}>Save</button>
      <Outcome action={action} id="basic-profile-outcome" />
    </fieldset>
  );
}
