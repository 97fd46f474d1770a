// The prearchive over its REST API: the table of sessions, a session's scans, and what
// can be done to one or many (src is the row's url: /prearchive/projects/P/ts/s).
import { listing, postForm, request } from '../api.js';

// Statuses an operation or the receiver is still in: the page asks again while any shows.
export const TRANSIENT = new Set(['RECEIVING', 'BUILDING', 'ARCHIVING', 'MOVING', 'DELETING']);

export const list = (project) =>
  listing(project ? `/data/prearchive/projects/${encodeURIComponent(project)}` : '/data/prearchive/projects');

export const scans = (src) => listing(`/data${src}/scans`);

// Archived session's URI (text/uri-list).
export async function archive(src, { project, subject, label }) {
  const p = { src };
  if (project) p.project = project;
  if (subject) p.subject = subject;
  if (label) p.session = label;
  return (await (await postForm('/data/services/archive', p)).text()).trim();
}

const bulk = (service, srcs, extra = {}) =>
  postForm(`/data/services/prearchive/${service}?format=json`,
    [...srcs.map((s) => ['src', s]), ...Object.entries(extra)]);

export const rebuild = (srcs) => bulk('rebuild', srcs);
export const move = (srcs, newProject) => bulk('move', srcs, { newProject });
export const remove = (srcs) => bulk('delete', srcs, { async: 'false' });
export const removeOne = (src) => request(`/data${src}`, { method: 'DELETE' });
