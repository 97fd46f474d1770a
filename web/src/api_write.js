// Changes through the API: a PUT or DELETE, with a text or JSON body, answering the
// response's text. Errors are api.js's ApiError with the server's own message.
import { request } from './api.js';

export async function put(path, body, contentType = 'text/plain') {
  const opts = { method: 'PUT' };
  if (body !== undefined) {
    opts.body = typeof body === 'string' ? body : JSON.stringify(body);
    opts.headers = { 'Content-Type': typeof body === 'string' ? contentType : 'application/json' };
  }
  return (await request(path, opts)).text();
}

export async function del(path) {
  return (await request(path, { method: 'DELETE' })).text();
}
