// What the logged-in user may do in a project, as the server decides it
// (GET /xapi/projects/{P}/permissions): pages show only the controls it would accept.
import { getJson, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';

export function usePermissions(project) {
  return useLoad(() => getJson(`/xapi/projects/${seg(project)}/permissions`), [project]);
}
