// Behaviour every page shares, attached from data-* attributes so that no page needs inline code
// (the Content-Security-Policy allows scripts from files only: app/core/headers.py).
//   <form data-confirm="确定……？">          asks before submitting
//   <select data-autosubmit>                 submits its form when changed
//   <button type="button" data-print>        prints the page
//   <input type="checkbox" data-check-all="input[name=member]">   ticks or clears those boxes
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (!(field instanceof HTMLElement)) return;
    if (field.hasAttribute("data-autosubmit") && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
    if (field.dataset.checkAll) {
      document.querySelectorAll(field.dataset.checkAll).forEach(function (box) { box.checked = field.checked; });
    }
  });
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) window.print();
  });
})();
