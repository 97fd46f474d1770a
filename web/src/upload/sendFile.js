// Sends one file to the import service with XMLHttpRequest (fetch reports no upload
// progress): a zip or tar as one DICOM-zip upload, any other file as one gradual-DICOM
// object. Resolves with the import's answer; rejects with an UploadError naming the file
// when the server refuses it or the transfer stops (network lost, aborted, timed out).
import { noteStatus } from '../api.js';

const ARCHIVE = /\.(zip|tar|tgz|tar\.gz)$/i;
const STALL_MS = 10 * 60 * 1000; // no answer for this long after the last byte: timed out

export class UploadError extends Error {
  constructor(file, message, status = 0) {
    super(message);
    this.file = file;
    this.status = status;
  }
}

export const isArchive = (name) => ARCHIVE.test(name);

// The import's query: routing only where the user chose it, else left to the data.
export function importQuery(name, { project, subject, session, dest }) {
  const q = new URLSearchParams({
    'import-handler': isArchive(name) ? 'DICOM-zip' : 'gradual-DICOM',
    inbody: 'true', report: 'full',
    dest: project && dest === '/prearchive' ? `${dest}/projects/${project}` : dest,
  });
  if (project) q.set('project', project);
  if (subject) q.set('subject', subject);
  if (session) q.set('session', session);
  return q;
}

// The answer with report=full: session URIs, then "rejected {member}: {reason}" lines.
export function parseReport(text) {
  const sessions = [];
  const rejected = [];
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (l.startsWith('rejected ')) rejected.push(l.slice('rejected '.length));
    else if (l.startsWith('/data/')) sessions.push(l);
  }
  return { sessions, rejected };
}

export function sendFile(file, name, routing, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/data/services/import?${importQuery(name, routing)}`);
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.setRequestHeader('Content-Type', isArchive(name) ? 'application/zip' : 'application/dicom');
    xhr.timeout = STALL_MS;
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const lost = (why) => () => reject(new UploadError(name,
      `${name}: ${why}; the server keeps nothing of an upload that did not finish`));
    xhr.onerror = lost('the connection was lost during the upload');
    xhr.onabort = lost('the upload was stopped');
    xhr.ontimeout = lost('the server did not answer in time');
    xhr.onload = () => {
      noteStatus(xhr.status);
      const text = xhr.responseText || '';
      if (xhr.status === 200) {
        resolve(parseReport(text));
        return;
      }
      // a 400 for a file with no good object still lists why each member was refused
      const report = parseReport(text);
      const first = text.split(/\r?\n/)[0].trim();
      const message = text.trim().startsWith('<') || !first ? `${xhr.status} ${xhr.statusText}` : first;
      const err = new UploadError(name, message, xhr.status);
      err.rejected = report.rejected;
      reject(err);
    };
    xhr.send(file);
  });
}
