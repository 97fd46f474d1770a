// A change the user asked for (a PUT, a DELETE): { run, busy, error, done } where `done`
// says what was saved and `error` holds the server's message, both shown by <Outcome>.
import { useState } from 'preact/hooks';

export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, done: '' });
  const run = async (fn, doneMessage) => {
    setState({ busy: true, error: null, done: '' });
    try {
      const out = await fn();
      setState({ busy: false, error: null, done: doneMessage || 'Saved.' });
      return out;
    } catch (e) {
      setState({ busy: false, error: e, done: '' });
      return undefined;
    }
  };
  return { ...state, run };
}
