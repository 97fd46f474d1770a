// An item of XNAT's JSON (GET .../X?format=json): its data_fields, and its children by
// field name (custom variables are the child "fields/field").
import { getJson } from '../api.js';

export async function item(path) {
  const j = await getJson(`${path}?format=json`);
  const it = (j.items || [])[0] || {};
  return { fields: it.data_fields || {}, children: it.children || [], meta: it.meta || {} };
}

// Custom variables of an item: [[name, value], ...].
export function customFields(it) {
  const c = it.children.find((ch) => ch.field === 'fields/field');
  if (!c) return [];
  return c.items.map((x) => [x.data_fields.name, x.data_fields.field]);
}
