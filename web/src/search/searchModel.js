// The search builder's state and the API's JSON form it becomes (docs/rest-api.md,
// "The JSON form"): a tree of AND/OR groups holding conditions on the row type's fields.

export const OPS = ['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'NOT LIKE', 'IN', 'NOT IN',
  'IS NULL', 'IS NOT NULL'];
const NO_VALUE = new Set(['IS NULL', 'IS NOT NULL']);
export const needsValue = (op) => !NO_VALUE.has(op);

let nextKey = 1;
export const newCondition = (field = '') => ({ key: nextKey++, field, op: '=', value: '' });
export const newGroup = (method = 'and') => ({ key: nextKey++, method, items: [newCondition()] });
export const isGroup = (x) => Array.isArray(x.items);

function conditionJson(root, c) {
  const out = { field: `${root}/${c.field}`, op: c.op };
  if (c.op === 'IN' || c.op === 'NOT IN') {
    out.value = c.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  } else if (needsValue(c.op)) {
    out.value = c.value;
  }
  return out;
}

// Conditions without a field are left out, as are groups left empty.
function groupJson(root, g) {
  const items = g.items
    .map((x) => (isGroup(x) ? groupJson(root, x) : x.field ? conditionJson(root, x) : null))
    .filter(Boolean);
  return items.length ? { [g.method]: items } : null;
}

export function toJson({ root, columns, where }, limit) {
  const out = { root };
  if (columns.length) out.columns = columns.map((c) => `${root}/${c}`);
  const w = groupJson(root, where);
  if (w) out.where = w;
  if (limit) out.limit = limit;
  return out;
}
