// "Manage Custom Variables": a project's typed variables (XNAT's field definitions), for
// its owners. Subject variables become columns of the project's subjects table.
import { useState } from 'preact/hooks';
import { getJson, seg } from '../api.js';
import { put, del } from '../api_write.js';
import { useLoad } from '../components/useLoad.js';
import { useAction } from '../components/useAction.js';
import { Status } from '../components/Status.jsx';
import { Outcome } from '../components/Outcome.jsx';
import { ManageGate } from '../manage/ManageGate.jsx';

const LEVELS = ['subject', 'experiment', 'scan', 'project'];
const TYPES = ['string', 'integer', 'float', 'boolean', 'date'];

// The options as typed, one per line, blank lines dropped.
const optionList = (text) => text.split('\n').map((o) => o.trim()).filter(Boolean);

// The listing's options: a JSON array as text.
const optionsOf = (d) => { try { return JSON.parse(d.options || '[]'); } catch { return []; } };

function VariableForm({ project, onSaved }) {
  const blank = { level: 'subject', name: '', type: 'string', description: '', required: false,
    options: '' };
  const [v, setV] = useState(blank);
  const action = useAction();
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { type: v.type, required: v.required, options: optionList(v.options) };
    if (v.description) body.description = v.description;
    const ok = await action.run(() => put(`/xapi/projects/${seg(project)}/customVariables/`
      + `${seg(v.level)}/${seg(v.name.trim())}`, body), `Saved ${v.name.trim()}.`);
    if (ok !== undefined) { setV({ ...blank, level: v.level }); onSaved(); }
  };
  return (
    <form class="inline-form" id="cv-form" onSubmit={submit} aria-label="Define a custom variable">
      <label>Level <select id="cv-level" value={v.level} onChange={set('level')}>
        {LEVELS.map((l) => <option key={l}>{l}</option>)}</select></label>
      <label>Name <input id="cv-name" required value={v.name} onInput={set('name')}
        pattern="[A-Za-z][A-Za-z0-9_]{0,63}" title="a letter, then letters, digits or _" /></label>
      <label>Type <select id="cv-type" value={v.type} onChange={set('type')}>
        {TYPES.map((t) => <option key={t}>{t}</option>)}</select></label>
      <label>Description <input id="cv-description" value={v.description}
        onInput={set('description')} /></label>
      <label><input type="checkbox" id="cv-required" checked={v.required}
        onChange={(e) => setV({ ...v, required: e.currentTarget.checked })} /> Required</label>
      <label>Options, one per line (none: any value) <textarea id="cv-options" rows="3"
        value={v.options} onInput={set('options')} /></label>
      <button type="submit" disabled={action.busy}>Add variable</button>
      <Outcome action={action} id="cv-outcome" />
    </form>
  );
}

function Variables({ project }) {
  const [tick, setTick] = useState(0);
  const state = useLoad(() => getJson(`/xapi/projects/${seg(project)}/customVariables?format=json`)
    .then((j) => j.ResultSet.Result || []), [project, tick]);
  const action = useAction();
  const remove = (d) => action.run(async () => {
    await del(`/xapi/projects/${seg(project)}/customVariables/${seg(d.level)}/${seg(d.name)}`);
    setTick((t) => t + 1);
  }, `Removed ${d.name}; its values stay, untyped.`);
  const rows = state.data || [];
  return (
    <>
      <Status state={state} what="the custom variables" />
      {state.data && (rows.length ? (
        <table class="grid" id="custom-vars">
          <caption>{rows.length} variable{rows.length === 1 ? '' : 's'}</caption>
          <thead><tr><th scope="col">Level</th><th scope="col">Name</th><th scope="col">Type</th>
            <th scope="col">Description</th><th scope="col">Required</th>
            <th scope="col">Options</th>
            <th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
          <tbody>
            {rows.map((d) => (
              <tr key={`${d.level}/${d.name}`}>
                <td>{d.level}</td><td>{d.name}</td><td>{d.type}</td><td>{d.description}</td>
                <td>{d.required === 'true' ? 'yes' : 'no'}</td>
                <td>{optionsOf(d).join(', ')}</td>
                <td><button type="button" onClick={() => remove(d)}
                  aria-label={`Remove ${d.level} variable ${d.name}`}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p class="empty">No custom variables yet: every value is kept as text.</p>)}
      <Outcome action={action} />
      <h2>Add a variable</h2>
      <p class="hint">Names are shown as defined and matched without case. A value that does
        not fit its type, or is not among the options when there are any, is refused;
        changing a definition checks the values already stored. Required marks what a form
        should ask for; scripts may still create objects without it, as in XNAT.</p>
      <VariableForm project={project} onSaved={() => setTick((t) => t + 1)} />
    </>
  );
}

export function CustomVariablesPage({ params: [p] }) {
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/" data-route>Projects</a> ›{' '}
        <a href={`/projects/${seg(p)}`} data-route>{p}</a> › Custom variables</nav>
      <h1>Custom variables of {p}</h1>
      <ManageGate project={p}><Variables project={p} /></ManageGate>
    </section>
  );
}
