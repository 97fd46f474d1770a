// A project's access: its accessibility, its users by group, and inviting a user by login
// (/data/projects/{P}/accessibility, /data/projects/{P}/users/{group}/{login}).
import { useState } from 'preact/hooks';
import { getText, listing, seg } from '../api.js';
import { put, del } from '../api_write.js';
import { useLoad } from '../components/useLoad.js';
import { useAction } from '../components/useAction.js';
import { Status } from '../components/Status.jsx';
import { Outcome } from '../components/Outcome.jsx';

const GROUPS = ['Owners', 'Members', 'Collaborators'];
const LEVELS = [
  ['private', 'Private: only the project\'s users see it'],
  ['protected', 'Protected: everyone sees it listed; only its users see its data'],
  ['public', 'Public: every logged-in user reads its data'],
];

function Accessibility({ project }) {
  const state = useLoad(() => getText(`/data/projects/${seg(project)}/accessibility`)
    .then((t) => t.trim()), [project]);
  const [chosen, setChosen] = useState(null);
  const action = useAction();
  const value = chosen || state.data;
  const save = () => action.run(() => put(`/data/projects/${seg(project)}/accessibility/${value}`),
    `Accessibility is now ${value}.`);
  return (
    <fieldset id="accessibility">
      <legend>Accessibility</legend>
      <Status state={state} what="the accessibility" />
      {state.data && LEVELS.map(([v, label]) => (
        <label key={v} class="choice">
          <input type="radio" name="accessibility" value={v} checked={value === v}
            onChange={() => setChosen(v)} /> {label}
        </label>
      ))}
      <button type="button" id="accessibility-save" onClick={save}
        disabled={!state.data || action.busy}>Save accessibility</button>
      <Outcome action={action} id="accessibility-outcome" />
    </fieldset>
  );
}

function Users({ project }) {
  const [tick, setTick] = useState(0);
  const state = useLoad(() => listing(`/data/projects/${seg(project)}/users`), [project, tick]);
  const [invite, setInvite] = useState({ login: '', group: 'Collaborators' });
  const action = useAction();
  const base = `/data/projects/${seg(project)}/users`;
  const reload = () => setTick((t) => t + 1);
  const setGroup = (u, group) => action.run(async () => {
    await put(`${base}/${seg(group)}/${seg(u.login)}`);
    reload();
  }, `${u.login} is now in ${group}.`);
  const remove = (u) => action.run(async () => {
    await del(`${base}/${seg(u.displayname)}/${seg(u.login)}`);
    reload();
  }, `${u.login} no longer has access.`);
  const add = async (e) => {
    e.preventDefault();
    const login = invite.login.trim();
    const ok = await action.run(() => put(`${base}/${seg(invite.group)}/${seg(login)}`),
      `${login} added to ${invite.group}.`);
    if (ok !== undefined) { setInvite({ ...invite, login: '' }); reload(); }
  };
  const rows = state.data ? state.data.rows : [];
  return (
    <>
      <h3>Users</h3>
      <Status state={state} what="the project's users" />
      {state.data && (
        <table class="grid" id="project-users">
          <caption>{rows.length} user{rows.length === 1 ? '' : 's'}</caption>
          <thead><tr><th scope="col">Login</th><th scope="col">Name</th><th scope="col">Email</th>
            <th scope="col">Group</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.login} data-login={u.login}>
                <td>{u.login}</td>
                <td>{[u.firstname, u.lastname].filter(Boolean).join(' ')}</td>
                <td>{u.email}</td>
                <td>
                  <select aria-label={`Group of ${u.login}`} value={u.displayname}
                    onChange={(e) => setGroup(u, e.currentTarget.value)}>
                    {GROUPS.map((g) => <option key={g}>{g}</option>)}
                  </select>
                </td>
                <td><button type="button" aria-label={`Remove ${u.login}`}
                  onClick={() => remove(u)}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" id="invite" onSubmit={add} aria-label="Invite a user">
        <label>Login <input id="invite-login" required value={invite.login}
          onInput={(e) => setInvite({ ...invite, login: e.currentTarget.value })} /></label>
        <label>Group <select id="invite-group" value={invite.group}
          onChange={(e) => setInvite({ ...invite, group: e.currentTarget.value })}>
          {GROUPS.map((g) => <option key={g}>{g}</option>)}</select></label>
        <button type="submit" disabled={action.busy}>Add user</button>
      </form>
      <Outcome action={action} id="users-outcome" />
    </>
  );
}

export function ProjectAccess({ project }) {
  return (
    <>
      <Accessibility project={project} />
      <Users project={project} />
    </>
  );
}
