// Model output is untrusted: it is rendered as Markdown (marked) with highlighted code
// (highlight.js), but raw HTML in it is shown as text, and what marked makes is passed
// through a whitelist of tags and attributes before it reaches the page. Nothing in an
// answer can run a script, load a resource or style the page.
'use strict';

const markdown = (() => {
  const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const renderer = new marked.Renderer();
  renderer.html = (html) => escapeHtml(html);
  marked.setOptions({ renderer, gfm: true, breaks: false, headerIds: false, mangle: false });
  // Debian's highlight.js 9 logs that upstream no longer supports it; Debian maintains it.
  hljs.configure({ hideUpgradeWarningAcceptNoSupportOrSecurityUpdates: true });
  // The languages an unnamed code block is guessed among (all ~190 would be slow and
  // guess exotic ones).
  const guessable = ['bash', 'c', 'cpp', 'csharp', 'css', 'go', 'java', 'javascript', 'json', 'kotlin',
    'makefile', 'markdown', 'php', 'python', 'ruby', 'rust', 'sql', 'swift', 'typescript', 'xml', 'yaml']
    .filter((l) => hljs.getLanguage(l));

  // tag -> the attributes it keeps
  const allowed = {
    P: [], BR: [], HR: [], EM: [], STRONG: [], DEL: [], CODE: ['class'], PRE: [], SPAN: ['class'],
    A: ['href', 'title'], UL: [], OL: ['start'], LI: [], BLOCKQUOTE: [], H1: [], H2: [], H3: [],
    H4: [], H5: [], H6: [], TABLE: [], THEAD: [], TBODY: [], TR: [], TH: ['align'], TD: ['align'],
  };
  const safeClass = /^(hljs(-[\w-]+)?|language-[\w+#.-]+)$/;

  // Keeps whitelisted elements; any other element becomes its text (an image its alt text).
  function clean(node) {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) continue;
      const keep = child.nodeType === Node.ELEMENT_NODE && allowed[child.tagName];
      if (!keep) {
        const text = child.nodeType !== Node.ELEMENT_NODE ? ''
          : child.tagName === 'IMG' ? child.getAttribute('alt') || '' : child.textContent;
        child.replaceWith(document.createTextNode(text));
        continue;
      }
      for (const { name } of [...child.attributes]) if (!keep.includes(name)) child.removeAttribute(name);
      if (child.hasAttribute('class'))
        child.className = child.className.split(/\s+/).filter((c) => safeClass.test(c)).join(' ');
      if (child.tagName === 'A') {
        if (!/^(https?:|mailto:)/i.test(child.getAttribute('href') || '')) child.removeAttribute('href');
        child.target = '_blank';
        child.rel = 'noopener noreferrer';
      }
      clean(child);
    }
  }

  // Highlights the code blocks: by their language when named and known; by guessing only
  // when final (guessing tries every language: too slow for each streamed piece).
  function highlight(root, final) {
    for (const code of root.querySelectorAll('pre > code')) {
      const lang = (code.className.match(/language-([\w+#.-]+)/) || [])[1];
      const text = code.textContent;
      let html = null;
      if (lang && hljs.getLanguage(lang)) html = hljs.highlight(lang, text, true).value;
      else if (final) html = hljs.highlightAuto(text, guessable).value;
      if (html === null) continue;
      const t = document.createElement('template');
      t.innerHTML = html;
      clean(t.content);
      code.replaceChildren(t.content);
      code.classList.add('hljs');
    }
  }

  // A fragment of safe DOM for the Markdown text. A <template>'s content is inert: nothing
  // in it runs or loads while it is cleaned.
  function render(text, final) {
    const t = document.createElement('template');
    t.innerHTML = marked.parse(text);
    clean(t.content);
    highlight(t.content, final);
    return t.content;
  }

  return { render };
})();
