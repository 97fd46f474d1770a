// A project's management pages, for those who manage it (owners, site admins); others
// are told they may not (the server refuses their changes anyway).
import { usePermissions } from './permissions.js';
import { Status } from '../components/Status.jsx';

export function ManageGate({ project, children }) {
  const perms = usePermissions(project);
  if (!perms.data) return <Status state={perms} what="your access to the project" />;
  if (!perms.data.manage) {
    return <p class="error" role="alert" id="not-allowed">You are not allowed to manage project {project}: only its owners and site administrators may.</p>;
  }
  return children;
}
