// The project page's management links, shown to those who may manage the project.
import { seg } from '../api.js';
import { usePermissions } from './permissions.js';

export function ManageLinks({ project }) {
  const perms = usePermissions(project);
  if (!perms.data || !perms.data.manage) return null;
  return (
    <>
      <li><a class="button" id="manage-vars" href={`/projects/${seg(project)}/custom-variables`} data-route>Manage Custom Variables</a></li>
      <li><a class="button" id="project-settings" href={`/projects/${seg(project)}/settings`} data-route>Project Settings</a></li>
    </>
  );
}
