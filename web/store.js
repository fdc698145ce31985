// The conversations, kept in the browser's localStorage so they survive a reload:
// [{id, title, updated, messages: [{role, content, stopped?}]}], newest first.
'use strict';

const store = (() => {
  const key = 'llama-fast.conversations';
  const currentKey = 'llama-fast.current';

  function all() {
    try {
      const list = JSON.parse(localStorage.getItem(key) || '[]');
      return Array.isArray(list) ? list.filter((c) => c && c.id && Array.isArray(c.messages)) : [];
    } catch (_) {
      return [];  // unreadable (edited by hand): start afresh rather than break the page
    }
  }

  function write(list) {
    list.sort((a, b) => b.updated - a.updated);
    localStorage.setItem(key, JSON.stringify(list));
  }

  return {
    all,
    get: (id) => all().find((c) => c.id === id) || null,
    fresh: () => ({ id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
                    title: '', updated: 0, messages: [] }),
    // Saves (or adds) a conversation, as the newest.
    save(conv) {
      conv.updated = Date.now();
      write(all().filter((c) => c.id !== conv.id).concat([conv]));
    },
    rename(id, title) {
      const list = all();
      const c = list.find((x) => x.id === id);
      if (c) c.title = title;
      localStorage.setItem(key, JSON.stringify(list));
    },
    remove: (id) => localStorage.setItem(key, JSON.stringify(all().filter((c) => c.id !== id))),
    currentId: () => localStorage.getItem(currentKey),
    setCurrentId: (id) => localStorage.setItem(currentKey, id),
  };
})();
