// The server's OpenAI-compatible chat API: one streamed answer at a time.
'use strict';

// The message of an error response: OpenAI's {"error": {"message": ...}} or the raw text.
// The API key of a server started with --api-key: `llama-fast browser` opens the page with
// it in the address's fragment (#key=..., which never reaches the server or its logs); it
// is kept for this tab only and taken out of the address bar.
const apiKey = (() => {
  const m = /(?:^#|&)key=([^&]*)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('llama-fast.api-key', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('llama-fast.api-key');
})();

function apiHeaders(extra) {
  return apiKey ? Object.assign({ Authorization: 'Bearer ' + apiKey }, extra) : extra;
}

async function errorText(response) {
  if (response.status === 401)
    return 'This server needs an API key: open the address `llama-fast browser` printed (it carries the key), ' +
      'or add #key=YOUR_KEY to this page\'s address. (HTTP 401)';
  const text = await response.text();
  try {
    const e = JSON.parse(text).error;
    if (e && e.message) return `${e.message} (HTTP ${response.status})`;
  } catch (_) { /* not JSON: show it as it is */ }
  return `HTTP ${response.status} ${response.statusText}${text ? ': ' + text.slice(0, 300) : ''}`;
}

// Calls onEvent(data) for each server-sent event's data of a streamed response until the
// body ends or onEvent returns false. Events end with a blank line; lines end with \n, \r\n
// or \r; an event's data lines are joined with \n.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    // A \r at the end may be the first half of a \r\n still on its way.
    const held = !done && buffer.endsWith('\r') ? '\r' : '';
    buffer = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l[5] === ' ' ? 6 : 5));
      if (data.length && onEvent(data.join('\n')) === false) {
        reader.cancel().catch(() => {});
        return;
      }
    }
    buffer += held;
    if (done) return;
  }
}

// Streams one answer: calls onPiece(text) for each piece of content as it arrives and
// returns {finish, usage} once the server sends [DONE]; throws an Error with a message for
// the user on any failure (including the user's abort, which the caller tells apart).
async function streamAnswer(body, signal, onPiece) {
  let response;
  try {
    response = await fetch('v1/chat/completions', {
      method: 'POST',
      headers: apiHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error(`Cannot reach the server (${e.message}). Is llama-fast still running?`);
  }
  if (!response.ok) throw new Error(await errorText(response));
  const result = { finish: null, usage: null };
  let complete = false;
  await readEvents(response, (data) => {
    if (data === '[DONE]') {
      complete = true;
      return false;
    }
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch (_) {
      throw new Error('The server sent an event that is not JSON: ' + data.slice(0, 200));
    }
    if (chunk.error) throw new Error(chunk.error.message || JSON.stringify(chunk.error));
    if (chunk.usage) result.usage = chunk.usage;
    const choice = chunk.choices && chunk.choices[0];
    if (choice && choice.delta && choice.delta.content) onPiece(choice.delta.content);
    if (choice && choice.finish_reason) result.finish = choice.finish_reason;
    return true;
  });
  if (!complete) throw new Error('The connection closed before the answer was complete.');
  return result;
}
