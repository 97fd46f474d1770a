// Where a project's incoming sessions go (/data/projects/{P}/prearchive_code).
import { useState } from 'preact/hooks';
import { getText, seg } from '../api.js';
import { put } from '../api_write.js';
import { useLoad } from '../components/useLoad.js';
import { useAction } from '../components/useAction.js';
import { Status } from '../components/Status.jsx';
import { Outcome } from '../components/Outcome.jsx';

const CODES = [
  ['0', 'All image data goes to the prearchive, to be archived by hand'],
  ['4', 'Archive sessions once received; one that already exists stays in the prearchive'],
  ['5', 'Archive sessions once received, adding to an archived session of the same label'],
];

export function PrearchiveCode({ project }) {
  const path = `/data/projects/${seg(project)}/prearchive_code`;
  const state = useLoad(() => getText(path).then((t) => t.trim()), [project]);
  const [chosen, setChosen] = useState(null);
  const action = useAction();
  const value = chosen || state.data;
  return (
    <fieldset id="prearchive-code">
      <legend>Incoming sessions</legend>
      <Status state={state} what="the prearchive setting" />
      {state.data && CODES.map(([c, label]) => (
        <label key={c} class="choice">
          <input type="radio" name="prearchive_code" value={c} checked={value === c}
            onChange={() => setChosen(c)} /> {label}
        </label>
      ))}
      <button type="button" id="prearchive-code-save" disabled={!state.data || action.busy}
        onClick={() => action.run(() => put(`${path}/${value}`), 'Saved.')}>Save</button>
      <Outcome action={action} id="prearchive-code-outcome" />
    </fieldset>
  );
}
