// "Project Settings": access (accessibility, users), the anonymisation script and where
// incoming sessions go; for the project's owners and site admins.
import { seg } from '../api.js';
import { ManageGate } from '../manage/ManageGate.jsx';
import { ProjectAccess } from '../manage/ProjectAccess.jsx';
import { AnonScript } from '../manage/AnonScript.jsx';
import { PrearchiveCode } from '../manage/PrearchiveCode.jsx';

export function ProjectSettingsPage({ params: [p] }) {
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/" data-route>Projects</a> ›{' '}
        <a href={`/projects/${seg(p)}`} data-route>{p}</a> › Settings</nav>
      <h1>Settings of {p}</h1>
      <ManageGate project={p}>
        <h2>Access</h2>
        <ProjectAccess project={p} />
        <h2>Anonymization</h2>
        <p class="hint">Applied to the project's DICOM after the site's script, as it arrives
          (DicomEdit 6). A script that does not compile is refused with its line.</p>
        <AnonScript base={`/xapi/anonymize/projects/${seg(p)}`} id="project-anon"
          label="Project anonymization script" />
        <h2>Prearchive</h2>
        <PrearchiveCode project={p} />
      </ManageGate>
    </section>
  );
}
