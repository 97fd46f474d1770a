// Every account, with its state; each login opens its "Edit User Info" page.
import { getJson, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';

const yes = (b) => (b ? 'Yes' : 'No');

async function loadUsers() {
  const logins = await getJson('/xapi/users');
  return Promise.all(logins.map((u) => getJson(`/xapi/users/${seg(u)}`)));
}

export function UsersList() {
  const state = useLoad(loadUsers, []);
  const rows = state.data || [];
  return (
    <>
      <Status state={state} what="the users" />
      {state.data && (
        <table class="grid" id="users">
          <caption>{rows.length} user{rows.length === 1 ? '' : 's'}</caption>
          <thead><tr><th scope="col">Login</th><th scope="col">Name</th><th scope="col">Email</th>
            <th scope="col">Enabled</th><th scope="col">Verified</th><th scope="col">Site manager</th>
            <th scope="col">All data access</th><th scope="col">Login source</th></tr></thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.username}>
                <td><a href={`/admin/users/${seg(u.username)}`} data-route>{u.username}</a></td>
                <td>{[u.firstName, u.lastName].filter(Boolean).join(' ')}</td>
                <td>{u.email}</td><td>{yes(u.enabled)}</td><td>{yes(u.verified)}</td>
                <td>{yes(u.admin)}</td><td>{u.dataAccess}</td><td>{u.authSource}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
