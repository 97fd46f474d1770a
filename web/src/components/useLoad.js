// Loads data for a page: { data, error, loading }; reloads when `deps` change.
import { useEffect, useState } from 'preact/hooks';

export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, deps);
  return state;
}
