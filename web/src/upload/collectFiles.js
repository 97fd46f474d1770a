// The files a drop holds, folders walked (webkitGetAsEntry, which every current browser
// has), each with its path inside the drop as its name.
function readAll(reader) {
  return new Promise((resolve, reject) => {
    const out = [];
    const next = () => reader.readEntries((batch) => {
      if (!batch.length) resolve(out);
      else { out.push(...batch); next(); }
    }, reject);
    next();
  });
}

async function walk(entry, into) {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    into.push({ file, name: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry.createReader())) await walk(child, into);
  }
}

export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items]
    .map((it) => (it.webkitGetAsEntry ? it.webkitGetAsEntry() : null)).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, name: file.name }));
  const out = [];
  for (const e of entries) await walk(e, out);
  return out;
}

// A file input's files: a folder picker gives each its relative path.
export const pickedFiles = (list) =>
  [...list].map((file) => ({ file, name: file.webkitRelativePath || file.name }));
