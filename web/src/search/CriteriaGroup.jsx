// One AND/OR group of the search builder: its method, its conditions and nested groups.
// Every control has its own label naming the condition it belongs to (name = "1.2").
import { OPS, needsValue, isGroup, newCondition, newGroup } from './searchModel.js';

function Condition({ c, name, fields, onChange, onRemove }) {
  const set = (k) => (e) => onChange({ ...c, [k]: e.currentTarget.value });
  const field = fields.find((f) => f.FIELD_ID === c.field);
  return (
    <li class="condition">
      <select aria-label={`Condition ${name}: field`} value={c.field} onChange={set('field')}>
        <option value="">— field —</option>
        {fields.map((f) => <option key={f.FIELD_ID} value={f.FIELD_ID}>{f.HEADER || f.FIELD_ID}</option>)}
      </select>
      <select aria-label={`Condition ${name}: comparison`} value={c.op} onChange={set('op')}>
        {OPS.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
      {needsValue(c.op) && (
        <input aria-label={`Condition ${name}: value${c.op.endsWith('IN') ? ' (comma-separated)' : ''}`}
          value={c.value} onInput={set('value')}
          inputMode={field && /int|float|decimal|double/i.test(field.TYPE) ? 'decimal' : undefined} />
      )}
      <button type="button" onClick={onRemove} aria-label={`Remove condition ${name}`}>Remove</button>
    </li>
  );
}

export function CriteriaGroup({ group, name, fields, onChange, onRemove }) {
  const replace = (i, x) => onChange({ ...group, items: group.items.map((y, j) => (j === i ? x : y)) });
  const remove = (i) => onChange({ ...group, items: group.items.filter((_, j) => j !== i) });
  const add = (x) => onChange({ ...group, items: [...group.items, x] });
  const label = name ? `Group ${name}` : 'All conditions';
  return (
    <fieldset class="criteria-group">
      <legend>{label}</legend>
      <label>
        Rows must match{' '}
        <select aria-label={`${label}: match`} value={group.method}
          onChange={(e) => onChange({ ...group, method: e.currentTarget.value })}>
          <option value="and">all of these (AND)</option>
          <option value="or">any of these (OR)</option>
        </select>
      </label>
      <ul>
        {group.items.map((x, i) => {
          const n = name ? `${name}.${i + 1}` : `${i + 1}`;
          return isGroup(x) ? (
            <li key={x.key}>
              <CriteriaGroup group={x} name={n} fields={fields}
                onChange={(y) => replace(i, y)} onRemove={() => remove(i)} />
            </li>
          ) : (
            <Condition key={x.key} c={x} name={n} fields={fields}
              onChange={(y) => replace(i, y)} onRemove={() => remove(i)} />
          );
        })}
      </ul>
      <div class="group-tools">
        <button type="button" onClick={() => add(newCondition())}>Add condition{name ? ` to group ${name}` : ''}</button>
        <button type="button" onClick={() => add(newGroup(group.method === 'and' ? 'or' : 'and'))}>Add group{name ? ` to group ${name}` : ''}</button>
        {onRemove && <button type="button" onClick={onRemove}>Remove group {name}</button>}
      </div>
    </fieldset>
  );
}
