// "Edit User Info" for site admins: an account's details, whether it is verified and
// enabled, its project roles, and its site-wide roles with their warnings.
import { useEffect, useState } from 'preact/hooks';
import { getJson, listing, seg } from '../api.js';
import { put, del } from '../api_write.js';
import { useLoad } from '../components/useLoad.js';
import { useAction } from '../components/useAction.js';
import { Status } from '../components/Status.jsx';
import { Outcome } from '../components/Outcome.jsx';
import { AdminGate } from '../admin/AdminGate.jsx';

const GROUPS = ['Owners', 'Members', 'Collaborators'];
const DATA_ACCESS = [['none', 'No'], ['read', 'Read Only'], ['edit', 'Read, Edit & Delete']];

function Details({ account, onSaved }) {
  const [f, setF] = useState(account);
  useEffect(() => setF(account), [account]);
  const action = useAction();
  const base = `/xapi/users/${seg(account.username)}`;
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const flag = (k) => (e) => setF({ ...f, [k]: e.currentTarget.checked });
  const save = (e) => {
    e.preventDefault();
    action.run(async () => {
      await put(base, { firstName: f.firstName, lastName: f.lastName, email: f.email });
      // one audited change each, as the flags' own endpoints record them
      for (const k of ['verified', 'enabled']) {
        if (f[k] !== account[k]) await put(`${base}/${k}/${f[k] ? 'true' : 'false'}`);
      }
      onSaved();
    }, 'User details saved.');
  };
  return (
    <form id="user-details" class="stacked" onSubmit={save} aria-label="User details">
      <p>Username: <strong>{account.username}</strong> ({account.authSource} login)</p>
      <label>First name <input id="user-first" value={f.firstName} onInput={set('firstName')} /></label>
      <label>Last name <input id="user-last" value={f.lastName} onInput={set('lastName')} /></label>
      <label>Email <input id="user-email" type="email" value={f.email} onInput={set('email')} /></label>
      <label class="choice"><input type="checkbox" id="user-verified" checked={f.verified}
        onChange={flag('verified')} /> Verified</label>
      <label class="choice"><input type="checkbox" id="user-enabled" checked={f.enabled}
        onChange={flag('enabled')} /> Enabled</label>
      {!f.enabled && account.enabled && (
        <p class="warning" id="disable-warning">Disabling this account refuses its next request,
          whatever session or token it holds.</p>
      )}
      <button type="submit" id="user-details-save" disabled={action.busy}>Save</button>
      <Outcome action={action} id="user-details-outcome" />
    </form>
  );
}

function ProjectRoles({ login }) {
  const [tick, setTick] = useState(0);
  const roles = useLoad(() => listing(`/xapi/users/${seg(login)}/projects`), [login, tick]);
  const projects = useLoad(() => listing('/data/projects', { columns: 'ID,name' }), []);
  const [add, setAdd] = useState({ project: '', group: 'Members' });
  const action = useAction();
  const reload = () => setTick((t) => t + 1);
  const path = (p, g) => `/data/projects/${seg(p)}/users/${seg(g)}/${seg(login)}`;
  const change = (r, group) => action.run(async () => { await put(path(r.project, group)); reload(); },
    `${login} is now in ${group} of ${r.project}.`);
  const remove = (r) => action.run(async () => { await del(path(r.project, r.group)); reload(); },
    `${login} removed from ${r.project}.`);
  const submit = async (e) => {
    e.preventDefault();
    if (!add.project) return;
    await action.run(async () => { await put(path(add.project, add.group)); reload(); },
      `${login} added to ${add.group} of ${add.project}.`);
  };
  const rows = roles.data ? roles.data.rows : [];
  return (
    <>
      <Status state={roles} what="the project roles" />
      {roles.data && (rows.length ? (
        <table class="grid" id="user-projects">
          <caption>Project membership and roles</caption>
          <thead><tr><th scope="col">Project label</th><th scope="col">Project ID</th>
            <th scope="col">Group</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.project}>
                <td>{r.name}</td>
                <td><a href={`/projects/${seg(r.project)}`} data-route>{r.project}</a></td>
                <td><select aria-label={`Group in ${r.project}`} value={r.group}
                  onChange={(e) => change(r, e.currentTarget.value)}>
                  {GROUPS.map((g) => <option key={g}>{g}</option>)}</select></td>
                <td><button type="button" aria-label={`Remove from ${r.project}`}
                  onClick={() => remove(r)}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p class="empty">No project roles.</p>)}
      <form class="inline-form" id="add-role" onSubmit={submit} aria-label="Add a project role">
        <label>Project <select id="add-role-project" value={add.project} required
          onChange={(e) => setAdd({ ...add, project: e.currentTarget.value })}>
          <option value="">Choose…</option>
          {(projects.data ? projects.data.rows : []).map((p) => (
            <option key={p.ID} value={p.ID}>{p.name ? `${p.name} (${p.ID})` : p.ID}</option>
          ))}
        </select></label>
        <label>Group <select id="add-role-group" value={add.group}
          onChange={(e) => setAdd({ ...add, group: e.currentTarget.value })}>
          {GROUPS.map((g) => <option key={g}>{g}</option>)}</select></label>
        <button type="submit" disabled={action.busy}>Add Role</button>
      </form>
      <Outcome action={action} id="user-projects-outcome" />
    </>
  );
}

function Security({ account, onSaved }) {
  const fromAccount = () => ({ admin: account.admin, nonExpiring: account.nonExpiring,
    dataAccess: account.dataAccess });
  const [s, setS] = useState(fromAccount);
  useEffect(() => setS(fromAccount()), [account]);
  const action = useAction();
  const base = `/xapi/users/${seg(account.username)}`;
  const save = () => action.run(async () => {
    if (s.admin !== account.admin) {
      await (s.admin ? put : del)(`${base}/roles/Administrator`);
    }
    if (s.nonExpiring !== account.nonExpiring) {
      await (s.nonExpiring ? put : del)(`${base}/roles/Non_Expiring`);
    }
    if (s.dataAccess !== account.dataAccess) {
      if (s.dataAccess === 'none') await del(`${base}/groups/ALL_DATA_ACCESS`);
      else await put(`${base}/groups/${s.dataAccess === 'edit' ? 'ALL_DATA_ADMIN' : 'ALL_DATA_ACCESS'}`);
    }
    onSaved();
  }, 'Security settings saved.');
  return (
    <fieldset id="user-security">
      <legend>Define security settings</legend>
      <p>System roles:</p>
      <label class="choice"><input type="checkbox" id="role-admin" checked={s.admin}
        onChange={(e) => setS({ ...s, admin: e.currentTarget.checked })} /> Site Manager: this
        allows the user to use the administration pages and to do everything on the site.</label>
      {s.admin && <p class="warning">WARNING: administrative privileges give this user
        great power over the entire site.</p>}
      <label class="choice"><input type="checkbox" id="role-non-expiring" checked={s.nonExpiring}
        onChange={(e) => setS({ ...s, nonExpiring: e.currentTarget.checked })} /> Non-expiring:
        this account's password does not expire.</label>
      {s.nonExpiring && <p class="warning">WARNING: a non-expiring password is a security
        risk; keep it to accounts that run automated tasks.</p>}
      <div role="radiogroup" aria-labelledby="data-access-label">
        <p id="data-access-label">All Data Access:</p>
        {DATA_ACCESS.map(([v, label]) => (
          <label key={v} class="choice"><input type="radio" name="data-access" value={v}
            checked={s.dataAccess === v} onChange={() => setS({ ...s, dataAccess: v })} /> {label}</label>
        ))}
      </div>
      {s.dataAccess !== 'none' && <p class="warning" id="data-access-warning">WARNING: All Data
        Access gives this user access to every project and all the data stored on this site,
        whatever their project roles. Most users should not have it.</p>}
      <button type="button" id="user-security-save" onClick={save} disabled={action.busy}>Save</button>
      <Outcome action={action} id="user-security-outcome" />
    </fieldset>
  );
}

function EditUser({ login }) {
  const [tick, setTick] = useState(0);
  const state = useLoad(() => getJson(`/xapi/users/${seg(login)}`), [login, tick]);
  const reload = () => setTick((t) => t + 1);
  return (
    <>
      <Status state={state} what="the user" />
      {state.data && (
        <>
          <h2>User details</h2>
          <Details account={state.data} onSaved={reload} />
          <h2>Assign project membership and roles</h2>
          <ProjectRoles login={login} />
          <h2>Security</h2>
          <Security account={state.data} onSaved={reload} />
        </>
      )}
    </>
  );
}

export function UserEditPage({ params: [login], user }) {
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/admin" data-route>Administration</a> › {login}</nav>
      <h1>Edit User Info: {login}</h1>
      <AdminGate user={user}><EditUser login={login} /></AdminGate>
    </section>
  );
}
