// The in-page reader of document lessons: pdf.js (static/vendor/pdfjs, copied there by scripts/setup)
// draws each page of the lesson's PDF to a canvas the width of the column. Every page gets a box of
// its size at once, but is drawn only when it comes near the screen and let go again when it is far
// away, so a 100-page document holds a handful of canvases, not a hundred (phones run out of canvas
// memory long before that). The "end of the text" marker (#reading-end) that player.js watches to send
// the "ended" heartbeat stays hidden until the boxes are laid out: only scrolling past the last page
// reaches it. If the PDF cannot be shown, the reader gets the reason and the download link instead (and
// the end marker when the fault is the reader's, not the document's: see fail()).

const NEAR = "100% 0px"; // draw pages within one screen above or below the visible part
const FAR = "300% 0px"; // let go of pages more than three screens away
const MAX_PIXEL_RATIO = 3; // sharper than this adds memory, not legibility
const MAX_CANVAS_PIXELS = 8 * 1024 * 1024; // below every phone browser's canvas limit

const viewer = document.getElementById("pdf-viewer");
if (viewer) open(viewer);

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

async function open(viewer) {
  const text = viewer.dataset;
  const loading = viewer.querySelector("[data-pdf-loading]");
  const progress = viewer.querySelector("[data-pdf-progress]");
  const bar = viewer.querySelector("[data-pdf-bar]");
  const counter = viewer.querySelector("[data-pdf-counter]");
  const pagesBox = viewer.querySelector("[data-pdf-pages]");

  let failed = false;
  // A broken document (missing, damaged, locked) cannot be finished until the trainer replaces it; when
  // only the reader failed (pdf.js blocked or too old a browser) the member reads the downloaded file,
  // so the end marker is offered below the link and the time-on-page rule still applies.
  function fail(message, readerOnly = false) {
    if (failed) return;
    failed = true;
    loading.hidden = true;
    bar.hidden = true;
    pagesBox.replaceChildren();
    viewer.querySelector("[data-pdf-error-text]").textContent = message;
    viewer.querySelector("[data-pdf-error]").hidden = false;
    viewer.dataset.state = "failed";
    const end = document.getElementById("reading-end");
    if (end && readerOnly) end.hidden = false;
  }

  // The worker (the larger half of pdf.js) starts loading now, beside the library rather than after it.
  // Same origin: no CDN, and a Content-Security-Policy of 'self' allows it.
  let worker;
  let pdfjs;
  try {
    worker = new Worker(text.worker, { type: "module" });
    let heard = false;
    worker.addEventListener("message", () => { heard = true; }, { once: true });
    worker.addEventListener("error", (event) => {
      if (heard) return; // a loaded worker reports its own errors through pdf.js
      console.error("the pdf.js worker could not be loaded", event);
      fail(text.textFailed, true);
    });
    pdfjs = await import(text.lib);
  } catch (error) {
    console.error("pdf.js could not be loaded", error);
    fail(text.textFailed, true);
    return;
  }
  if (failed) return;
  pdfjs.GlobalWorkerOptions.workerPort = worker;

  const task = pdfjs.getDocument({
    url: text.url, // the protected lesson URL; fetched same-origin, so with the session cookie
    cMapUrl: text.cmaps,
    cMapPacked: true,
    standardFontDataUrl: text.fonts,
    wasmUrl: text.wasm,
    iccUrl: text.iccs,
  });
  task.onProgress = ({ loaded, total }) => {
    if (!total) return;
    const percent = Math.min(100, Math.round((loaded / total) * 100));
    progress.textContent = fill(text.textLoading, { percent: percent + "%" });
  };

  let doc;
  let first;
  try {
    doc = await task.promise;
    first = await doc.getPage(1);
    if (failed) return;
  } catch (error) {
    console.error("the PDF could not be opened", error);
    if (error && error.name === "PasswordException") fail(text.textPassword);
    else if (error && error.name === "InvalidPDFException") fail(text.textInvalid);
    else if (error && error.name === "ResponseException" && error.missing) fail(text.textMissing);
    else fail(text.textFailed, true);
    task.destroy();
    return;
  }

  // Until a page is fetched its box takes the first page's proportions (most documents have one size).
  const size = first.getViewport({ scale: 1 });
  const pages = [];
  for (let number = 1; number <= doc.numPages; number += 1) {
    const box = document.createElement("div");
    box.className = "hk-pdf-page";
    box.dataset.page = String(number);
    box.dataset.state = "empty";
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", fill(text.textPage, { page: number }));
    box.style.aspectRatio = `${size.width} / ${size.height}`;
    const proxy = number === 1 ? first : null;
    pages.push({ number, box, proxy, task: null, canvas: null, width: 0, round: 0 });
  }
  pagesBox.replaceChildren(...pages.map((page) => page.box));
  loading.hidden = true;
  bar.hidden = false;
  viewer.dataset.state = "ready";
  viewer.dataset.pages = String(doc.numPages);
  const end = document.getElementById("reading-end");
  if (end) end.hidden = false; // now below the last page's box

  function setState(page, state) {
    page.box.dataset.state = state;
  }

  async function draw(page) {
    if (page.task) return; // already on its way (and checks the width again when done)
    const width = page.box.clientWidth;
    if (!width || (page.canvas && page.width === width)) return;
    page.width = width;
    const round = (page.round += 1); // release() starts a new round: this one then stops
    try {
      page.proxy = page.proxy || (await doc.getPage(page.number));
      if (round !== page.round) return;
      const natural = page.proxy.getViewport({ scale: 1 });
      page.box.style.aspectRatio = `${natural.width} / ${natural.height}`;
      const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
      let scale = (width / natural.width) * ratio;
      const area = natural.width * natural.height * scale * scale;
      if (area > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / area);
      const viewport = page.proxy.getViewport({ scale });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      if (!page.canvas) setState(page, "drawing");
      page.task = page.proxy.render({ canvasContext: canvas.getContext("2d", { alpha: false }), viewport });
      await page.task.promise;
      page.task = null;
      if (round !== page.round) return forget(canvas);
      // Swap the finished drawing in, so a page redrawn at a new width never flashes blank.
      if (page.canvas) forget(page.canvas);
      page.canvas = canvas;
      page.box.replaceChildren(canvas);
      setState(page, "drawn");
      if (page.number === 1 && !performance.getEntriesByName("hk-pdf-first-page").length) {
        performance.mark("hk-pdf-first-page"); // time to the first page, for whoever measures it
      }
      if (nearby.has(page) && page.box.clientWidth !== width) draw(page); // resized while drawing
    } catch (error) {
      if (round !== page.round) return; // scrolled far away meanwhile: release() cleaned up
      page.task = null;
      page.width = 0;
      console.error("page " + page.number + " could not be drawn", error);
      if (page.canvas) forget(page.canvas);
      page.canvas = null;
      const note = document.createElement("p");
      note.className = "hk-pdf-page-error small text-muted";
      note.textContent = fill(text.textPageFailed, { page: page.number });
      page.box.replaceChildren(note);
      setState(page, "failed");
    }
  }

  function forget(canvas) {
    canvas.width = 0; // gives the memory back at once (iOS Safari keeps it otherwise)
    canvas.height = 0;
  }

  function release(page) {
    page.round += 1;
    if (page.task) {
      page.task.cancel();
      page.task = null;
    }
    if (page.canvas) {
      forget(page.canvas);
      page.canvas = null;
      page.box.replaceChildren();
    }
    page.width = 0;
    if (page.proxy && page.number !== 1) page.proxy.cleanup();
    setState(page, "empty");
  }

  const byBox = new Map(pages.map((page) => [page.box, page]));
  const nearby = new Set();
  const near = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const page = byBox.get(entry.target);
        if (entry.isIntersecting) {
          nearby.add(page);
          draw(page);
        } else {
          nearby.delete(page);
        }
      }
    },
    { rootMargin: NEAR },
  );
  const far = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) if (!entry.isIntersecting) release(byBox.get(entry.target));
    },
    { rootMargin: FAR },
  );
  for (const page of pages) {
    near.observe(page.box);
    far.observe(page.box);
  }

  // A new column width (rotating the phone, resizing the window): redraw what is near, drop the rest.
  let lastWidth = pagesBox.clientWidth;
  let resizeTimer = null;
  new ResizeObserver(() => {
    if (pagesBox.clientWidth === lastWidth) return;
    lastWidth = pagesBox.clientWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const page of pages) {
        if (nearby.has(page)) draw(page);
        else if (page.canvas || page.task) release(page);
      }
      showCounter();
    }, 150);
  }).observe(pagesBox);

  // The counter names the page that crosses a line 40% down the screen.
  function currentPage() {
    const line = window.innerHeight * 0.4;
    let low = 0;
    let high = pages.length - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (pages[middle].box.getBoundingClientRect().top <= line) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found + 1;
  }
  function showCounter() {
    counter.textContent = fill(text.textCounter, { page: currentPage(), pages: pages.length });
  }
  let scheduled = false;
  window.addEventListener(
    "scroll",
    () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        showCounter();
      });
    },
    { passive: true },
  );
  showCounter();
}
