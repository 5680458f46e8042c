// The scripts' strings in the visitor's language: hkT("已学 {percent}%", {percent: 40}). The body's
// data-i18n attribute maps each Chinese text to its translation as JSON (app/core/jsi18n.py); in
// Chinese it is empty and the text is shown as written. (An attribute, not an inline script: a
// Content-Security-Policy need allow no inline code.)
(function () {
  "use strict";
  let catalog = {};
  const data = document.body ? document.body.dataset.i18n : "";
  if (data) {
    try { catalog = JSON.parse(data) || {}; } catch (_error) { catalog = {}; }
  }
  window.hkT = function (text, values) {
    const translated = catalog[text] || text;
    return values
      ? translated.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match))
      : translated;
  };
})();
