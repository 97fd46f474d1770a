// A prearchived session's scans, as its scans listing gives them.
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { SimpleTable } from '../components/SimpleTable.jsx';
import { scans } from './actions.js';

export function ScanList({ src, name }) {
  const state = useLoad(() => scans(src), [src]);
  return (
    <div class="inspect" id="prearchive-scans">
      <Status state={state} what="the scans" />
      {state.data && (
        <SimpleTable caption={`Scans of ${name}`} rows={state.data.rows} columns={[
          { key: 'ID', header: 'Scan' }, { key: 'series_description', header: 'Series description' },
          { key: 'type', header: 'Type' }, { key: 'modality', header: 'Modality' },
        ]} />
      )}
    </div>
  );
}
