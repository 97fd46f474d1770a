// What a change came to: the server's message when it was refused, else what was saved.
export function Outcome({ action, id }) {
  if (action.error) return <p class="error" role="alert" id={id}>{action.error.message}</p>;
  return <p class="saved" role="status" id={id}>{action.busy ? 'Saving…' : action.done}</p>;
}
