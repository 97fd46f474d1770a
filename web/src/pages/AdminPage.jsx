// Site administration: users, the site's anonymisation script and Basic Profile, the
// DICOM receivers and the audit trail; for site admins.
import { useState } from 'preact/hooks';
import { AdminGate } from '../admin/AdminGate.jsx';
import { UsersList } from '../admin/UsersList.jsx';
import { BasicProfile } from '../admin/BasicProfile.jsx';
import { Receivers } from '../admin/Receivers.jsx';
import { AuditLog } from '../admin/AuditLog.jsx';
import { AnonScript } from '../manage/AnonScript.jsx';

const TABS = [
  ['users', 'Users'], ['anon', 'Anonymization'], ['dicom', 'DICOM receivers'], ['audit', 'Audit log'],
];

export function AdminPage({ user }) {
  const [tab, setTab] = useState('users');
  return (
    <section>
      <h1>Administration</h1>
      <AdminGate user={user}>
        <div class="tabs" role="group" aria-label="Administration">
          {TABS.map(([k, label]) => (
            <button type="button" key={k} id={`tab-${k}`} aria-pressed={tab === k ? 'true' : 'false'}
              onClick={() => setTab(k)}>{label}</button>
          ))}
        </div>
        {tab === 'users' && <UsersList />}
        {tab === 'anon' && (
          <>
            <BasicProfile />
            <AnonScript base="/xapi/anonymize/site" id="site-anon" label="Site anonymization script (DicomEdit 6)" />
          </>
        )}
        {tab === 'dicom' && <Receivers />}
        {tab === 'audit' && <AuditLog />}
      </AdminGate>
    </section>
  );
}
