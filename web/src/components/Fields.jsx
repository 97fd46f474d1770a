// An item's fields as a definition list; every value is text (never markup).
export function Fields({ fields, label }) {
  const shown = fields.filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (!shown.length) return null;
  return (
    <dl class="fields" aria-label={label}>
      {shown.map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{String(v)}</dd></div>
      ))}
    </dl>
  );
}
