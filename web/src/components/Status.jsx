// A load's state as the page shows it: a note while loading, the server's message on error.
export function Status({ state, what }) {
  if (state.error) {
    return <p class="error" role="alert">Could not load {what}: {state.error.message}</p>;
  }
  if (state.loading && !state.data) return <p class="loading">Loading {what}…</p>;
  return null;
}
