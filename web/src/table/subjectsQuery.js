// The subjects listing's query for the table's state: the API pages, sorts and filters
// (sortBy/sortOrder, limit/offset, a column's value with * as the wildcard), so a project
// of any size costs one page per request.
const CUSTOM = (name) => `xnat:subjectData/fields/field[name=${name}]/field`;

// The table's columns: the subject's own fields, then every custom variable the project
// defines for subjects. A variable's column is asked for under its lower-case name (the
// listing's key, as XNAT writes field names) and headed with the name as defined.
export function subjectColumns(customVars) {
  return [
    { id: 'label', header: 'Subject' },
    { id: 'gender', header: 'Gender' },
    { id: 'yob', header: 'YOB' },
    ...customVars.map((name) => ({ id: CUSTOM(name.toLowerCase()), header: name })),
  ];
}

export function subjectsParams(columns, { sorting, pagination, columnFilters }) {
  const params = {
    columns: ['ID', ...columns.map((c) => c.id)].join(','),
    limit: String(pagination.pageSize),
    offset: String(pagination.pageIndex * pagination.pageSize),
  };
  if (sorting.length) {
    params.sortBy = sorting[0].id;
    params.sortOrder = sorting[0].desc ? 'DESC' : 'ASC';
  }
  for (const f of columnFilters) {
    const v = String(f.value || '').trim();
    if (v) params[f.id] = v.includes('*') ? v : `*${v}*`;
  }
  return params;
}
