// A project's subjects: every custom variable a column; sort (click a header), a filter
// per column, pages of 200 by default, all done by the server; CSV of the rows shown.
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  columnFilteringFeature, rowPaginationFeature, rowSortingFeature, tableFeatures, useTable,
} from '@tanstack/preact-table';
import { listing, seg } from '../api.js';
import { toCsv } from './csv.js';
import { subjectColumns, subjectsParams } from './subjectsQuery.js';

const features = tableFeatures({ rowSortingFeature, rowPaginationFeature, columnFilteringFeature });
const PAGE_SIZES = [50, 200, 1000];
const FILTER_DELAY = 150; // ms after the last key before the server is asked

const apply = (updater, old) => (typeof updater === 'function' ? updater(old) : updater);

export function SubjectsTable({ project, customVars }) {
  const cols = useMemo(() => subjectColumns(customVars), [customVars]);
  const columns = useMemo(() => cols.map((c) => ({
    id: c.id, header: c.header, accessorFn: (row) => row[c.id] ?? '',
  })), [cols]);
  const [sorting, setSorting] = useState([]);
  const [pagination, setPagination] = useState({ pageIndex: 0, pageSize: 200 });
  const [filterText, setFilterText] = useState({}); // as typed
  const [columnFilters, setColumnFilters] = useState([]); // as asked of the server
  const [page, setPage] = useState({ rows: [], total: 0 });
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);

  // typing settles, then the filters apply from the first page
  useEffect(() => {
    const t = setTimeout(() => {
      setColumnFilters(Object.entries(filterText).filter(([, v]) => v.trim())
        .map(([id, value]) => ({ id, value })));
      setPagination((p) => ({ ...p, pageIndex: 0 }));
    }, FILTER_DELAY);
    return () => clearTimeout(t);
  }, [filterText]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    listing(`/data/projects/${seg(project)}/subjects`,
      subjectsParams(cols, { sorting, pagination, columnFilters }))
      .then((r) => { if (live) { setPage(r); setError(null); } },
        (e) => { if (live) setError(e); })
      .finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [project, cols, sorting, pagination, columnFilters]);

  const table = useTable({
    features,
    columns,
    data: page.rows,
    rowCount: page.total,
    manualSorting: true,
    manualPagination: true,
    manualFiltering: true,
    state: { sorting, pagination, columnFilters },
    onSortingChange: (u) => { setSorting((s) => apply(u, s)); setPagination((p) => ({ ...p, pageIndex: 0 })); },
    onPaginationChange: (u) => setPagination((p) => apply(u, p)),
    onColumnFiltersChange: (u) => setColumnFilters((f) => apply(u, f)),
  });

  const pageCount = Math.max(1, Math.ceil(page.total / pagination.pageSize));
  const first = page.total ? pagination.pageIndex * pagination.pageSize + 1 : 0;
  const last = pagination.pageIndex * pagination.pageSize + page.rows.length;

  const csvHref = useMemo(() => {
    const csv = toCsv(cols.map((c) => c.header), page.rows.map((r) => cols.map((c) => r[c.id] ?? '')));
    return URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  }, [page, cols]);
  useEffect(() => () => URL.revokeObjectURL(csvHref), [csvHref]);

  return (
    <div class="subjects" aria-busy={loading ? 'true' : 'false'}>
      <div class="table-tools">
        <span id="subjects-count" role="status">
          {loading ? 'Loading…' : `Subjects ${first}–${last} of ${page.total}`}
        </span>
        <a class="button" id="subjects-csv" href={csvHref} download={`${project}_subjects.csv`}>
          Download these rows as CSV
        </a>
      </div>
      {error && <p class="error" role="alert">Could not load the subjects: {error.message}</p>}
      <div class="scroll">
        <table class="grid" id="subjects">
          <caption class="sr-only">Subjects of {project}</caption>
          <thead>
            {table.getHeaderGroups().map((g) => (
              <tr key={g.id}>
                {g.headers.map((h) => {
                  const dir = h.column.getIsSorted();
                  return (
                    <th key={h.id} scope="col"
                      aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}>
                      <button type="button" class="sort" data-col={h.column.id}
                        onClick={h.column.getToggleSortingHandler()}>
                        {h.column.columnDef.header}
                        <span aria-hidden="true">{dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ''}</span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            ))}
            <tr class="filters">
              {cols.map((c) => (
                <td key={c.id}>
                  <input type="search" aria-label={`Filter ${c.header}`} data-col={c.id}
                    value={filterText[c.id] || ''}
                    onInput={(e) => setFilterText({ ...filterText, [c.id]: e.currentTarget.value })} />
                </td>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id}>
                {row.getAllCells().map((cell) => (
                  <td key={cell.id}>
                    {cell.column.id === 'label'
                      ? <a href={`/projects/${seg(project)}/subjects/${seg(cell.getValue())}`} data-route>{cell.getValue()}</a>
                      : cell.getValue()}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Subject pages">
        <button type="button" onClick={() => table.previousPage()} disabled={pagination.pageIndex === 0}>Previous</button>
        <span>Page {pagination.pageIndex + 1} of {pageCount}</span>
        <button type="button" id="subjects-next" onClick={() => table.nextPage()}
          disabled={pagination.pageIndex + 1 >= pageCount}>Next</button>
        <label>Rows per page{' '}
          <select value={pagination.pageSize}
            onChange={(e) => setPagination({ pageIndex: 0, pageSize: Number(e.currentTarget.value) })}>
            {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
      </nav>
    </div>
  );
}
