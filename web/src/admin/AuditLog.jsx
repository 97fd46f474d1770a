// The audit trail, newest first (GET /xapi/audit): logins, role and access changes,
// deletions; filtered by action.
import { useState } from 'preact/hooks';
import { listing } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';

export function AuditLog() {
  const [action, setAction] = useState('');
  const [shown, setShown] = useState('');
  const state = useLoad(() => listing('/xapi/audit', shown ? { limit: '500', action: shown }
    : { limit: '500' }), [shown]);
  return (
    <>
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); setShown(action.trim()); }}>
        <label>Action <input id="audit-action" value={action} placeholder="e.g. user_disabled"
          onInput={(e) => setAction(e.currentTarget.value)} /></label>
        <button type="submit">Show</button>
      </form>
      <Status state={state} what="the audit trail" />
      {state.data && (
        <SimpleTable caption={`The latest ${state.data.rows.length} entries`} rows={state.data.rows}
          empty="No entries." columns={[
            { key: 'at', header: 'When (UTC)' }, { key: 'actor', header: 'Who' },
            { key: 'action', header: 'Action' }, { key: 'object', header: 'Object' },
            { key: 'detail', header: 'Detail' }, { key: 'remote', header: 'From' },
          ]} />
      )}
    </>
  );
}
