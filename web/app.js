// The chat page's behaviour: the conversation shown (kept by store.js), the sidebar of
// conversations, the settings, and one streamed answer at a time (api.js), rendered by
// markdown.js. A turn joins the conversation only once its answer has finished or been
// stopped, so a failed request leaves the conversation as it was.
'use strict';

const el = (id) => document.getElementById(id);
const ui = {
  messages: el('messages'), input: el('input'), send: el('send'), stop: el('stop'),
  newChat: el('new-chat'), system: el('system'), error: el('error'), status: el('status'),
  modelName: el('model-name'), list: el('conversations'), title: el('title'),
  format: el('response-format'), grammar: el('grammar'),
};

let conv = store.get(store.currentId()) || store.fresh();  // the conversation shown
let current = null;  // the answer in progress: {controller, stopped}
let modelId = null;

// The number fields: [input id, request field, name, min, max, integer, sent even when empty].
// The others are sent only when set, so a server that does not know one is asked for it
// only by a user who wants it (and then refuses it, naming the field).
const numberFields = [
  ['temperature', 'temperature', 'Temperature', 0, 2, false, true],
  ['max-tokens', 'max_tokens', 'Max tokens', 1, 1000000, true, true],
  ['top-p', 'top_p', 'Top p', 0, 1, false],
  ['top-k', 'top_k', 'Top k', 0, 1000000, true],
  ['min-p', 'min_p', 'Min p', 0, 1, false],
  ['typical-p', 'typical_p', 'Typical p', 0, 1, false],
  ['repeat-penalty', 'repeat_penalty', 'Repeat penalty', 0, 10, false],
  ['presence-penalty', 'presence_penalty', 'Presence penalty', -2, 2, false],
  ['frequency-penalty', 'frequency_penalty', 'Frequency penalty', -2, 2, false],
  ['seed', 'seed', 'Seed', 0, Number.MAX_SAFE_INTEGER, true],
];

function setBusy(busy) {
  document.body.dataset.busy = String(busy);
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.send.disabled = busy;
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

function nearBottom() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 40;
}

// Reads the number in an input, or throws a message naming the field.
function numberField(input, name, min, max, integer) {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  return v;
}

// The request for an answer to history (with the system prompt, read at every turn so an
// edit applies to the next one), or null after showing what is wrong with a setting.
function bodyFor(history) {
  const system = ui.system.value.trim();
  const body = {
    messages: system ? [{ role: 'system', content: system }].concat(history) : history,
    stream: true,
    stream_options: { include_usage: true },  // the last event then counts the tokens
  };
  try {
    for (const [id, field, name, min, max, integer, always] of numberFields) {
      const input = el(id);
      if (always || input.value.trim() !== '' || input.validity.badInput)
        body[field] = numberField(input, name, min, max, integer);
    }
  } catch (e) {
    showError(e.message);
    return null;
  }
  if (ui.format.value) body.response_format = { type: ui.format.value };
  if (ui.grammar.value.trim()) body.grammar = ui.grammar.value;
  if (modelId) body.model = modelId;
  return body;
}

// Shows text in a message row: a user's as typed, an answer as Markdown.
function fill(row, text, final) {
  row.dataset.text = text;
  const content = row.querySelector('.content');
  if (row.classList.contains('user')) content.textContent = text;
  else content.replaceChildren(markdown.render(text, final));
}

function actionButton(label, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

// Copies by selecting the text in a hidden box: for a page not served from loopback or
// https, which the browser gives no clipboard API.
function copyBySelection(text) {
  const box = document.createElement('textarea');
  box.value = text;
  box.style.position = 'fixed';
  box.style.opacity = '0';
  document.body.appendChild(box);
  box.select();
  const ok = document.execCommand('copy');
  box.remove();
  return ok;
}

async function copy(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (_) {
    ok = copyBySelection(text);
  }
  button.textContent = ok ? 'Copied' : 'Copy failed';
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
}

function messageRow(msg, index, last) {
  const row = document.createElement('div');
  row.className = `message ${msg.role}${msg.stopped ? ' stopped' : ''}`;
  const content = document.createElement('div');
  content.className = 'content';
  row.appendChild(content);
  fill(row, msg.content, true);
  const actions = document.createElement('div');
  actions.className = 'actions';
  const copyButton = actionButton('Copy', 'copy', () => copy(msg.content, copyButton));
  actions.appendChild(copyButton);
  if (msg.role === 'user') actions.appendChild(actionButton('Edit', 'edit', () => startEdit(row, index)));
  if (msg.role === 'assistant' && last) actions.appendChild(actionButton('Regenerate', 'regenerate', regenerate));
  row.appendChild(actions);
  return row;
}

function renderMessages(messages) {
  ui.messages.replaceChildren(...messages.map((m, i) => messageRow(m, i, i === messages.length - 1)));
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function summary(result, pieces, seconds) {
  const tokens = result.usage && result.usage.completion_tokens;
  const count = tokens != null ? tokens : pieces;
  const rate = seconds > 0 ? `, ${(count / seconds).toFixed(1)}/s` : '';
  return `${count} ${tokens != null ? 'tokens' : 'pieces'} in ${seconds.toFixed(1)} s${rate}` +
    (result.finish === 'length' ? ' · stopped at max tokens' : '');
}

// Streams the answer to history (which ends with the user's message) below it; on success
// the conversation becomes history + answer and is saved, on failure it stays as it was
// and onFailure runs.
async function answer(history, body, onFailure) {
  showError('');
  renderMessages(history);
  const row = messageRow({ role: 'assistant', content: '' }, history.length, false);
  row.classList.add('streaming');
  ui.messages.appendChild(row);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  const turn = { controller: new AbortController(), stopped: false };
  current = turn;
  setBusy(true);
  ui.status.textContent = 'Generating…';

  let text = '', pieces = 0, result = null, failure = null;
  const started = performance.now();
  try {
    result = await streamAnswer(body, turn.controller.signal, (piece) => {
      const follow = nearBottom();
      text += piece;
      pieces++;
      fill(row, text, false);
      if (follow) ui.messages.scrollTop = ui.messages.scrollHeight;
    });
  } catch (e) {
    turn.controller.abort();  // an error mid-stream must not leave the server generating
    failure = e;
  }
  if (turn !== current) return;  // another conversation was opened: this answer is dropped
  current = null;
  setBusy(false);
  ui.input.focus();
  if ((failure && !turn.stopped) || (turn.stopped && text === '')) {
    renderMessages(conv.messages);
    showError(turn.stopped ? '' : failure.message);
    ui.status.textContent = turn.stopped ? 'Stopped.' : '';
    onFailure();
    return;
  }
  const reply = { role: 'assistant', content: text };
  if (turn.stopped) reply.stopped = true;
  conv.messages = history.concat([reply]);
  if (!conv.title) conv.title = history[0].content.trim().replace(/\s+/g, ' ').slice(0, 48);
  renderMessages(conv.messages);
  ui.status.textContent = turn.stopped ? 'Stopped.' : summary(result, pieces, (performance.now() - started) / 1000);
  try {
    store.save(conv);
    store.setCurrentId(conv.id);
  } catch (e) {
    showError(`This conversation could not be saved in the browser (${e.message}): delete some old ones.`);
  }
  renderList();
}

function send() {
  const text = ui.input.value;
  if (current || text.trim() === '') return;
  const history = conv.messages.concat([{ role: 'user', content: text }]);
  const body = bodyFor(history);
  if (!body) return;
  ui.input.value = '';
  resizeInput();
  answer(history, body, () => {
    // The turn did not happen: the text goes back to the box.
    if (ui.input.value === '') ui.input.value = text;
    resizeInput();
  });
}

// A new answer in place of the last one.
function regenerate() {
  const last = conv.messages.length - 1;
  if (current || last < 0 || conv.messages[last].role !== 'assistant') return;
  const history = conv.messages.slice(0, last);
  const body = bodyFor(history);
  if (body) answer(history, body, () => {});
}

// Edits a user's message in place; sending it drops every later turn.
function startEdit(row, index) {
  if (current) return;
  const box = document.createElement('textarea');
  box.className = 'edit-box';
  box.value = conv.messages[index].content;
  const resend = () => {
    if (current || box.value.trim() === '') return;
    const history = conv.messages.slice(0, index).concat([{ role: 'user', content: box.value }]);
    const body = bodyFor(history);
    if (body) answer(history, body, () => {});
  };
  const cancel = () => renderMessages(conv.messages);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      resend();
    } else if (e.key === 'Escape') {
      cancel();
    }
  });
  const buttons = document.createElement('div');
  buttons.className = 'edit-buttons';
  buttons.append(actionButton('Cancel', 'edit-cancel', cancel), actionButton('Send', 'edit-send primary', resend));
  const editor = document.createElement('div');
  editor.className = 'content editor';
  editor.append(box, buttons);
  row.replaceChildren(editor);
  box.focus();
}

function stop() {
  if (!current) return;
  current.stopped = true;
  current.controller.abort();
}

// Drops the answer in progress (another conversation is being opened).
function dropAnswer() {
  if (!current) return;
  const turn = current;
  current = null;
  turn.controller.abort();
  setBusy(false);
}

function show(c) {
  dropAnswer();
  conv = c;
  store.setCurrentId(c.id);
  renderMessages(conv.messages);
  renderList();
  showError('');
  ui.status.textContent = '';
  document.body.classList.remove('sidebar-open');
  ui.input.focus();
}

function rename(item, c) {
  const box = document.createElement('input');
  box.className = 'rename-box';
  box.value = c.title;
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    const title = box.value.trim();
    if (keep && title) {
      store.rename(c.id, title);
      if (c.id === conv.id) conv.title = title;
    }
    renderList();
  };
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') finish(true);
    else if (e.key === 'Escape') finish(false);
  });
  box.addEventListener('blur', () => finish(true));
  item.replaceChildren(box);
  box.focus();
  box.select();
}

function remove(c) {
  store.remove(c.id);
  if (c.id === conv.id) show(store.fresh());
  else renderList();
}

function renderList() {
  ui.list.replaceChildren(...store.all().map((c) => {
    const item = document.createElement('li');
    item.className = 'conversation' + (c.id === conv.id ? ' current' : '');
    item.dataset.id = c.id;
    const open = actionButton(c.title || 'Untitled', 'open', () => show(store.get(c.id) || store.fresh()));
    open.title = c.title;
    const renameButton = actionButton('✎', 'rename', () => rename(item, c));
    renameButton.title = 'Rename';
    renameButton.setAttribute('aria-label', 'Rename');
    const removeButton = actionButton('✕', 'delete', () => remove(c));
    removeButton.title = 'Delete';
    removeButton.setAttribute('aria-label', 'Delete');
    item.append(open, renameButton, removeButton);
    return item;
  }));
  ui.title.textContent = conv.title || 'New chat';
}

function resizeInput() {
  ui.input.style.height = 'auto';
  ui.input.style.height = ui.input.scrollHeight + 2 + 'px';
}

// Settings survive a reload of the page.
function keepSetting(input, key) {
  const saved = localStorage.getItem(key);
  if (saved !== null) input.value = saved;
  input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', () => localStorage.setItem(key, input.value));
}

// The settings panel: open on wide screens until closed, closed on narrow ones.
function showSettings(open) {
  document.body.dataset.settings = open ? 'open' : 'closed';
  el('toggle-settings').setAttribute('aria-expanded', String(open));
}

el('send-form').addEventListener('submit', (e) => { e.preventDefault(); send(); });
ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
ui.input.addEventListener('input', resizeInput);
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && current) stop(); });
ui.stop.addEventListener('click', stop);
ui.newChat.addEventListener('click', () => show(store.fresh()));
el('toggle-sidebar').addEventListener('click', () => document.body.classList.toggle('sidebar-open'));
el('backdrop').addEventListener('click', () => document.body.classList.remove('sidebar-open'));
el('toggle-settings').addEventListener('click', () => {
  const open = document.body.dataset.settings !== 'open';
  showSettings(open);
  localStorage.setItem('llama-fast.settings-open', String(open));
});
for (const input of document.querySelectorAll('#settings input, #settings textarea, #settings select'))
  keepSetting(input, 'llama-fast.' + input.id);
const settingsOpen = localStorage.getItem('llama-fast.settings-open');
showSettings(settingsOpen !== null ? settingsOpen === 'true' : window.matchMedia('(min-width: 900px)').matches);
renderMessages(conv.messages);
renderList();

// The model's name (the server serves one model).
fetch('v1/models', { headers: apiHeaders({}) }).then((r) => (r.ok ? r.json() : null)).then((list) => {
  const m = list && list.data && list.data[0];
  if (m && m.id) {
    modelId = m.id;
    ui.modelName.textContent = m.id;
  }
}).catch(() => {});
