// The logged-in account (GET /xapi/users/current): whether it is a site admin decides
// whether the Admin menu shows. The server refuses non-admins on every admin call anyway.
import { getJson } from '../api.js';
import { useLoad } from '../components/useLoad.js';

export function useCurrentAccount(user) {
  return useLoad(() => getJson('/xapi/users/current'), [user]);
}
