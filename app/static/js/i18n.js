// The scripts' strings in the visitor's language: hkT("已学 {percent}%", {percent: 40}). The page's
// JSON block #hk-i18n maps each Chinese text to its translation (app/core/jsi18n.py); in Chinese
// it is empty and the text is shown as written.
(function () {
  "use strict";
  let catalog = {};
  const block = document.getElementById("hk-i18n");
  if (block) {
    try { catalog = JSON.parse(block.textContent) || {}; } catch (_error) { catalog = {}; }
  }
  window.hkT = function (text, values) {
    const translated = catalog[text] || text;
    return values
      ? translated.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match))
      : translated;
  };
})();
